//! Adopting a dead instance's broker session (external broker, `instance_id`): each such
//! instance keeps a `session:<instance_id>` lease, forced at start (before its MQTT client
//! connects) and every `cluster.lease_ttl / 3`. Mosquitto keeps queueing an offline
//! persistent member's share of a `$share` group; so when a session lease expires (kill -9,
//! a lost node), the holder of the `timers` lease claims it and drains that session
//! (`session.rs`) into its own ingest, acknowledging through the adopted connection. An owner
//! that comes back takes its lease and its session (the broker's takeover) back.

mod pump;
mod session;
pub mod state;

use crate::app::Backend;
use crate::bus::BusEvent;
use crate::{Result, clock};
use session::{Adopter, Outcome};
use settings::MqttMode;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::mpsc;

/// Prefix of the session leases: `session:<instance_id>`.
pub const SESSION_PREFIX: &str = "session:";
/// Shortest quiet period that ends a drain.
const MIN_QUIET: Duration = Duration::from_millis(500);

impl Backend {
    /// The lease of this instance's broker session: external broker with an `instance_id`.
    pub(crate) fn own_session_lease(&self) -> Option<String> {
        let s = &self.inner.settings;
        let id = &s.mqtt.external.instance_id;
        (s.mqtt.mode == MqttMode::External && !id.is_empty())
            .then(|| format!("{SESSION_PREFIX}{id}"))
    }

    fn lease_ttl_ms(&self) -> i64 {
        i64::try_from(self.inner.settings.cluster.lease_ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// Takes this instance's session lease, whoever holds it (at start, before the MQTT
    /// client connects, then every renewal): the session is this instance's while it lives;
    /// an adopter sees its renewal fail and leaves.
    pub(crate) async fn hold_own_session(&self, starting: bool) -> Result<()> {
        let Some(name) = self.own_session_lease() else {
            return Ok(());
        };
        let inner = &self.inner;
        let holder = inner.lease.holder();
        if starting && let Some((before, _)) = inner.store.lease_holder(&name).await? {
            tracing::info!(lease = %name, previous = %before, "taking this instance's broker session lease back");
        }
        let ttl = self.lease_ttl_ms();
        inner
            .store
            .force_lease(&name, holder, clock::now_ms(), ttl)
            .await
    }

    /// The holder of the `timers` lease claims every expired session lease of another
    /// instance and adopts that session (`cluster.adopt_sessions`).
    pub(crate) async fn adopt_dead_sessions(&self) -> Result<()> {
        let inner = &self.inner;
        if !inner.settings.cluster.adopt_sessions || !inner.lease.held() {
            return Ok(());
        }
        let Some(intake) = inner.adoptions.intake() else {
            return Ok(());
        };
        let own = self.own_session_lease();
        let now = clock::now_ms();
        for (name, dead) in inner.store.expired_leases(SESSION_PREFIX, now).await? {
            if own.as_deref() == Some(name.as_str()) || !inner.adoptions.begin(&name) {
                continue;
            }
            let Some(tx) = intake.tx.upgrade() else {
                inner.adoptions.end(&name);
                return Ok(()); // the intake stopped: shutting down
            };
            let claimed = inner
                .store
                .try_acquire_lease(&name, inner.lease.holder(), now, self.lease_ttl_ms())
                .await;
            match claimed {
                Ok(true) => self.spawn_adoption(name, &dead, tx),
                Ok(false) => inner.adoptions.end(&name),
                Err(e) => {
                    inner.adoptions.end(&name);
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn spawn_adoption(&self, lease: String, dead: &str, tx: mpsc::Sender<BusEvent>) {
        let inner = &self.inner;
        let Some(intake) = inner.adoptions.intake() else {
            return;
        };
        let instance = lease.strip_prefix(SESSION_PREFIX).unwrap_or(&lease);
        let mut settings = intake.settings.clone();
        settings.client_id = format!("{}-{instance}", inner.settings.mqtt.external.client_id);
        settings.persistent = true;
        settings.subscribe_devices = true;
        inner.metrics.sessions_adopted.fetch_add(1, Relaxed);
        tracing::info!(lease = %lease, client_id = %settings.client_id, previous = %dead, "adopting the broker session of an instance whose lease expired");
        let renew = inner.settings.cluster.lease_renew_interval();
        let adopter = Adopter {
            lease: lease.clone(),
            holder: inner.lease.holder().to_string(),
            settings,
            tx,
            store: inner.store.clone(),
            metrics: inner.metrics.clone(),
            ttl_ms: self.lease_ttl_ms(),
            renew,
            quiet: renew.max(MIN_QUIET),
        };
        let (adoptions, metrics) = (inner.adoptions.clone(), inner.metrics.clone());
        let stop = inner.tasks.intake_signal();
        inner.tasks.own_intake(tokio::spawn(async move {
            let counter = match adopter.run(stop).await {
                Outcome::Drained => Some(&metrics.sessions_drained),
                Outcome::LeaseLost => Some(&metrics.sessions_left),
                Outcome::Stopped => None,
            };
            if let Some(c) = counter {
                c.fetch_add(1, Relaxed);
            }
            adoptions.end(&lease);
        }));
    }

    /// Broker sessions of other instances this instance is adopting now.
    pub fn sessions_adopting(&self) -> usize {
        self.inner.adoptions.running()
    }
}
