//! How the running server follows a configuration change, whoever made it (a service here,
//! or the CLI in another process): registry and live state reloaded, device lists
//! republished, sessions of removed or re-keyed CCUs closed, the change logged as an event.

use crate::actor::Actor;
use crate::app::Backend;
use crate::domain::EventKind;
use crate::store::NewEvent;
use crate::{Error, Result};
use ccu_core::protocol::TopicKind;

impl Backend {
    /// Makes the running server act on a configuration change in the store.
    pub async fn config_changed(&self) -> Result<()> {
        let _serial = self.inner.config.one_reload_at_a_time().await;
        // Read before what it stands for: a change landing during the reload then shows as a
        // new fingerprint at the next refresh, instead of being taken as loaded already.
        let fingerprint = self.inner.store.config_fingerprint().await?;
        let changed = self.inner.registry.reload(&self.inner.store).await?;
        let ccus = self.inner.store.list_ccus(None).await?;
        let outlets = self.inner.store.list_outlets(None, None).await?;
        self.inner.state.seed(&ccus, &outlets);
        let ccu_ids: Vec<String> = ccus.iter().map(|c| c.id.clone()).collect();
        let outlet_ids: Vec<i32> = outlets.iter().map(|o| o.id).collect();
        self.inner.state.retain(&ccu_ids, &outlet_ids);
        self.inner.config.loaded(fingerprint);
        drop(_serial);
        self.revoke_stale_sessions().await?;
        for id in changed {
            // The broker may be away; every (re)connection republishes all lists anyway.
            if let Err(e) = self.publish_devices(&id).await {
                tracing::warn!(ccu = %id, cause = %e, "device list not published now");
            }
        }
        Ok(())
    }

    /// Closes the MQTT sessions of CCUs that were removed or whose secret changed (also
    /// when another process, the CLI, made the change).
    async fn revoke_stale_sessions(&self) -> Result<()> {
        if self.inner.mqtt.sessions.keys().is_empty() {
            return Ok(());
        }
        let hashes = self.inner.store.ccu_secret_hashes().await?;
        let mqtt = &self.inner.mqtt;
        let n = mqtt.sessions.revoke_where(|ccu, tag| {
            // An empty tag is a login still being checked: the login itself looks again
            // once it is tagged (`auth.rs`), so closing it here would only be a race.
            !tag.is_empty() && !mqtt.is_backend(ccu) && hashes.get(ccu).is_none_or(|h| h != tag)
        });
        if n > 0 {
            tracing::info!(
                sessions = n,
                "closed MQTT sessions of removed or re-keyed CCUs"
            );
        }
        Ok(())
    }

    /// Picks up changes another process (the CLI) made to the store (timer).
    pub(crate) async fn refresh_from_store(&self) -> Result<()> {
        let now = self.inner.store.config_fingerprint().await?;
        let differs = self.inner.config.differs(now);
        if differs != Some(false) {
            if differs == Some(true) {
                tracing::info!("configuration changed in the store; reloading");
            }
            self.config_changed().await?;
        }
        Ok(())
    }

    /// Publishes (retained) a CCU's device list.
    pub async fn publish_devices(&self, ccu_id: &str) -> Result<()> {
        let list = self.inner.registry.device_list(ccu_id);
        let payload = serde_json::to_vec(&list).map_err(|e| Error::Publish(e.to_string()))?;
        let topic = format!("ccu/{ccu_id}/{}", TopicKind::Devices.as_str());
        self.inner.mqtt.bus.publish(topic, payload, true).await
    }

    /// Publishes every CCU's device list (after (re)connecting to the broker).
    pub async fn publish_all_devices(&self) -> Result<()> {
        for c in self.inner.registry.ccus() {
            self.publish_devices(&c.id).await?;
        }
        Ok(())
    }

    /// Records a configuration change in `owner_id`'s event log, with who made it.
    pub(crate) async fn config_event(
        &self,
        owner_id: i32,
        actor: Actor,
        ccu_id: Option<&str>,
        device_id: Option<&str>,
        message: String,
    ) -> Result<()> {
        self.inner
            .store
            .insert_event(NewEvent {
                user_id: Some(owner_id),
                kind: EventKind::Config,
                source: actor.source(),
                ccu_id: ccu_id.map(str::to_string),
                device_id: device_id.map(str::to_string),
                message,
                data: None,
            })
            .await?;
        Ok(())
    }
}
