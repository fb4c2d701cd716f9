//! The live event stream inside the process: readings, state changes, alerts, commands.
//!
//! `tokio::sync::broadcast` channels: a slow subscriber lags and skips, it never slows
//! ingest. Every event names the owning user. Besides the stream of every event there is one
//! channel per user with subscribers, so that a dashboard is woken only by its own user's
//! events: with one shared channel, 100 dashboards of other users each woke for every one of
//! 10 000 readings/s to throw it away (bench `live`).

use crate::domain::{AlertRecord, CommandRecord};
use crate::metrics::Metrics;
use crate::watchers::Watchers;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;
use tokio::sync::{Notify, broadcast, mpsc, watch};

/// How many events a subscriber may fall behind before it skips.
pub const CAPACITY: usize = 8192;

/// Something a live view should show.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveEvent {
    /// An outlet reading (after noise floor).
    Reading {
        /// Owner.
        user_id: i32,
        /// CCU.
        ccu_id: String,
        /// Outlet id.
        outlet_id: i32,
        /// Device id.
        device_id: String,
        /// Socket A (mA).
        current_a: i64,
        /// Socket B (mA).
        current_b: i64,
        /// Relay A.
        relay_a: Option<bool>,
        /// Relay B.
        relay_b: Option<bool>,
        /// Overload trip.
        is_overload: bool,
        /// When (unix ms).
        ts: i64,
    },
    /// A breaker reading.
    Breaker {
        /// Owner.
        user_id: i32,
        /// CCU.
        ccu_id: String,
        /// Load (mA).
        current_ma: i64,
        /// Threshold (mA).
        threshold_ma: i64,
        /// When (unix ms).
        ts: i64,
    },
    /// A relay's confirmed state changed.
    Relay {
        /// Owner.
        user_id: i32,
        /// Outlet id.
        outlet_id: i32,
        /// Device id.
        device_id: String,
        /// `a` or `b`.
        socket: String,
        /// New state.
        on: bool,
    },
    /// A CCU or outlet came or went.
    Presence {
        /// Owner.
        user_id: i32,
        /// CCU.
        ccu_id: String,
        /// Outlet id, for outlet presence.
        outlet_id: Option<i32>,
        /// Online now.
        online: bool,
        /// When (unix ms).
        ts: i64,
    },
    /// An alert was raised, cleared or acknowledged.
    Alert {
        /// Owner.
        user_id: i32,
        /// The alert after the change.
        alert: AlertRecord,
    },
    /// A command changed state.
    Command {
        /// Owner of the outlet.
        user_id: i32,
        /// The command after the change.
        command: CommandRecord,
    },
}

impl LiveEvent {
    /// The owner the event concerns.
    pub fn user_id(&self) -> i32 {
        match self {
            LiveEvent::Reading { user_id, .. }
            | LiveEvent::Breaker { user_id, .. }
            | LiveEvent::Relay { user_id, .. }
            | LiveEvent::Presence { user_id, .. }
            | LiveEvent::Alert { user_id, .. }
            | LiveEvent::Command { user_id, .. } => *user_id,
        }
    }
}

/// The sending side; cheap to clone.
#[derive(Debug, Clone)]
pub struct LiveHub {
    all: broadcast::Sender<LiveEvent>,
    users: Arc<RwLock<HashMap<i32, broadcast::Sender<LiveEvent>>>>,
    /// Where events also go for the other instances (`fanout`), once started.
    remote: Arc<OnceLock<Remote>>,
    /// Woken when a subscriber arrives.
    subscribed: Arc<Notify>,
    /// What this instance last told the others it watches (`fanout::watch`).
    announced: Arc<watch::Sender<Announced>>,
}

/// A watched set as announced: every user, or these (in order).
#[derive(Debug, Clone, Default)]
struct Announced {
    all: bool,
    users: Vec<i32>,
}

/// How long a new live stream waits for the other instances to be told of its user.
const ANNOUNCE_WAIT: Duration = Duration::from_secs(1);

/// The queue to the instance's fan-out publisher.
#[derive(Debug)]
struct Remote {
    tx: mpsc::Sender<LiveEvent>,
    metrics: Arc<Metrics>,
    watchers: Arc<Watchers>,
}

impl Remote {
    /// Whether `event` goes to the other instances: a reading or breaker load only when one
    /// of them watches its user, anything else always (they learn state from it).
    fn shares(&self, event: &LiveEvent) -> bool {
        match event {
            LiveEvent::Reading { user_id, .. } | LiveEvent::Breaker { user_id, .. } => {
                let wanted = self.watchers.wants(*user_id);
                if !wanted {
                    self.metrics.live_fanout_unwatched.fetch_add(1, Relaxed);
                }
                wanted
            }
            _ => true,
        }
    }
}

impl Default for LiveHub {
    fn default() -> Self {
        LiveHub {
            all: broadcast::channel(CAPACITY).0,
            users: Arc::default(),
            remote: Arc::default(),
            subscribed: Arc::default(),
            announced: Arc::new(watch::channel(Announced::default()).0),
        }
    }
}

impl LiveHub {
    /// Sends an event this instance produced: to its own subscribers and, with a fan-out
    /// started, to the other instances' (a full queue counts it lost; never waits).
    pub fn send(&self, event: LiveEvent) {
        if let Some(remote) = self.remote.get()
            && remote.shares(&event)
            && remote.tx.try_send(event.clone()).is_err()
        {
            remote.metrics.live_fanout_lost.fetch_add(1, Relaxed);
        }
        self.send_local(event);
    }

    /// From now on, also queues every event sent here for the other instances.
    pub(crate) fn forward_to(
        &self,
        tx: mpsc::Sender<LiveEvent>,
        metrics: Arc<Metrics>,
        watchers: Arc<Watchers>,
    ) {
        let _ = self.remote.set(Remote {
            tx,
            metrics,
            watchers,
        });
    }

    /// Woken whenever a subscriber arrives (what the other instances are told about).
    pub(crate) fn subscriptions(&self) -> Arc<Notify> {
        self.subscribed.clone()
    }

    /// Records what the announcer told the other instances (`all`, or `users` in order).
    pub(crate) fn set_announced(&self, all: bool, users: Vec<i32>) {
        self.announced.send_replace(Announced { all, users });
    }

    /// Waits until the other instances have been told that this instance watches `user`
    /// (at most [`ANNOUNCE_WAIT`]; at once without a fan-out), so that a stream that starts
    /// after it gets the readings they produce from then on. False when the wait ran out.
    pub async fn announced(&self, user: i32) -> bool {
        if self.remote.get().is_none() {
            return true;
        }
        let mut rx = self.announced.subscribe();
        let told = rx.wait_for(|a| a.all || a.users.binary_search(&user).is_ok());
        matches!(tokio::time::timeout(ANNOUNCE_WAIT, told).await, Ok(Ok(_)))
    }

    /// Whether anything subscribes to every event, and the users with a subscriber, in
    /// order.
    pub(crate) fn watched(&self) -> (bool, Vec<i32>) {
        let users = self.users.read().unwrap_or_else(|e| e.into_inner());
        let mut watched: Vec<i32> = users
            .iter()
            .filter(|(_, tx)| tx.receiver_count() > 0)
            .map(|(user, _)| *user)
            .collect();
        watched.sort_unstable();
        (self.all.receiver_count() > 0, watched)
    }

    /// Sends to this instance's subscribers of every event and to those of the event's
    /// user (no subscriber is fine): an event of this instance, or one another instance
    /// shared.
    pub fn send_local(&self, event: LiveEvent) {
        let user = {
            let users = self.users.read().unwrap_or_else(|e| e.into_inner());
            users.get(&event.user_id()).cloned()
        };
        // `all` has no subscriber in production (tests use it): no clone for it then
        match user {
            Some(tx) if self.all.receiver_count() == 0 => {
                let _ = tx.send(event);
            }
            Some(tx) => {
                let _ = tx.send(event.clone());
                let _ = self.all.send(event);
            }
            None => {
                let _ = self.all.send(event);
            }
        }
    }

    /// A new subscriber to every event, starting now.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        let rx = self.all.subscribe();
        self.subscribed.notify_one();
        rx
    }

    /// A new subscriber to `user`'s events only, starting now.
    pub fn subscribe_user(&self, user: i32) -> broadcast::Receiver<LiveEvent> {
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        // channels whose last subscriber is gone are dropped here, not on the hot path
        users.retain(|_, tx| tx.receiver_count() > 0);
        let rx = users
            .entry(user)
            .or_insert_with(|| broadcast::channel(CAPACITY).0)
            .subscribe();
        self.subscribed.notify_one();
        rx
    }

    /// Users with a channel of their own.
    #[cfg(test)]
    fn user_channels(&self) -> usize {
        self.users.read().map(|u| u.len()).unwrap_or_default()
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
            ts: 0,
        }
    }

    fn current(ev: LiveEvent) -> (i32, i64) {
        match ev {
            LiveEvent::Breaker {
                user_id,
                current_ma,
                ..
            } => (user_id, current_ma),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_user_subscriber_sees_only_its_user_and_all_sees_everything() {
        let hub = LiveHub::default();
        let mut one = hub.subscribe_user(1);
        let mut two = hub.subscribe_user(2);
        let mut all = hub.subscribe();
        for (user, ma) in [(1, 10), (2, 20), (3, 30), (1, 11)] {
            hub.send(breaker(user, ma));
        }
        assert_eq!(current(one.try_recv().unwrap()), (1, 10));
        assert_eq!(current(one.try_recv().unwrap()), (1, 11));
        assert!(one.try_recv().is_err());
        assert_eq!(current(two.try_recv().unwrap()), (2, 20));
        assert!(two.try_recv().is_err());
        let seen: Vec<_> = std::iter::from_fn(|| all.try_recv().ok())
            .map(current)
            .collect();
        assert_eq!(seen, vec![(1, 10), (2, 20), (3, 30), (1, 11)]);
    }

    #[test]
    fn channels_of_gone_subscribers_are_dropped() {
        let hub = LiveHub::default();
        drop(hub.subscribe_user(1));
        let _two = hub.subscribe_user(2);
        assert_eq!(hub.user_channels(), 1);
        // a user's later subscriber gets a fresh channel and what is sent from then on
        let mut again = hub.subscribe_user(1);
        hub.send(breaker(1, 5));
        assert_eq!(current(again.try_recv().unwrap()), (1, 5));
    }

    #[tokio::test]
    async fn a_stream_waits_until_the_other_instances_know_its_user() {
        let hub = LiveHub::default();
        assert!(hub.announced(1).await, "no fan-out: nothing to wait for");
        let (tx, _rx) = mpsc::channel(1);
        hub.forward_to(tx, Arc::default(), Arc::default());
        hub.set_announced(false, vec![2, 5]);
        assert!(hub.announced(5).await);
        let waiting = tokio::spawn({
            let hub = hub.clone();
            async move { hub.announced(7).await }
        });
        tokio::task::yield_now().await;
        hub.set_announced(false, vec![2, 5, 7]);
        assert!(waiting.await.unwrap(), "told while it waited");
        hub.set_announced(false, vec![]);
        assert!(
            !hub.announced(7).await,
            "never told: gives up after the wait"
        );
        hub.set_announced(true, vec![]);
        assert!(hub.announced(9).await, "every user");
    }
}
