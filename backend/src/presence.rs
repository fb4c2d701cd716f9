//! Presence: a CCU is online from its retained status (or any traffic) until its will, its
//! `online:false`, or silence for `presence.stale_after`; an outlet is online while it reports
//! within its expected period ([`Backend::outlet_stale_after`]). A status with `dropped` also
//! adds to the CCU's count of readings lost on the device.

use crate::alerts::{AlertKey, AlertText};
use crate::app::Backend;
use crate::domain::{AlertKind, EventKind, Source};
use crate::live::LiveEvent;
use crate::store::NewEvent;
use crate::{Result, clock};

/// Cycles of silence after which an old-firmware CCU may have restarted (its round robin
/// begins anew when it is heard again).
const RESTART_CYCLES: u32 = 3;

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

    /// A CCU's drop report: `dropped` readings lost to its full offline buffer since its last
    /// report. Added to its total (database and live state), counted, logged and recorded as
    /// an event in its log.
    pub(crate) async fn on_readings_dropped(&self, ccu_id: &str, dropped: u32) -> Result<()> {
        let Some(ccu) = self.inner.registry.ccu(ccu_id) else {
            return Ok(());
        };
        self.inner
            .store
            .add_ccu_readings_dropped(ccu_id, dropped)
            .await?;
        let total = self.inner.state.with_ccu(ccu_id, |s| {
            s.readings_dropped += i64::from(dropped);
            s.readings_dropped
        });
        self.inner
            .metrics
            .ccu_readings_dropped
            .fetch_add(u64::from(dropped), std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(
            ccu = ccu_id,
            dropped,
            total,
            "CCU dropped readings: its offline buffer was full"
        );
        self.inner
            .store
            .insert_event(NewEvent {
                user_id: Some(ccu.owner_id),
                kind: EventKind::ReadingsDropped,
                source: Source::Device,
                ccu_id: Some(ccu_id.to_string()),
                device_id: None,
                message: format!(
                    "CCU {} ({ccu_id}) lost {dropped} readings: its offline buffer was full",
                    ccu.name
                ),
                data: Some(serde_json::json!({ "dropped": dropped, "total": total })),
            })
            .await?;
        Ok(())
    }

    /// Traffic from a CCU: it is connected, whatever its status said.
    pub(crate) async fn ccu_seen(&self, ccu_id: &str, now: i64) -> Result<()> {
        let restart_gap = (self.inner.settings.legacy.cycle * RESTART_CYCLES).as_millis() as i64;
        let every =
            LAST_SEEN_EVERY_MS.min(self.inner.settings.presence.stale_after.as_millis() as i64 / 4);
        let (was_online, write) = self.inner.state.with_ccu(ccu_id, |s| {
            if s.last_seen.is_none_or(|t| now - t > restart_gap) {
                s.resumed_at = Some(now);
            }
            s.last_seen = Some(now);
            let write = s.last_seen_written.is_none_or(|t| now - t >= every);
            if write {
                s.last_seen_written = Some(now);
            }
            (s.online, write)
        });
        if write {
            // at most once a second (a quarter of stale_after) per CCU, coalesced into the
            // writer's next batch
            let latest = crate::store::batch::CcuLatest {
                breaker: None,
                last_seen: now,
            };
            self.inner
                .writer
                .send(crate::writer::WriteOp::Ccu(ccu_id.to_string(), latest))
                .await;
        }
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
        self.inner.state.with_ccu(ccu_id, |s| {
            s.online = online;
            if !online {
                s.offline_at = Some(now);
            }
            s.last_seen = Some(now);
            if firmware.is_some() {
                s.firmware = firmware.clone();
            }
        });
        // Whoever flips it in the database tells (of two instances, once).
        let changed = self
            .inner
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

    /// How long an outlet of this CCU may stay silent before it is offline: MQTT CCUs report
    /// every outlet every few seconds (`presence.stale_after`); the old HTTP firmware reads
    /// an unfocused outlet only once per round robin (`legacy.outlet_stale_after`).
    pub fn outlet_stale_after(&self, ccu_id: &str) -> std::time::Duration {
        let settings = &self.inner.settings;
        let floor = settings.presence.stale_after;
        if !self.polled_ccu(ccu_id) {
            return floor;
        }
        let outlets = self.inner.registry.outlets_of(ccu_id).len();
        settings.legacy.outlet_stale_after(outlets, floor)
    }

    /// The CCU runs the old HTTP firmware: its outlets are read in a round robin.
    pub fn polled_ccu(&self, ccu_id: &str) -> bool {
        self.inner
            .registry
            .ccu(ccu_id)
            .is_some_and(|c| c.transport == crate::domain::Transport::Http)
    }

    /// Marks silent outlets and CCUs offline (timer); only on the instance that holds the
    /// timers lease, so a cluster decides each once.
    pub(crate) async fn check_presence(&self) -> Result<()> {
        if !self.runs_timers() {
            return Ok(());
        }
        let now = clock::now_ms();
        let stale = self.inner.settings.presence.stale_after.as_millis() as i64;
        for (ccu_id, s) in self.inner.state.ccus() {
            if s.online && s.last_seen.is_some_and(|t| now - t >= stale) {
                // Another instance may be the one hearing it: the database's last_seen
                // (written by every instance's writer) counts too.
                if let Some(t) = self.inner.store.ccu_last_seen(&ccu_id).await?
                    && now - t < stale
                {
                    self.inner
                        .state
                        .with_ccu(&ccu_id, |s| s.last_seen = s.last_seen.max(Some(t)));
                    continue;
                }
                self.set_ccu_online(&ccu_id, false, None, Source::Server)
                    .await?;
            }
        }
        let mut stale_of = std::collections::HashMap::new();
        for (outlet_id, s) in self.inner.state.outlets() {
            let Some(last) = s.last_seen.filter(|_| s.online) else {
                continue;
            };
            let Some(entry) = self.inner.registry.outlet(outlet_id) else {
                continue;
            };
            let (stale, resumed) = *stale_of.entry(entry.ccu_id.clone()).or_insert_with(|| {
                let stale = self.outlet_stale_after(&entry.ccu_id).as_millis() as i64;
                // An old firmware that restarted reads every outlet anew within its period.
                let resumed = self
                    .polled_ccu(&entry.ccu_id)
                    .then(|| self.inner.state.ccu(&entry.ccu_id)?.resumed_at)
                    .flatten();
                (stale, resumed.unwrap_or(i64::MIN))
            });
            if now - last.max(resumed) < stale {
                continue;
            }
            // heard by another instance meanwhile?
            if let Some(t) = self.inner.store.outlet_last_seen(outlet_id).await?
                && now - t.max(resumed) < stale
            {
                self.inner
                    .state
                    .with_outlet(outlet_id, |s| s.last_seen = s.last_seen.max(Some(t)));
                continue;
            }
            self.inner
                .state
                .with_outlet(outlet_id, |s| s.online = false);
            self.inner.store.set_outlet_online(outlet_id, false).await?;
            let outlet = entry;
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

/// How often, at most, a CCU's `last_seen` is written to the database while it talks (ms);
/// more often when a quarter of `presence.stale_after` is shorter.
const LAST_SEEN_EVERY_MS: i64 = 1_000;
