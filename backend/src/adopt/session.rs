//! Adopting one dead instance's broker session: connect with its client id (persistent
//! session, manual acknowledgements), unsubscribe its `$share` filters so the broker queues
//! nothing new for it, hand what the broker kept for it to this instance's ingest, acknowledge
//! each publish through this connection once committed, and disconnect once drained. The
//! lease is renewed all along; once it is no longer ours (the owner took it back before
//! connecting) the adopter stops and never reconnects: no takeover ping-pong.

use super::pump::{self, Ctl};
use crate::bus::{AdoptedLink, Bus, BusEvent, BusSettings, device_filters};
use crate::metrics::Metrics;
use crate::tasks::StopSignal;
use crate::{Store, clock};
use rumqttc::AsyncClient;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How often a connection checks whether it is drained.
const CHECK_EVERY: Duration = Duration::from_millis(100);
/// Longest wait for our DISCONNECT to be written, or for the pump to end.
const DISCONNECT_WAIT: Duration = Duration::from_secs(5);
/// First and longest pause before connecting again after a lost connection.
const RECONNECT_MIN: Duration = Duration::from_millis(500);
const RECONNECT_MAX: Duration = Duration::from_secs(5);

/// How an adoption ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Everything the broker kept for the session was stored and acknowledged.
    Drained,
    /// The lease is another's now (the owner is back, or our renewals lapsed).
    LeaseLost,
    /// This instance is stopping; the lease expires and another instance adopts it.
    Stopped,
}

/// One adoption.
pub(crate) struct Adopter {
    /// `session:<instance_id>`.
    pub lease: String,
    /// This instance's holder id.
    pub holder: String,
    /// This instance's broker settings with the dead instance's client id.
    pub settings: BusSettings,
    /// This instance's ingest queue.
    pub tx: mpsc::Sender<BusEvent>,
    pub store: Store,
    pub metrics: Arc<Metrics>,
    /// `cluster.lease_ttl` (ms).
    pub ttl_ms: i64,
    /// How often the lease is renewed.
    pub renew: Duration,
    /// Drained: nothing received or acknowledged for this long, every publish acknowledged.
    pub quiet: Duration,
}

/// Whether a connection ended as the adoption's end, or must be made again.
type Connection = Result<Outcome, String>;

impl Adopter {
    /// Adopts until drained, the lease is lost or `stop`.
    pub(crate) async fn run(self, mut stop: StopSignal) -> Outcome {
        let mut backoff = RECONNECT_MIN;
        loop {
            match self.connection(&mut stop).await {
                Ok(Outcome::Drained) => {
                    self.mark_drained().await;
                    return Outcome::Drained;
                }
                Ok(outcome) => return outcome,
                Err(cause) => {
                    tracing::warn!(lease = %self.lease, %cause, "adopted session's connection lost")
                }
            }
            // Connect again only while the lease is ours: an owner back took it first.
            loop {
                tokio::select! {
                    biased;
                    _ = stop.stopped() => return Outcome::Stopped,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(RECONNECT_MAX);
                match self.renew().await {
                    Ok(true) => break,
                    Ok(false) => {
                        tracing::info!(lease = %self.lease, "adopted session's lease taken; not reconnecting");
                        return Outcome::LeaseLost;
                    }
                    Err(e) => {
                        tracing::warn!(lease = %self.lease, cause = %e, "cannot renew an adopted session's lease; retrying")
                    }
                }
            }
        }
    }

    /// One connection, from CONNECT to its end.
    async fn connection(&self, stop: &mut StopSignal) -> Connection {
        let (client, eventloop) = Bus::connection(&self.settings);
        let link = Arc::new(AdoptedLink::new(client.clone()));
        let (ctl_tx, mut ctl) = mpsc::unbounded_channel();
        let mut task = tokio::spawn(pump::run(
            eventloop,
            link.clone(),
            self.tx.clone(),
            self.metrics.clone(),
            ctl_tx,
        ));
        let ended = self.drive(&client, &link, &mut ctl, stop).await;
        if tokio::time::timeout(DISCONNECT_WAIT, &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
        ended
    }

    async fn drive(
        &self,
        client: &AsyncClient,
        link: &AdoptedLink,
        ctl: &mut mpsc::UnboundedReceiver<Ctl>,
        stop: &mut StopSignal,
    ) -> Connection {
        let filters = device_filters(&self.settings);
        let quiet_ms = i64::try_from(self.quiet.as_millis()).unwrap_or(i64::MAX);
        let (mut connected, mut unsubscribed) = (false, 0);
        let mut renew =
            tokio::time::interval_at(tokio::time::Instant::now() + self.renew, self.renew);
        let mut check = tokio::time::interval(CHECK_EVERY);
        loop {
            tokio::select! {
                biased;
                _ = stop.stopped() => {
                    disconnect(client, ctl).await;
                    return Ok(Outcome::Stopped);
                }
                msg = ctl.recv() => match msg {
                    Some(Ctl::ConnAck { session_present }) => {
                        connected = true;
                        tracing::info!(lease = %self.lease, client_id = %self.settings.client_id, session_present, "adopted session connected; unsubscribing its shared subscriptions");
                        for f in &filters {
                            client.try_unsubscribe(f.clone()).map_err(|e| e.to_string())?;
                        }
                    }
                    Some(Ctl::UnsubAck) => unsubscribed += 1,
                    Some(Ctl::Lost(cause)) => return Err(cause),
                    Some(Ctl::Disconnected) | None => return Err("connection ended".into()),
                },
                _ = renew.tick() => match self.renew().await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::info!(lease = %self.lease, received = link.received(), "adopted session's lease taken (its owner is back): leaving; what was not acknowledged is delivered to it");
                        disconnect(client, ctl).await;
                        return Ok(Outcome::LeaseLost);
                    }
                    Err(e) => tracing::warn!(lease = %self.lease, cause = %e, "cannot renew an adopted session's lease"),
                },
                _ = check.tick(), if connected && unsubscribed >= filters.len() => {
                    if link.settled(quiet_ms) {
                        return if disconnect(client, ctl).await {
                            tracing::info!(lease = %self.lease, received = link.received(), "adopted session drained: every publish the broker kept for it is stored and acknowledged");
                            Ok(Outcome::Drained)
                        } else {
                            Err("DISCONNECT not confirmed after draining".into())
                        };
                    }
                }
            }
        }
    }

    /// Renews the lease if it is still ours.
    async fn renew(&self) -> crate::Result<bool> {
        let now = clock::now_ms();
        self.store
            .try_acquire_lease(&self.lease, &self.holder, now, self.ttl_ms)
            .await
    }

    /// Keeps the lease as `drained:<holder>`, never expiring: the session has no
    /// subscription left, so nobody adopts it again until its owner takes it back.
    async fn mark_drained(&self) {
        let marker = format!("{DRAINED}{}", self.holder);
        match self
            .store
            .hand_lease(&self.lease, &self.holder, &marker, i64::MAX)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(lease = %self.lease, "the drained session's lease was taken meanwhile")
            }
            Err(e) => {
                tracing::warn!(lease = %self.lease, cause = %e, "cannot mark the session drained; its lease expires and it is adopted (empty) again")
            }
        }
    }
}

/// The holder of a drained session's lease: `drained:<adopter>`.
pub(crate) const DRAINED: &str = "drained:";

/// Sends DISCONNECT after every acknowledgement already queued; true once it was written.
async fn disconnect(client: &AsyncClient, ctl: &mut mpsc::UnboundedReceiver<Ctl>) -> bool {
    let written = async {
        client.disconnect().await.ok()?;
        loop {
            match ctl.recv().await? {
                Ctl::Disconnected => return Some(()),
                Ctl::Lost(_) => return None,
                Ctl::ConnAck { .. } | Ctl::UnsubAck => {}
            }
        }
    };
    matches!(
        tokio::time::timeout(DISCONNECT_WAIT, written).await,
        Ok(Some(()))
    )
}
