//! Which users' readings another instance wants: each instance announces the users it has a
//! live subscriber (a browser) of, on a channel of its own, and shares a reading or breaker
//! event only when another instance watches its user. Readings are nearly all of the live
//! traffic, and with one instance, or no browser open elsewhere, nobody wants them: sharing
//! them anyway cost a fifth of PostgreSQL ingest (`docs/BENCHMARKS.md`). Other events (relay,
//! presence, alerts, commands) are always shared: instances learn state from them.
//!
//! An instance announces its set when a subscriber arrives (at once), when it changes, every
//! [`REFRESH`], and when another instance says hello (at its start, or after its listening
//! connection was lost); it says goodbye (an empty set) when it stops. A set not refreshed
//! within `watchers::EXPIRY` is forgotten (an instance killed without a goodbye). A set too large
//! for one payload is announced as "every user".

use crate::live::LiveHub;
use crate::metrics::Metrics;
use crate::store::{MAX_PAYLOAD, Store};
use crate::tasks::StopSignal;
use crate::watchers::{Announcement, Watchers};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// The PostgreSQL channel of announcements.
pub const WATCH_CHANNEL: &str = "smart_outlet_watch";
/// How often an instance announces its set even when it has not changed.
pub const REFRESH: Duration = Duration::from_secs(10);
/// How often the local set is compared with the one announced (a browser leaving is
/// noticed this late; one arriving wakes the announcer at once).
const CHECK: Duration = Duration::from_secs(1);

/// This instance's announcement of what `live` has subscribers of.
fn announcement(live: &LiveHub, instance: &str, hello: bool) -> Announcement {
    let (all, users) = live.watched();
    bounded(Announcement {
        hello,
        ..Announcement::of(instance, all, users)
    })
}

/// `a`, or "every user" when its list does not fit in a payload.
fn bounded(mut a: Announcement) -> Announcement {
    if serde_json::to_string(&a).map_or(true, |s| s.len() > MAX_PAYLOAD) {
        a.all = true;
        a.users.clear();
    }
    a
}

/// Announces this instance's set until `stop`, then says goodbye.
pub async fn announce(
    store: Store,
    live: LiveHub,
    watchers: Arc<Watchers>,
    metrics: Arc<Metrics>,
    instance: String,
    mut stop: StopSignal,
) {
    let subscribed = live.subscriptions();
    // at start: say hello, so that the others announce theirs
    let (mut force, mut hello) = (true, true);
    let mut sent: Option<(Announcement, Instant)> = None;
    loop {
        let now = announcement(&live, &instance, hello);
        let stale = sent.as_ref().is_none_or(|(a, at)| {
            a.users != now.users || a.all != now.all || at.elapsed() >= REFRESH
        });
        if (stale || force) && send(&store, &metrics, &now).await {
            live.set_announced(now.all, now.users.clone());
            sent = Some((now, Instant::now()));
        }
        (force, hello) = (false, false);
        watchers.expire();
        tokio::select! {
            biased;
            _ = stop.stopped() => break,
            _ = subscribed.notified() => {}
            _ = watchers.answer.notified() => force = true,
            _ = watchers.resync.notified() => (force, hello) = (true, true),
            _ = tokio::time::sleep(CHECK) => {}
        }
    }
    send(
        &store,
        &metrics,
        &Announcement::of(&instance, false, Vec::new()),
    )
    .await;
    live.set_announced(false, Vec::new());
}

/// Sends `a`; true once sent.
async fn send(store: &Store, metrics: &Metrics, a: &Announcement) -> bool {
    let Ok(payload) = serde_json::to_string(a) else {
        return false;
    };
    match store.notify(WATCH_CHANNEL, &payload).await {
        Ok(()) => true,
        Err(e) => {
            metrics.live_fanout_lost.fetch_add(1, Relaxed);
            tracing::warn!(cause = %e, "cannot announce this instance's live watchers");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(from: &str, all: bool, users: &[i32]) -> Announcement {
        Announcement::of(from, all, users.to_vec())
    }

    #[test]
    fn the_local_set_is_the_users_with_a_subscriber() {
        let live = LiveHub::default();
        let (one, _two) = (live.subscribe_user(1), live.subscribe_user(2));
        assert_eq!(announcement(&live, "a", false), ann("a", false, &[1, 2]));
        drop(one);
        let everything = live.subscribe();
        assert_eq!(announcement(&live, "a", false), ann("a", true, &[2]));
        drop(everything);
        assert_eq!(announcement(&live, "a", true).users, [2]);
    }

    #[test]
    fn a_set_too_large_for_a_payload_is_announced_as_every_user() {
        let users: Vec<i32> = (1_000_000..1_002_000).collect();
        let a = bounded(ann("a", false, &users));
        assert!(a.all && a.users.is_empty());
        let small = bounded(ann("a", false, &users[..100]));
        assert!(!small.all && small.users.len() == 100);
    }
}
