//! Alert lifecycle: raised once when a condition starts, cleared when it ends, acknowledged
//! by a person; each transition is an event and a live message.

pub(crate) mod active;

pub use active::{ActiveAlerts, AlertKey, AlertText, Threshold};

use crate::actor::Actor;
use crate::app::Backend;
use crate::domain::{AlertRecord, EventKind, Source};
use crate::live::LiveEvent;
use crate::store::{NewAlert, NewEvent, Raised};
use crate::{Error, Result, clock};
use std::sync::atomic::Ordering::Relaxed;

impl Backend {
    pub(crate) async fn load_active_alerts(&self) -> Result<()> {
        let active = self
            .inner
            .store
            .list_alerts(None, true, u64::MAX >> 1)
            .await?;
        let mut map = self.inner.alerts.lock().await;
        for a in active {
            if let Some(ccu_id) = a.ccu_id.clone() {
                map.insert(
                    AlertKey {
                        kind: a.kind,
                        ccu_id,
                        outlet_id: a.outlet_id,
                    },
                    a.id,
                );
            }
        }
        Ok(())
    }

    /// True while the condition's alert is active.
    pub async fn alert_active(&self, key: &AlertKey) -> bool {
        self.inner.alerts.contains(key).await
    }

    /// Brings the alert for `key` in line with `active`: raises it (once) or clears it.
    pub(crate) async fn set_condition(
        &self,
        key: AlertKey,
        active: bool,
        source: Source,
        text: impl FnOnce() -> AlertText,
    ) -> Result<()> {
        let mut map = self.inner.alerts.lock().await;
        let current = map.get(&key).copied();
        match (current, active) {
            (None, true) => {
                let Some(ccu) = self.inner.registry.ccu(&key.ccu_id) else {
                    return Ok(());
                };
                let t = text();
                let raised = self
                    .inner
                    .store
                    .raise_alert(NewAlert {
                        user_id: ccu.owner_id,
                        kind: key.kind,
                        ccu_id: Some(key.ccu_id.clone()),
                        outlet_id: key.outlet_id,
                        message: t.message,
                        value: t.value,
                        threshold: t.threshold,
                        raised_at: clock::now_ms(),
                    })
                    .await?;
                let alert = match raised {
                    Raised::New(alert) => alert,
                    Raised::Existing(id) => {
                        // another instance raised it: this one only learns of it
                        map.insert(key, id);
                        return Ok(());
                    }
                };
                map.insert(key, alert.id);
                drop(map);
                self.inner.metrics.alerts_raised.fetch_add(1, Relaxed);
                tracing::info!(alert = alert.id, kind = alert.kind.as_str(), ccu = ?alert.ccu_id, device = ?alert.device_id, "alert raised");
                self.alert_event(EventKind::AlertRaised, source, &alert, None)
                    .await?;
            }
            (Some(id), false) => {
                map.remove(&key);
                drop(map);
                // another instance may have cleared it first: then only it tells
                let Some(alert) = self.inner.store.clear_alert(id, clock::now_ms()).await? else {
                    return Ok(());
                };
                tracing::info!(
                    alert = alert.id,
                    kind = alert.kind.as_str(),
                    "alert cleared"
                );
                self.alert_event(EventKind::AlertCleared, source, &alert, None)
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Acknowledges an alert (`System`: recorded without a user).
    pub async fn acknowledge_alert(&self, actor: Actor, alert_id: i32) -> Result<AlertRecord> {
        let alert = self
            .inner
            .store
            .get_alert(alert_id)
            .await?
            .filter(|a| actor.may_act_for(a.user_id))
            .ok_or(Error::NotFound("alert"))?;
        if alert.acknowledged_at.is_some() {
            return Ok(alert);
        }
        let alert = self
            .inner
            .store
            .acknowledge_alert(alert_id, actor.user_id(), clock::now_ms())
            .await?;
        self.alert_event(
            EventKind::AlertAcknowledged,
            actor.source(),
            &alert,
            actor.user_id(),
        )
        .await?;
        Ok(alert)
    }

    /// The alerts the actor may see, newest first.
    pub async fn list_alerts(
        &self,
        actor: Actor,
        active_only: bool,
        limit: u64,
    ) -> Result<Vec<AlertRecord>> {
        self.inner
            .store
            .list_alerts(actor.user_id(), active_only, limit)
            .await
    }

    async fn alert_event(
        &self,
        kind: EventKind,
        source: Source,
        alert: &AlertRecord,
        by: Option<i32>,
    ) -> Result<()> {
        let verb = match kind {
            EventKind::AlertRaised => "raised",
            EventKind::AlertCleared => "cleared",
            _ => "acknowledged",
        };
        self.inner
            .store
            .insert_event(NewEvent {
                user_id: Some(alert.user_id),
                kind,
                source,
                ccu_id: alert.ccu_id.clone(),
                device_id: alert.device_id.clone(),
                message: format!("Alert {verb}: {}", alert.message),
                data: Some(serde_json::json!({
                    "alert_id": alert.id,
                    "alert_kind": alert.kind,
                    "value": alert.value,
                    "threshold": alert.threshold,
                    "by": by,
                })),
            })
            .await?;
        self.inner.live.send(LiveEvent::Alert {
            user_id: alert.user_id,
            alert: alert.clone(),
        });
        if kind != EventKind::AlertAcknowledged {
            self.notify(crate::notifier::Notification {
                user_id: alert.user_id,
                kind: kind.as_str(),
                title: format!("Alert {verb}"),
                message: alert.message.clone(),
                ccu_id: alert.ccu_id.clone(),
                device_id: alert.device_id.clone(),
                data: serde_json::json!({"alert_id": alert.id, "alert_kind": alert.kind}),
                urgent: kind == EventKind::AlertRaised,
            });
        }
        Ok(())
    }
}
