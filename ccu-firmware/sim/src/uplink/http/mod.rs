//! The legacy HTTP uplink: a CCU that talks to the server exactly like the old ESP32 firmware
//! (compatibility spec §2.2 and §2.3), so that the two transports can be compared.
//!
//! The core still "publishes" as over MQTT; [`HttpUplink`] keeps what the old protocol can
//! carry (the latest reading per outlet, the latest breaker load) and drops the rest (status,
//! acks). A cycle task polls the server every period ([`cycle`]) with the firmware's requests
//! ([`body`]) and string searches ([`parse`]), and hands the core what it fetched as
//! `ccu/<id>/devices` and `ccu/<id>/cmd` messages. The session counts as connected while the
//! last cycle reached the server, so the core buffers readings while the server is down and
//! flushes them (a batch, of which the latest per outlet is kept) once it is back.
//!
//! One difference from the firmware: it sends its RF master id as the breaker's `ccu_id`; the
//! simulator sends its configured CCU id, because the server registers CCUs by id (`02`).

pub mod body;
pub mod cycle;
pub mod parse;
pub mod shared;

pub use shared::{Executed, LegacyHandle, LegacyStats};

use super::{Uplink, UplinkEvents};
use crate::SimError;
use ccu_core::hal::MqttSession;
use ccu_core::protocol::Topic;
use cycle::{Cycle, Link};
use shared::{Shared, SharedState, lock};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// The firmware's `CLOUD_SEND_INTERVAL_MS`.
pub const DEFAULT_PERIOD: Duration = Duration::from_millis(2_000);
/// The firmware's `BACKGROUND_POLL_INTERVAL_MS`.
pub const DEFAULT_BACKGROUND_INTERVAL: Duration = Duration::from_millis(30_000);
/// The firmware's `HTTP_TIMEOUT_MS`, per request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(5_000);

/// Where the old firmware's server is and how often it is polled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyHttpConfig {
    /// The server, e.g. `http://127.0.0.1:8000` (one trailing `/` is ignored, as in the
    /// firmware). Only `http://`: the simulator has no TLS.
    pub base_url: String,
    /// A cycle starts this long after the start of the previous one (or right after it, when
    /// it took longer).
    pub period: Duration,
    /// One background outlet is served when this long has passed since the last one.
    pub background_interval: Duration,
}

impl LegacyHttpConfig {
    /// The firmware's cadences: a cycle every 2 s, a background outlet every 30 s.
    pub fn new(base_url: impl Into<String>) -> LegacyHttpConfig {
        LegacyHttpConfig {
            base_url: base_url.into(),
            period: DEFAULT_PERIOD,
            background_interval: DEFAULT_BACKGROUND_INTERVAL,
        }
    }

    /// Sets both cadences.
    pub fn with_cadence(mut self, period: Duration, background_interval: Duration) -> Self {
        self.period = period;
        self.background_interval = background_interval;
        self
    }

    /// Checks the URL (`http://host[:port][/path]`) and that the period is not zero.
    pub fn validate(&self) -> Result<(), SimError> {
        let invalid = |reason: &str| SimError::InvalidLegacyHttp {
            url: self.base_url.clone(),
            reason: reason.to_string(),
        };
        if self.period.is_zero() {
            return Err(invalid("the cycle period must not be zero"));
        }
        let url = reqwest::Url::parse(&self.base_url).map_err(|e| invalid(&e.to_string()))?;
        if url.scheme() != "http" {
            return Err(invalid("only http:// is supported (no TLS)"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("no host"));
        }
        Ok(())
    }
}

/// A CCU's HTTP "session"; implements the core's `MqttSession`.
#[derive(Debug)]
pub struct HttpUplink {
    link: Link,
    config: LegacyHttpConfig,
    task: Option<JoinHandle<()>>,
    published: u64,
}

impl HttpUplink {
    /// An uplink (not yet polling) and the events the runner listens to.
    pub fn new(
        ccu_id: &str,
        config: LegacyHttpConfig,
    ) -> Result<(HttpUplink, UplinkEvents), SimError> {
        config.validate()?;
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let (connected, connected_rx) = watch::channel(false);
        let (messages, messages_rx) = mpsc::unbounded_channel();
        let shared: SharedState = Arc::new(Mutex::new(Shared::default()));
        let link = Link {
            ccu_id: ccu_id.to_string(),
            base: body::base_url(&config.base_url).to_string(),
            client,
            shared,
            connected,
            messages,
        };
        let uplink = HttpUplink {
            link,
            config,
            task: None,
            published: 0,
        };
        let events = UplinkEvents {
            messages: messages_rx,
            connected: connected_rx,
        };
        Ok((uplink, events))
    }

    /// A view of the uplink's state and counters, usable after the uplink moved into the CCU.
    pub fn handle(&self) -> LegacyHandle {
        LegacyHandle::new(self.link.shared.clone())
    }

    fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            // Aborting drops a request in flight: the server sees the connection vanish.
            task.abort();
        }
        self.link.connected.send_replace(false);
    }
}

impl MqttSession for HttpUplink {
    type Error = SimError;

    fn is_connected(&self) -> bool {
        *self.link.connected.borrow()
    }

    /// Keeps readings and the breaker load for the next cycle; drops status and acks.
    fn publish(&mut self, topic: &str, payload: &[u8], _retain: bool) -> Result<(), SimError> {
        if self.task.is_none() {
            return Err(SimError::Stopped(self.link.ccu_id.clone()));
        }
        self.published += 1;
        if let Some(topic) = Topic::parse(topic)
            && !lock(&self.link.shared).capture(topic.kind, payload)
        {
            tracing::warn!(ccu = %self.link.ccu_id, %topic, "cannot decode the core's publish");
        }
        Ok(())
    }
}

impl Uplink for HttpUplink {
    fn connect(&mut self) {
        if self.task.is_some() {
            return;
        }
        let cycle = Cycle::new(
            self.link.clone(),
            self.config.period,
            self.config.background_interval,
        );
        self.task = Some(tokio::spawn(cycle.run()));
    }

    fn cut(&mut self) {
        self.stop();
    }

    /// The old protocol has no goodbye: the cycle just stops.
    async fn close(&mut self) {
        self.stop();
    }

    fn published(&self) -> u64 {
        self.published
    }
}

impl Drop for HttpUplink {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
