//! [`Backend`]: the application services in one cheap-to-clone handle, and its start-up.
//!
//! Each concern adds methods in its own file: `admin` (configuration), `alerts`,
//! `commands`, `presence`, `ingest`, `auth`. Background tasks (history writer, timers) are
//! started by [`Backend::start`] and end with the runtime.

use crate::alerts::AlertKey;
use crate::bus::Bus;
use crate::live::{LiveEvent, LiveHub};
use crate::metrics::Metrics;
use crate::registry::Registry;
use crate::state::StateTable;
use crate::writer::Writer;
use crate::{Result, Store};
use settings::Settings;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// The backend's services. Clone it freely.
#[derive(Clone)]
pub struct Backend {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub settings: Settings,
    pub store: Store,
    pub registry: Registry,
    pub state: StateTable,
    pub live: LiveHub,
    pub metrics: Arc<Metrics>,
    pub writer: Writer,
    pub bus: Bus,
    pub alerts: tokio::sync::Mutex<HashMap<AlertKey, i32>>,
    pub auth_cache: Mutex<HashMap<String, (String, [u8; 32])>>,
    /// Live MQTT sessions per CCU, closed when its secret changes or it is removed.
    pub sessions: broker::sessions::Sessions,
    pub backend_login: (String, String),
    pub fingerprint: Mutex<Option<(u64, i64, u64, i64)>>,
    /// Serialises registry reloads so that a slow, stale one never overwrites a newer one.
    pub reload_lock: tokio::sync::Mutex<()>,
    /// Provisioning of an external broker's logins (`external`), if configured.
    pub dynsec: Option<crate::external::dynsec::Dynsec>,
    /// People's password hashes, in a budget apart from CCU logins.
    pub passwords: crate::passwords::Passwords,
    /// Serialises registrations, so "the first user" is one user.
    pub register_lock: tokio::sync::Mutex<()>,
    /// Legacy CCUs: the last address a request for each was refused from.
    pub legacy_refused: crate::legacy::RefusedAddrs,
}

impl Backend {
    /// Loads configuration and state from the store and starts the background tasks.
    ///
    /// `backend_login` is the username and password the backend's own MQTT client uses
    /// (the broker's auth hook admits it).
    pub async fn start(
        settings: Settings,
        store: Store,
        bus: Bus,
        backend_login: (String, String),
    ) -> Result<Backend> {
        let metrics = Arc::new(Metrics::default());
        let (writer, _task) = Writer::spawn(
            store.clone(),
            settings.history.batch_size,
            settings.history.flush_interval,
            metrics.clone(),
        );
        let sessions = broker::sessions::Sessions::new(metrics.broker.clone());
        let dynsec = crate::external::connect(&settings);
        let passwords = crate::passwords::Passwords::new(
            settings.accounts.password_hash_concurrency,
            settings.accounts.password_hash_queue,
        );
        let backend = Backend {
            inner: Arc::new(Inner {
                settings,
                store,
                registry: Registry::default(),
                state: StateTable::default(),
                live: LiveHub::default(),
                metrics,
                writer,
                bus,
                alerts: tokio::sync::Mutex::new(HashMap::new()),
                auth_cache: Mutex::new(HashMap::new()),
                sessions,
                backend_login,
                fingerprint: Mutex::new(None),
                reload_lock: tokio::sync::Mutex::new(()),
                dynsec,
                passwords,
                register_lock: tokio::sync::Mutex::new(()),
                legacy_refused: Default::default(),
            }),
        };
        backend.inner.registry.reload(&backend.inner.store).await?;
        let ccus = backend.inner.store.list_ccus(None).await?;
        let outlets = backend.inner.store.list_outlets(None, None).await?;
        backend.inner.state.seed(&ccus, &outlets);
        backend.load_active_alerts().await?;
        backend.spawn_broker_sync().await;
        backend.spawn_timers();
        Ok(backend)
    }

    /// The settings in effect.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// People's password-hashing budget and its counters.
    pub fn passwords(&self) -> &crate::passwords::Passwords {
        &self.inner.passwords
    }

    /// Counters.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Live state of devices.
    pub fn state(&self) -> &StateTable {
        &self.inner.state
    }

    /// The configuration cache.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// A new subscriber to the live event stream (every user's events).
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.inner.live.subscribe()
    }

    /// A new subscriber to `user`'s live events only.
    pub fn subscribe_user(&self, user: i32) -> broadcast::Receiver<LiveEvent> {
        self.inner.live.subscribe_user(user)
    }

    /// Waits until every reading accepted so far is committed to the store.
    pub async fn flush(&self) {
        self.inner.writer.flush().await
    }

    fn spawn_timers(&self) {
        let s = &self.inner.settings;
        spawn_every(self.clone(), s.commands.check_interval, |b| async move {
            b.check_command_timeouts().await
        });
        spawn_every(self.clone(), s.presence.check_interval, |b| async move {
            b.check_presence().await
        });
        spawn_every(self.clone(), s.presence.refresh_interval, |b| async move {
            b.refresh_from_store().await
        });
        if self.inner.store.backend() == sea_orm::DbBackend::Sqlite {
            spawn_every(self.clone(), CHECKPOINT_INTERVAL, |b| async move {
                b.inner.store.checkpoint().await
            });
        }
    }
}

/// How often the SQLite WAL is checkpointed off the request path (see `Store::checkpoint`).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// Runs `f` every `period` until the runtime ends; an error is logged, never fatal.
fn spawn_every<F, Fut>(backend: Backend, period: Duration, f: F)
where
    F: Fn(Backend) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let weak = Arc::downgrade(&backend.inner);
    drop(backend);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(inner) = weak.upgrade() else { return };
            if let Err(e) = f(Backend { inner }).await {
                tracing::warn!(cause = %e, "periodic task failed");
            }
        }
    });
}
