//! Live events across instances: each instance publishes the events it produces on one
//! PostgreSQL channel and hands what the other instances publish to its own subscribers, so
//! a browser connected to any instance sees every reading and command update of its user.
//!
//! Events are batched (one `NOTIFY` per [`FLUSH`] or per full payload), tagged with the
//! sending instance, which skips its own. Live views are lossy by design (a slow browser
//! skips, a reload shows the stored state): when the queue is full, an event is larger than
//! a payload, or the listening connection was lost, events are counted as lost, never
//! waited for. Ingest never waits on this path. Alert and presence events also update this
//! instance's book of active alerts and its presence table (changes decided elsewhere).

use crate::alerts::active::ActiveAlerts;
use crate::live::{LiveEvent, LiveHub};
use crate::metrics::Metrics;
use crate::state::StateTable;
use crate::store::{MAX_PAYLOAD, Store};
use crate::tasks::StopSignal;
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

mod watch;
use crate::watchers::{Announcement, Watchers};
pub use watch::{REFRESH, WATCH_CHANNEL};

/// The PostgreSQL channel.
pub const CHANNEL: &str = "smart_outlet_live";
/// Events waiting to be published, at most.
pub const QUEUE: usize = 16_384;
/// How long an event may wait for others to share its `NOTIFY`.
pub const FLUSH: Duration = Duration::from_millis(20);

/// One `NOTIFY` payload: `{"from":"<instance>","events":[…]}`.
#[derive(Debug, Deserialize)]
struct Envelope {
    from: String,
    events: Vec<LiveEvent>,
}

/// Starts publishing this instance's events and relaying the others'; returns the two
/// tasks. Both end at `stop` (the publisher sends what it holds first).
pub async fn start(
    store: Store,
    live: &LiveHub,
    alerts: Arc<ActiveAlerts>,
    state: Arc<StateTable>,
    metrics: Arc<Metrics>,
    instance: String,
    stop: [StopSignal; 3],
) -> Result<[JoinHandle<()>; 3], crate::Error> {
    let listener = store.listen(&[CHANNEL, WATCH_CHANNEL]).await?;
    let (tx, rx) = mpsc::channel(QUEUE);
    let watchers = Arc::new(Watchers::default());
    live.forward_to(tx, metrics.clone(), watchers.clone());
    let [stop_publisher, stop_relay, stop_announcer] = stop;
    let announcer = tokio::spawn(watch::announce(
        store.clone(),
        live.clone(),
        watchers.clone(),
        metrics.clone(),
        instance.clone(),
        stop_announcer,
    ));
    let publisher = tokio::spawn(publish(
        store,
        rx,
        metrics.clone(),
        instance.clone(),
        stop_publisher,
    ));
    let relay = tokio::spawn(relay(
        listener,
        Relay {
            live: live.clone(),
            alerts,
            state,
            watchers,
            metrics,
            instance,
        },
        stop_relay,
    ));
    Ok([publisher, relay, announcer])
}

async fn publish(
    store: Store,
    mut rx: mpsc::Receiver<LiveEvent>,
    metrics: Arc<Metrics>,
    instance: String,
    mut stop: StopSignal,
) {
    let mut batch = Batch::new(&instance);
    loop {
        let first = tokio::select! {
            biased;
            _ = stop.stopped() => None,
            ev = rx.recv() => ev,
        };
        let Some(first) = first else { break };
        batch.push(first, &store, &metrics).await;
        let deadline = tokio::time::Instant::now() + FLUSH;
        while let Ok(Some(ev)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            batch.push(ev, &store, &metrics).await;
        }
        batch.flush(&store, &metrics).await;
    }
    while let Ok(ev) = rx.try_recv() {
        batch.push(ev, &store, &metrics).await;
    }
    batch.flush(&store, &metrics).await;
}

/// The payload being filled.
struct Batch {
    head: String,
    body: String,
    events: u64,
}

/// An event that cannot be shared (it does not serialise, or is larger than a payload).
#[derive(Debug, PartialEq)]
struct TooLarge;

impl Batch {
    fn new(instance: &str) -> Batch {
        let from = serde_json::to_string(instance).unwrap_or_else(|_| "\"?\"".into());
        Batch {
            head: format!("{{\"from\":{from},\"events\":["),
            body: String::new(),
            events: 0,
        }
    }

    /// Adds `ev`; returns the full payload (and its event count) to send first when `ev`
    /// does not fit beside what is held.
    fn add(&mut self, ev: &LiveEvent) -> Result<Option<(String, u64)>, TooLarge> {
        let json = serde_json::to_string(ev).map_err(|_| TooLarge)?;
        if self.head.len() + json.len() + 2 > MAX_PAYLOAD {
            return Err(TooLarge);
        }
        let full = if self.head.len() + self.body.len() + json.len() + 3 > MAX_PAYLOAD {
            self.take()
        } else {
            None
        };
        if !self.body.is_empty() {
            self.body.push(',');
        }
        self.body.push_str(&json);
        self.events += 1;
        Ok(full)
    }

    /// The payload held (and its event count), if any; the batch is empty after.
    fn take(&mut self) -> Option<(String, u64)> {
        if self.events == 0 {
            return None;
        }
        let payload = format!("{}{}]}}", self.head, self.body);
        self.body.clear();
        Some((payload, std::mem::take(&mut self.events)))
    }

    async fn push(&mut self, ev: LiveEvent, store: &Store, metrics: &Metrics) {
        match self.add(&ev) {
            Ok(None) => {}
            Ok(Some(full)) => send(full, store, metrics).await,
            Err(TooLarge) => {
                metrics.live_fanout_lost.fetch_add(1, Relaxed);
                tracing::warn!("live event too large to share with other instances");
            }
        }
    }

    async fn flush(&mut self, store: &Store, metrics: &Metrics) {
        if let Some(full) = self.take() {
            send(full, store, metrics).await;
        }
    }
}

async fn send((payload, n): (String, u64), store: &Store, metrics: &Metrics) {
    match store.notify(CHANNEL, &payload).await {
        Ok(()) => {
            metrics.live_fanout_sent.fetch_add(n, Relaxed);
        }
        Err(e) => {
            let lost = metrics.live_fanout_lost.fetch_add(n, Relaxed) + n;
            tracing::warn!(cause = %e, events = n, lost_total = lost, "live events not shared with other instances");
        }
    }
}

/// What the relay hands received events and announcements to.
struct Relay {
    live: LiveHub,
    alerts: Arc<ActiveAlerts>,
    state: Arc<StateTable>,
    watchers: Arc<Watchers>,
    metrics: Arc<Metrics>,
    instance: String,
}

async fn relay(mut listener: crate::store::Listener, r: Relay, mut stop: StopSignal) {
    let own = Batch::new(&r.instance).head;
    loop {
        let got = tokio::select! {
            biased;
            _ = stop.stopped() => return,
            got = listener.next() => got,
        };
        match got {
            Ok(Some((channel, payload))) if channel == WATCH_CHANNEL => {
                match serde_json::from_str::<Announcement>(&payload) {
                    Ok(a) => r.watchers.learn(a, &r.instance),
                    Err(e) => {
                        r.metrics.live_fanout_lost.fetch_add(1, Relaxed);
                        tracing::warn!(cause = %e, "unreadable live watchers announcement");
                    }
                }
            }
            // this instance's own payloads come back too: skipped unparsed
            Ok(Some((_, payload))) if payload.starts_with(&own) => {}
            Ok(Some((_, payload))) => r.events(&payload).await,
            Ok(None) => {
                r.metrics.live_fanout_reconnects.fetch_add(1, Relaxed);
                // announcements were missed too: ask the others to repeat theirs
                r.watchers.resync();
                tracing::warn!(
                    "lost the connection that receives other instances' live events; reconnecting (events sent meanwhile are missed)"
                );
            }
            Err(e) => {
                tracing::warn!(cause = %e, "stopped receiving other instances' live events");
                // the pool is closed (shutdown) or the server refuses: try again later
                tokio::select! {
                    _ = stop.stopped() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}

impl Relay {
    /// Hands another instance's events to this instance's subscribers (and state).
    async fn events(&self, payload: &str) {
        let env = match serde_json::from_str::<Envelope>(payload) {
            Ok(env) if env.from == self.instance => return,
            Ok(env) => env,
            Err(e) => {
                self.metrics.live_fanout_lost.fetch_add(1, Relaxed);
                tracing::warn!(cause = %e, "unreadable live payload from another instance");
                return;
            }
        };
        self.metrics
            .live_fanout_received
            .fetch_add(env.events.len() as u64, Relaxed);
        for ev in env.events {
            match &ev {
                LiveEvent::Alert { alert, .. } => self.alerts.learn(alert).await,
                LiveEvent::Presence {
                    ccu_id,
                    outlet_id,
                    online,
                    ts,
                    ..
                } => self.state.learn_presence(ccu_id, *outlet_id, *online, *ts),
                LiveEvent::Relay {
                    outlet_id,
                    socket,
                    on,
                    ..
                } => self.state.learn_relay(*outlet_id, socket, *on),
                _ => {}
            }
            self.live.send_local(ev);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(user_id: i32, current_ma: i64) -> LiveEvent {
        LiveEvent::Breaker {
            user_id,
            ccu_id: "02".into(),
            current_ma,
            threshold_ma: 0,
            ts: 1,
        }
    }

    #[test]
    fn payloads_stay_under_the_limit_and_read_back_in_order() {
        let mut batch = Batch::new("instance-1");
        let mut payloads = Vec::new();
        for ma in 0..500 {
            if let Some(full) = batch.add(&breaker(7, ma)).unwrap() {
                payloads.push(full);
            }
        }
        payloads.extend(batch.take());
        assert!(payloads.len() > 1, "500 events need several payloads");
        let mut seen = Vec::new();
        for (payload, n) in payloads {
            assert!(payload.len() <= MAX_PAYLOAD, "{} bytes", payload.len());
            let env: Envelope = serde_json::from_str(&payload).unwrap();
            assert_eq!(env.from, "instance-1");
            assert_eq!(env.events.len() as u64, n);
            seen.extend(env.events.into_iter().map(|e| match e {
                LiveEvent::Breaker { current_ma, .. } => current_ma,
                other => panic!("{other:?}"),
            }));
        }
        assert_eq!(seen, (0..500).collect::<Vec<_>>());
        assert_eq!(batch.take(), None);
    }

    #[test]
    fn an_event_larger_than_a_payload_is_refused_alone() {
        let mut batch = Batch::new("i");
        batch.add(&breaker(1, 1)).unwrap();
        let huge = LiveEvent::Presence {
            user_id: 1,
            ccu_id: "x".repeat(MAX_PAYLOAD),
            outlet_id: None,
            online: true,
            ts: 0,
        };
        assert_eq!(batch.add(&huge), Err(TooLarge));
        let (_, n) = batch.take().unwrap();
        assert_eq!(n, 1, "what was held is still sent");
    }
}
