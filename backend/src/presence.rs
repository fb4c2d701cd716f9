//! Presence: a CCU is online from its retained status (or any traffic) until its will, its
//! `online:false`, or silence for `presence.stale_after`; an outlet is online while it reports.

use crate::alerts::{AlertKey, AlertText};
use crate::app::Backend;
use crate::domain::{AlertKind, EventKind, Source};
use crate::live::LiveEvent;
use crate::store::NewEvent;
use crate::{Result, clock};

impl Backend {
    /// Applies a CCU's status message.
    pub(crate) async fn on_status(
        &self,
        ccu_id: &str,
        online: bool,
        firmware: Option<String>,
    ) -> Result<()> {
        self.set_ccu_online(ccu_id, online, firmware, Source::Device)
            .await
    }

    /// Traffic from a CCU: it is connected, whatever its status said.
    pub(crate) async fn ccu_seen(&self, ccu_id: &str, now: i64) -> Result<()> {
        let was_online = self.inner.state.with_ccu(ccu_id, |s| {
            s.last_seen = Some(now);
            s.online
        });
        if !was_online {
            self.set_ccu_online(ccu_id, true, None, Source::Device)
                .await?;
        }
        Ok(())
    }

    async fn set_ccu_online(
        &self,
        ccu_id: &str,
        online: bool,
        firmware: Option<String>,
        source: Source,
    ) -> Result<()> {
        let Some(ccu) = self.inner.registry.ccu(ccu_id) else {
            return Ok(());
        };
        let now = clock::now_ms();
        let changed = self.inner.state.with_ccu(ccu_id, |s| {
            let changed = s.online != online;
            s.online = online;
            if !online {
                s.offline_at = Some(now);
            }
            s.last_seen = Some(now);
            if firmware.is_some() {
                s.firmware = firmware.clone();
            }
            changed
        });
        self.inner
            .store
            .set_ccu_presence(ccu_id, online, firmware.as_deref(), now)
            .await?;
        if changed {
            let (kind, word) = if online {
                (EventKind::CcuOnline, "online")
            } else {
                (EventKind::CcuOffline, "offline")
            };
            tracing::info!(ccu = ccu_id, online, "CCU presence changed");
            self.inner
                .store
                .insert_event(NewEvent {
                    user_id: Some(ccu.owner_id),
                    kind,
                    source,
                    ccu_id: Some(ccu_id.to_string()),
                    device_id: None,
                    message: format!("CCU {} ({ccu_id}) is {word}", ccu.name),
                    data: firmware
                        .as_ref()
                        .map(|f| serde_json::json!({ "firmware": f })),
                })
                .await?;
            self.inner.live.send(LiveEvent::Presence {
                user_id: ccu.owner_id,
                ccu_id: ccu_id.to_string(),
                outlet_id: None,
                online,
                ts: now,
            });
        }
        let key = AlertKey {
            kind: AlertKind::CcuOffline,
            ccu_id: ccu_id.to_string(),
            outlet_id: None,
        };
        let name = ccu.name.clone();
        self.set_condition(key, !online, source, || AlertText {
            message: format!("CCU {name} ({ccu_id}) went offline"),
            value: None,
            threshold: None,
        })
        .await?;
        if online {
            // Off the ingest path: publishing waits on the MQTT client's queue.
            let b = self.clone();
            let id = ccu_id.to_string();
            tokio::spawn(async move {
                if let Err(e) = b.publish_devices(&id).await {
                    tracing::warn!(ccu = %id, cause = %e, "cannot publish device list");
                }
                if let Err(e) = b.flush_queued(&id).await {
                    tracing::warn!(ccu = %id, cause = %e, "cannot send queued commands");
                }
            });
        }
        Ok(())
    }

    /// An outlet reported: mark it online and clear its offline alert.
    pub(crate) async fn outlet_back(
        &self,
        ccu_id: &str,
        outlet_id: i32,
        owner: i32,
        ts: i64,
    ) -> Result<()> {
        self.inner.live.send(LiveEvent::Presence {
            user_id: owner,
            ccu_id: ccu_id.to_string(),
            outlet_id: Some(outlet_id),
            online: true,
            ts,
        });
        let key = AlertKey {
            kind: AlertKind::OutletOffline,
            ccu_id: ccu_id.to_string(),
            outlet_id: Some(outlet_id),
        };
        self.set_condition(key, false, Source::Device, unreachable_text)
            .await
    }

    /// Marks silent outlets and CCUs offline (timer).
    pub(crate) async fn check_presence(&self) -> Result<()> {
        let now = clock::now_ms();
        let stale = self.inner.settings.presence.stale_after.as_millis() as i64;
        for (ccu_id, s) in self.inner.state.ccus() {
            if s.online && s.last_seen.is_some_and(|t| now - t >= stale) {
                self.set_ccu_online(&ccu_id, false, None, Source::Server)
                    .await?;
            }
        }
        for (outlet_id, s) in self.inner.state.outlets() {
            if !(s.online && s.last_seen.is_some_and(|t| now - t >= stale)) {
                continue;
            }
            self.inner
                .state
                .with_outlet(outlet_id, |s| s.online = false);
            self.inner.store.set_outlet_online(outlet_id, false).await?;
            let Some(outlet) = self.inner.registry.outlet(outlet_id) else {
                continue;
            };
            let Some(ccu) = self.inner.registry.ccu(&outlet.ccu_id) else {
                continue;
            };
            self.inner.live.send(LiveEvent::Presence {
                user_id: ccu.owner_id,
                ccu_id: ccu.id.clone(),
                outlet_id: Some(outlet_id),
                online: false,
                ts: now,
            });
            // While the CCU itself is offline its alert says it all.
            let ccu_online = self.inner.state.ccu(&ccu.id).is_some_and(|c| c.online);
            if ccu_online {
                let key = AlertKey {
                    kind: AlertKind::OutletOffline,
                    ccu_id: ccu.id.clone(),
                    outlet_id: Some(outlet_id),
                };
                let secs = stale / 1000;
                self.set_condition(key, true, Source::Server, || AlertText {
                    message: format!(
                        "Outlet {} ({}) silent for {secs} s",
                        outlet.name, outlet.device_id
                    ),
                    value: None,
                    threshold: None,
                })
                .await?;
            }
        }
        Ok(())
    }
}

fn unreachable_text() -> AlertText {
    AlertText {
        message: String::new(),
        value: None,
        threshold: None,
    }
}
