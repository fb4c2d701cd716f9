//! Waiting on conditions and events with a deadline, instead of sleeping.

use backend::domain::{AlertKind, AlertRecord};
use backend::live::LiveEvent;
use std::future::Future;
use std::time::Duration;
use tokio::sync::broadcast;

/// Default deadline: only how long a test waits before it fails. Generous, because CI runs
/// the PostgreSQL pass of the whole suite on two cores (a fresh-clone rehearsal of 2026-12-02
/// saw one 15 s wait expire there under load; alone the same test takes 0.6 s).
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Polls `check` until it returns `Some`, or panics with `what` after the deadline.
pub async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `check` until it returns true.
pub async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for(what, || {
        let f = check();
        async move { f.await.then_some(()) }
    })
    .await
}

/// Waits for the first live event that `pick` accepts.
pub async fn wait_for_event<T>(
    rx: &mut broadcast::Receiver<LiveEvent>,
    what: &str,
    mut pick: impl FnMut(&LiveEvent) -> Option<T>,
) -> T {
    let fut = async {
        loop {
            match rx.recv().await {
                Ok(ev) => {
                    if let Some(v) = pick(&ev) {
                        return v;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => panic!("live stream closed"),
            }
        }
    };
    tokio::time::timeout(DEADLINE, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// The next alert of `kind` on the live stream (raised, updated or cleared).
pub async fn next_alert(
    rx: &mut broadcast::Receiver<LiveEvent>,
    what: &str,
    kind: AlertKind,
) -> AlertRecord {
    wait_for_event(rx, what, |e| match e {
        LiveEvent::Alert { alert, .. } if alert.kind == kind => Some(alert.clone()),
        _ => None,
    })
    .await
}

/// Waits until an alert of `kind` is cleared on the live stream.
pub async fn alert_cleared(rx: &mut broadcast::Receiver<LiveEvent>, what: &str, kind: AlertKind) {
    wait_for_event(rx, what, |e| match e {
        LiveEvent::Alert { alert, .. } if alert.kind == kind && !alert.active() => Some(()),
        _ => None,
    })
    .await
}
