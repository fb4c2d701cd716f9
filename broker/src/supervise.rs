//! Watching the embedded broker: its router thread and its listeners. rumqttd runs its
//! router on a thread of its own and each listener as a task; if one of them ends, devices
//! can no longer connect, so the failure is recorded in [`Stats::health`] (read by
//! `/healthz`, `/readyz`) and the process ends non-zero (the caller waits on
//! [`crate::stats::Health::wait_failed`]).

use crate::stats::Stats;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the supervisor looks.
const TICK: Duration = Duration::from_millis(200);
/// How often the router is asked to admit a probe link, and how long it may take.
pub(crate) const PROBE_EVERY: Duration = Duration::from_secs(5);
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Something the supervisor can ask whether the router still answers.
pub(crate) type Probe = Arc<dyn Fn() -> bool + Send + Sync>;

/// Watches the router (`router_gone`: its event channel is disconnected once the thread has
/// ended), each named listener task, and a periodic probe; stops when `stopping` is set.
pub(crate) fn spawn(
    router_gone: Box<dyn Fn() -> bool + Send + Sync>,
    listeners: Vec<(&'static str, JoinHandle<()>)>,
    probe: Probe,
    probe_every: Duration,
    stats: Arc<Stats>,
    stopping: Arc<AtomicBool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut since_probe = Duration::ZERO;
        loop {
            tokio::time::sleep(TICK).await;
            if stopping.load(Relaxed) {
                return;
            }
            if router_gone() {
                stats.health.fail("router");
                return;
            }
            if let Some((name, _)) = listeners.iter().find(|(_, l)| l.is_finished()) {
                if !stopping.load(Relaxed) {
                    stats.health.fail(name);
                }
                return;
            }
            since_probe += TICK;
            if since_probe >= probe_every {
                since_probe = Duration::ZERO;
                let p = probe.clone();
                let answered =
                    tokio::time::timeout(PROBE_TIMEOUT, tokio::task::spawn_blocking(move || p()))
                        .await;
                if !matches!(answered, Ok(Ok(true))) && !stopping.load(Relaxed) {
                    stats.health.fail("router");
                    return;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn never() -> Probe {
        Arc::new(|| true)
    }

    async fn ended(task: JoinHandle<()>) {
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("supervisor ends")
            .expect("no panic");
    }

    #[tokio::test]
    async fn a_stopped_router_is_reported() {
        let stats = Arc::new(Stats::default());
        let gone = Arc::new(AtomicBool::new(false));
        let g = gone.clone();
        let task = spawn(
            Box::new(move || g.load(Relaxed)),
            vec![],
            never(),
            PROBE_EVERY,
            stats.clone(),
            Arc::new(AtomicBool::new(false)),
        );
        tokio::time::sleep(TICK * 2).await;
        assert_eq!(stats.health.failed(), None);
        gone.store(true, Relaxed);
        ended(task).await;
        assert_eq!(stats.health.failed(), Some("router"));
    }

    #[tokio::test]
    async fn a_finished_listener_is_reported_unless_stopping() {
        let stats = Arc::new(Stats::default());
        let listener = tokio::spawn(async {});
        let task = spawn(
            Box::new(|| false),
            vec![("mqtt listener", listener)],
            never(),
            PROBE_EVERY,
            stats.clone(),
            Arc::new(AtomicBool::new(false)),
        );
        ended(task).await;
        assert_eq!(stats.health.failed(), Some("mqtt listener"));

        let stats = Arc::new(Stats::default());
        let stopping = Arc::new(AtomicBool::new(true));
        let task = spawn(
            Box::new(|| true),
            vec![("mqtt listener", tokio::spawn(async {}))],
            never(),
            PROBE_EVERY,
            stats.clone(),
            stopping,
        );
        ended(task).await;
        assert_eq!(stats.health.failed(), None, "a shutdown is no failure");
    }

    #[tokio::test]
    async fn a_router_that_stops_answering_is_reported() {
        let stats = Arc::new(Stats::default());
        let every = Duration::from_millis(400);
        let task = spawn(
            Box::new(|| false),
            vec![],
            Arc::new(|| false),
            every,
            stats.clone(),
            Arc::new(AtomicBool::new(false)),
        );
        tokio::time::timeout(every * 5, task)
            .await
            .expect("reported within a probe period")
            .unwrap();
        assert_eq!(stats.health.failed(), Some("router"));
    }
}
