//! The backend's background tasks and their shutdown: every task is started here, owned
//! here, and stopped here, in the order that loses nothing (see [`Tasks::stop`]).
//!
//! Modelled on mini-redis: a stop signal every loop selects on, and handles to wait for each
//! task's end. The intake (MQTT client pump → ingest loop) drains before the timers stop,
//! and the timers before the history writer writes its last batch; the MQTT connection
//! itself (the link) stops last, once the acknowledgements of that batch are written.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Stop signals and handles of the backend's tasks.
#[derive(Debug)]
pub struct Tasks {
    stop_intake: watch::Sender<bool>,
    stop_timers: watch::Sender<bool>,
    stop_link: watch::Sender<bool>,
    intake: Mutex<Vec<JoinHandle<()>>>,
    link: Mutex<Vec<JoinHandle<()>>>,
    timers: Mutex<Vec<JoinHandle<()>>>,
    /// Unix ms of the last message the MQTT client received.
    last_message: AtomicI64,
}

impl Default for Tasks {
    fn default() -> Tasks {
        Tasks {
            stop_intake: watch::channel(false).0,
            stop_timers: watch::channel(false).0,
            stop_link: watch::channel(false).0,
            intake: Mutex::default(),
            link: Mutex::default(),
            timers: Mutex::default(),
            last_message: AtomicI64::new(0),
        }
    }
}

/// What a task selects on: resolves once its part is told to stop.
#[derive(Debug, Clone)]
pub struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    /// Resolves when the stop is signalled (at once if it already was).
    pub async fn stopped(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

impl Tasks {
    /// The signal for intake tasks (the MQTT client's pump).
    pub fn intake_signal(&self) -> StopSignal {
        StopSignal(self.stop_intake.subscribe())
    }

    /// The signal that ends the MQTT client's connection (after the writer's last commit).
    pub fn link_signal(&self) -> StopSignal {
        StopSignal(self.stop_link.subscribe())
    }

    /// Takes ownership of the MQTT client's pump: it stops forwarding with the intake and
    /// ends with [`Tasks::stop_link`].
    pub fn own_link(&self, task: JoinHandle<()>) {
        self.link
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
    }

    /// Ends the MQTT client's connection and waits for its pump.
    pub async fn stop_link(&self) {
        self.stop_link.send_replace(true);
        join_all(&self.link).await;
    }

    /// The signal for timers.
    pub fn timer_signal(&self) -> StopSignal {
        StopSignal(self.stop_timers.subscribe())
    }

    /// Takes ownership of an intake task (pump or ingest loop).
    pub fn own_intake(&self, task: JoinHandle<()>) {
        self.intake
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
    }

    /// Takes ownership of a timer.
    pub fn own_timer(&self, task: JoinHandle<()>) {
        self.timers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
    }

    /// The MQTT client received a message now.
    pub fn message_seen(&self, now_ms: i64) {
        self.last_message.store(now_ms, Relaxed);
    }

    /// Stops the intake: with `quiet`, first waits until the MQTT client has received
    /// nothing for that long (what the broker acknowledged to devices before their
    /// sessions closed is still on its way), at most `QUIET_LIMIT`; then stops the pump's
    /// forwarding and
    /// waits until the ingest loop has handled every message already received.
    pub async fn stop_intake(&self, quiet: Option<Duration>) {
        if let Some(quiet) = quiet {
            let limit = tokio::time::Instant::now() + QUIET_LIMIT;
            let quiet_ms = i64::try_from(quiet.as_millis()).unwrap_or(i64::MAX);
            loop {
                let since = crate::clock::now_ms() - self.last_message.load(Relaxed);
                if since >= quiet_ms || tokio::time::Instant::now() >= limit {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(
                    u64::try_from(quiet_ms - since).unwrap_or(1).max(1),
                ))
                .await;
            }
        }
        self.stop_intake.send_replace(true);
        join_all(&self.intake).await;
    }

    /// Stops the timers and waits for a running round to end.
    pub async fn stop_timers(&self) {
        self.stop_timers.send_replace(true);
        join_all(&self.timers).await;
    }
}

/// Longest wait for the MQTT client to fall quiet at shutdown.
const QUIET_LIMIT: Duration = Duration::from_secs(5);

async fn join_all(tasks: &Mutex<Vec<JoinHandle<()>>>) {
    let handles = std::mem::take(&mut *tasks.lock().unwrap_or_else(|e| e.into_inner()));
    for h in handles {
        if let Err(e) = h.await
            && e.is_panic()
        {
            tracing::error!("a background task panicked before shutdown");
        }
    }
}
