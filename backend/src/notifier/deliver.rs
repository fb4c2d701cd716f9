//! Delivery: the HTTP client (public addresses only, no redirects, a time-out), the queue's
//! worker, and one attempt at one target.

use super::Notification;
use super::format::{self, TargetKind};
use super::guard::{self, PublicOnly};
use crate::metrics::Metrics;
use crate::store::{Store, TargetRecord};
use serde::Serialize;
use settings::NotificationSettings;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};

/// Deliveries in flight at most.
const CONCURRENCY: usize = 16;

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The target answered 2xx.
    pub delivered: bool,
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Why not, when not (never the URL).
    pub error: Option<String>,
}

/// The queue's sending side and the HTTP client.
pub struct Notifier {
    tx: mpsc::Sender<Notification>,
    client: reqwest::Client,
    settings: NotificationSettings,
}

impl Notifier {
    /// A notifier and the receiving side of its queue.
    pub fn new(settings: NotificationSettings) -> (Notifier, mpsc::Receiver<Notification>) {
        let (tx, rx) = super::channel(settings.queue);
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(PublicOnly {
                allow_private: settings.allow_private_targets,
            }))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .user_agent(concat!("smart-outlet/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with rustls");
        (
            Notifier {
                tx,
                client,
                settings,
            },
            rx,
        )
    }

    /// Queues `n`; false when the queue is full.
    pub fn queue(&self, n: Notification) -> bool {
        self.tx.try_send(n).is_ok()
    }

    /// One attempt to send `n` to `target`.
    pub async fn send_once(&self, target: &TargetRecord, n: &Notification) -> Delivery {
        let failed = |error: String| Delivery {
            delivered: false,
            status: None,
            error: Some(error),
        };
        let Some(kind) = TargetKind::parse(&target.kind) else {
            return failed(format!("unknown target kind {}", target.kind));
        };
        // Checked again: a literal address bypasses the resolver.
        let url = match guard::check_url(&target.url, self.settings.allow_private_targets) {
            Ok(u) => u,
            Err(e) => return failed(e),
        };
        let (body, headers) = format::request(kind, n);
        let mut req = self.client.post(url).body(body);
        for (name, value) in headers {
            req = req.header(name, value);
        }
        match req.send().await {
            Ok(r) => Delivery {
                delivered: r.status().is_success(),
                status: Some(r.status().as_u16()),
                error: (!r.status().is_success()).then(|| format!("answered {}", r.status())),
            },
            // Without the URL: it may hold a token.
            Err(e) => failed(describe(&e)),
        }
    }

    /// Sends every queued notification to its user's targets until `stop`, each delivery
    /// retried with back-off; at most [`CONCURRENCY`] at once.
    pub async fn run(
        self: Arc<Self>,
        mut rx: mpsc::Receiver<Notification>,
        store: Store,
        metrics: Arc<Metrics>,
        mut stop: crate::tasks::StopSignal,
    ) {
        let slots = Arc::new(Semaphore::new(CONCURRENCY));
        loop {
            let n = tokio::select! {
                biased;
                _ = stop.stopped() => return,
                n = rx.recv() => match n { Some(n) => n, None => return },
            };
            let targets = match store.notification_targets(n.user_id).await {
                Ok(t) => t,
                Err(e) => {
                    metrics.notifications_failed.fetch_add(1, Relaxed);
                    tracing::warn!(cause = %e, "cannot read notification targets; notification not sent");
                    continue;
                }
            };
            let n = Arc::new(n);
            for target in targets {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let (me, n, metrics) = (self.clone(), n.clone(), metrics.clone());
                tokio::spawn(async move {
                    let _slot = slot;
                    me.deliver(&target, &n, &metrics).await;
                });
            }
        }
    }

    /// Up to `notifications.attempts` attempts, 1 s, 2 s, 4 s … apart.
    async fn deliver(&self, target: &TargetRecord, n: &Notification, metrics: &Metrics) {
        let mut wait = Duration::from_secs(1);
        for attempt in 1..=self.settings.attempts {
            let d = self.send_once(target, n).await;
            if d.delivered {
                metrics.notifications_sent.fetch_add(1, Relaxed);
                return;
            }
            tracing::warn!(
                target = target.id,
                user = target.user_id,
                kind = %target.kind,
                attempt,
                cause = d.error.as_deref().unwrap_or("?"),
                "notification not delivered"
            );
            if attempt < self.settings.attempts {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
        metrics.notifications_failed.fetch_add(1, Relaxed);
    }
}

/// What went wrong, without the URL.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect (or the host has no public address)"
    } else if e.is_request() {
        "request failed"
    } else {
        "failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {cause}")
    }
}
