//! [`Backend`]: the application services in one cheap-to-clone handle, and its start-up.
//!
//! [`Inner`] composes the concerns, each a type that owns its state (alert book, login
//! cache, configuration watch, MQTT link, tasks, …); the services are `impl Backend` blocks
//! in the file of the thing they act on. Background tasks are started here and owned by
//! [`Tasks`]; [`Backend::shutdown`] stops them in order.

use crate::adopt::state::Adoptions;
use crate::alerts::active::ActiveAlerts;
use crate::bus::{Bus, BusEvent, BusSettings};
use crate::config_watch::ConfigWatch;
use crate::lease::Lease;
use crate::legacy::refusal::RefusedAddrs;
use crate::live::{LiveEvent, LiveHub};
use crate::login_cache::LoginCache;
use crate::metrics::Metrics;
use crate::mqtt_link::{BackendLogin, MqttLink};
use crate::passwords::Passwords;
use crate::registry::Registry;
use crate::signups::Signups;
use crate::spool::{Spool, SpoolOptions};
use crate::state::StateTable;
use crate::tasks::Tasks;
use crate::writer::Writer;
use crate::{Result, Store};
use settings::Settings;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// The backend's services. Clone it freely.
#[derive(Clone)]
pub struct Backend {
    pub(crate) inner: Arc<Inner>,
}

/// The concerns the services are made of; each owns its state.
pub(crate) struct Inner {
    pub settings: Settings,
    pub store: Store,
    /// Configuration ingest needs on every message (CCUs, outlets).
    pub registry: Registry,
    /// Reload serialisation and the fingerprint of the configuration loaded.
    pub config: ConfigWatch,
    /// Live device state.
    pub state: Arc<StateTable>,
    pub live: LiveHub,
    pub metrics: Arc<Metrics>,
    /// The history writer.
    pub writer: Writer,
    /// The backend's client, login and sessions on the broker.
    pub mqtt: MqttLink,
    /// Active alerts by condition.
    pub alerts: Arc<ActiveAlerts>,
    /// CCU logins already verified.
    pub logins: LoginCache,
    /// People's password hashes, in a budget apart from CCU logins.
    pub passwords: Passwords,
    /// Registrations one at a time.
    pub signups: Signups,
    /// Legacy CCUs: the last address a request for each was refused from.
    pub legacy_refused: RefusedAddrs,
    /// Background tasks and their shutdown.
    pub tasks: Tasks,
    /// Whether this instance runs the timers that must run once per cluster.
    pub lease: Lease,
    /// Other instances' broker sessions this instance adopts (`adopt`).
    pub adoptions: Arc<Adoptions>,
    /// Device publishes taken by the embedded broker, not yet stored (`[spool]`).
    pub spool: Option<Arc<Spool>>,
    /// When this process started (unix ms): spool records received before are replays.
    pub started_at: i64,
    /// Alerts and cut-offs pushed to people's targets.
    pub notifier: Arc<crate::notifier::Notifier>,
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
        let spool = open_spool(&settings, &store).await?;
        let (writer, _task) = Writer::spawn(
            store.clone(),
            settings.history.batch_size,
            settings.history.flush_interval,
            settings.history.in_flight,
            metrics.clone(),
            spool.clone(),
            bus.clone(),
        );
        let sessions = broker::sessions::Sessions::new(metrics.broker.clone());
        let dynsec = crate::external::dynsec::connect(&settings);
        let passwords = Passwords::new(
            settings.accounts.password_hash_concurrency,
            settings.accounts.password_hash_queue,
        );
        let lease = Lease::new(crate::lease::TIMERS, settings.cluster.lease_ttl);
        let (notifier, notifications) =
            crate::notifier::Notifier::new(settings.notifications.clone());
        let backend = Backend {
            inner: Arc::new(Inner {
                settings,
                store,
                registry: Registry::default(),
                config: ConfigWatch::default(),
                state: Arc::default(),
                live: LiveHub::default(),
                metrics,
                writer,
                mqtt: MqttLink {
                    bus,
                    sessions,
                    login: BackendLogin::new(backend_login.0, backend_login.1),
                    dynsec,
                },
                alerts: Arc::default(),
                logins: LoginCache::default(),
                passwords,
                signups: Signups::default(),
                legacy_refused: RefusedAddrs::default(),
                lease,
                adoptions: Arc::default(),
                tasks: Tasks::default(),
                spool,
                started_at: crate::clock::now_ms(),
                notifier: Arc::new(notifier),
            }),
        };
        let inner = &backend.inner;
        inner
            .tasks
            .own_timer(tokio::spawn(inner.notifier.clone().run(
                notifications,
                inner.store.clone(),
                inner.metrics.clone(),
                inner.tasks.timer_signal(),
            )));
        backend.inner.registry.reload(&backend.inner.store).await?;
        let ccus = backend.inner.store.list_ccus(None).await?;
        let outlets = backend.inner.store.list_outlets(None, None).await?;
        backend.inner.state.seed(&ccus, &outlets);
        backend.load_active_alerts().await?;
        if backend.inner.settings.mqtt.mode == settings::MqttMode::Embedded {
            backend.requeue_in_flight().await?;
        }
        backend.spawn_broker_sync().await;
        // Before the MQTT client connects (`start_intake`): an adopter of this instance's
        // broker session sees its lease taken and leaves instead of taking the session back.
        backend.hold_own_session(true).await?;
        // Before the timers: a single instance runs them from its first round.
        if let Err(e) = backend.inner.lease.renew(&backend.inner.store).await {
            tracing::warn!(cause = %e, "cannot take the timers lease now; retrying");
        }
        backend.spawn_timers();
        backend.start_fanout().await?;
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

    /// Acknowledgements of device publishes written to the broker (external broker with a
    /// persistent session; each follows its publish's commit).
    pub fn broker_acks_sent(&self) -> u64 {
        self.inner.mqtt.bus.acks_sent()
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

    /// Waits (briefly) until the other instances know that this one has a subscriber of
    /// `user`, so that they share its readings from then on (`LiveHub::announced`).
    pub async fn live_announced(&self, user: i32) -> bool {
        self.inner.live.announced(user).await
    }

    /// Waits until every reading accepted so far is committed to the store.
    pub async fn flush(&self) {
        self.inner.writer.flush().await
    }

    /// Connects the backend's MQTT client: a pump task polls the connection (reconnecting)
    /// and an ingest task handles what arrives. Both are owned by the backend and end in
    /// [`Backend::shutdown`].
    pub fn start_intake(&self, eventloop: rumqttc::EventLoop, bus_settings: &BusSettings) {
        let (tx, rx) = tokio::sync::mpsc::channel::<BusEvent>(INTAKE_QUEUE);
        let tasks = &self.inner.tasks;
        if let Some(spool) = &self.inner.spool {
            let (reader, stop) = (spool.reader(), tasks.intake_signal());
            let ingest = self.clone();
            tasks.own_intake(tokio::spawn(async move {
                ingest.run_spool_ingest(reader, stop).await
            }));
        }
        if self.inner.settings.mqtt.mode == settings::MqttMode::External {
            let adoptions = &self.inner.adoptions;
            adoptions.set_intake(bus_settings.clone(), tx.downgrade());
        }
        let pump = Bus::spawn_pump(
            eventloop,
            bus_settings,
            self.inner.mqtt.bus.clone(),
            tx,
            (tasks.intake_signal(), tasks.link_signal()),
        );
        tasks.own_link(pump);
        let ingest = self.clone();
        tasks.own_intake(tokio::spawn(async move { ingest.run_ingest(rx).await }));
    }

    /// The broker's intake when device publishes go through the spool (embedded broker,
    /// `spool.enabled`); the MQTT client then does not subscribe to device topics.
    pub fn intake(&self) -> Option<Arc<dyn broker::Intake>> {
        let spool = self.inner.spool.clone()?;
        let intake = crate::intake::SpoolIntake::new(spool, self.inner.metrics.clone());
        Some(Arc::new(intake))
    }

    /// With PostgreSQL and `cluster.fanout`, shares live events with the other instances
    /// on the database and relays theirs (`fanout`).
    async fn start_fanout(&self) -> Result<()> {
        let inner = &self.inner;
        if !inner.settings.cluster.fanout || !inner.store.can_notify() {
            return Ok(());
        }
        let tasks = crate::fanout::start(
            inner.store.clone(),
            &inner.live,
            inner.alerts.clone(),
            inner.state.clone(),
            inner.metrics.clone(),
            inner.lease.holder().to_string(),
            [(); 3].map(|_| inner.tasks.timer_signal()),
        )
        .await?;
        for task in tasks {
            inner.tasks.own_timer(task);
        }
        tracing::info!(instance = %inner.lease.holder(), "sharing live events with other instances");
        Ok(())
    }

    /// This process's id among the instances sharing the database (random per start).
    pub fn instance(&self) -> &str {
        self.inner.lease.holder()
    }

    /// The spool's levels, when there is one.
    pub fn spool_stats(&self) -> Option<crate::spool::SpoolStats> {
        self.inner.spool.as_ref().map(|s| s.stats())
    }

    /// Stops every task in an order that loses nothing: the intake first (with `quiet`,
    /// after the MQTT client has received nothing for that long: the devices' sessions are
    /// closed by then, what the broker accepted is still on its way), then the timers, then
    /// the history writer, which commits what it holds. Call after the HTTP server stopped.
    pub async fn shutdown(&self, quiet: Option<Duration>) {
        let tasks = &self.inner.tasks;
        tasks.stop_intake(quiet).await;
        tasks.stop_timers().await;
        self.inner.lease.release(&self.inner.store).await;
        self.inner.writer.stop().await;
        self.acks_written(ACK_PATIENCE).await;
        tasks.stop_link().await;
        tracing::info!("backend stopped; history committed");
    }

    /// Waits (at most `patience`) until the MQTT client wrote every acknowledgement handed to
    /// it: those of the writer's last commits (external broker, persistent session).
    async fn acks_written(&self, patience: Duration) {
        let bus = &self.inner.mqtt.bus;
        let deadline = tokio::time::Instant::now() + patience;
        while bus.acks_pending() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let pending = bus.acks_pending();
        if pending > 0 {
            tracing::warn!(
                pending,
                "stopping with acknowledgements not written; the broker delivers those publishes again"
            );
        }
    }

    /// Whether this instance runs the timers that must run once per cluster now (holds the
    /// `timers` lease).
    pub fn runs_timers(&self) -> bool {
        self.inner.lease.held()
    }

    /// This instance's view of the timers lease (its holder id).
    pub fn lease(&self) -> &Lease {
        &self.inner.lease
    }

    /// Stops the timers, the lease's renewal among them, without giving the lease up: what
    /// a `kill -9` leaves behind, for tests of the takeover.
    #[doc(hidden)]
    pub async fn halt_timers_as_if_killed(&self) {
        self.inner.tasks.stop_timers().await;
    }

    /// Closes every device's MQTT session (shutdown, embedded broker); the backend's own
    /// client stays. Returns how many were closed.
    pub fn close_device_sessions(&self) -> usize {
        let mqtt = &self.inner.mqtt;
        mqtt.sessions
            .revoke_where(|client, _| !mqtt.is_backend(client))
    }

    /// The MQTT client received a message (for the quiet period of [`Backend::shutdown`]).
    pub(crate) fn message_seen(&self) {
        self.inner.tasks.message_seen(crate::clock::now_ms());
    }

    fn spawn_timers(&self) {
        let own = |task| self.inner.tasks.own_timer(task);
        let s = &self.inner.settings;
        own(spawn_every(
            self.clone(),
            s.cluster.lease_renew_interval(),
            |b| async move {
                b.inner.lease.renew(&b.inner.store).await?;
                b.adopt_dead_sessions().await
            },
        ));
        own(spawn_every(
            self.clone(),
            s.cluster.lease_renew_interval(),
            |b| async move { b.hold_own_session(false).await },
        ));
        own(spawn_every(
            self.clone(),
            s.commands.check_interval,
            |b| async move { b.check_command_timeouts().await },
        ));
        own(spawn_every(
            self.clone(),
            s.presence.check_interval,
            |b| async move { b.check_presence().await },
        ));
        own(spawn_every(
            self.clone(),
            s.presence.refresh_interval,
            |b| async move { b.refresh_from_store().await },
        ));
        own(spawn_every(
            self.clone(),
            s.automation.schedule_check,
            |b| async move { b.run_due_schedules().await },
        ));
        own(spawn_every(
            self.clone(),
            s.energy.rollup_every,
            |b| async move { b.roll_up_old_readings().await },
        ));
        if self.inner.store.is_sqlite() {
            own(spawn_every(
                self.clone(),
                CHECKPOINT_INTERVAL,
                |b| async move { b.inner.store.checkpoint().await },
            ));
        }
    }
}

/// Opens `<data_dir>/spool` when device publishes go through it (embedded broker and
/// `spool.enabled`), from what the database says is stored.
async fn open_spool(settings: &Settings, store: &Store) -> Result<Option<Arc<Spool>>> {
    if !settings.spool.enabled || settings.mqtt.mode != settings::MqttMode::Embedded {
        return Ok(None);
    }
    let released = store.spool_released().await?;
    let dir = settings.data_dir.join("spool");
    let opts = SpoolOptions {
        max_bytes: settings.spool.max_bytes,
        segment_bytes: settings.spool.segment_bytes,
        fsync: settings.spool.fsync,
    };
    let spool = Spool::open(&dir, opts, released)
        .map_err(|e| crate::Error::Spool(format!("{}: {e}", dir.display())))?;
    let stats = spool.stats();
    if stats.backlog > 0 {
        tracing::info!(
            records = stats.backlog,
            "spool holds publishes not yet stored; replaying them"
        );
    }
    Ok(Some(Arc::new(spool)))
}

/// How often the SQLite WAL is checkpointed off the request path (see `Store::checkpoint`).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// Longest wait at shutdown for the last acknowledgements to reach the broker.
const ACK_PATIENCE: Duration = Duration::from_secs(2);

/// Messages received from the broker and not yet handled by ingest.
const INTAKE_QUEUE: usize = 10_000;

/// Runs `f` every `period` until the timers stop (or the backend is dropped); an error is
/// logged, never fatal.
fn spawn_every<F, Fut>(backend: Backend, period: Duration, f: F) -> tokio::task::JoinHandle<()>
where
    F: Fn(Backend) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let weak = Arc::downgrade(&backend.inner);
    let mut stop = backend.inner.tasks.timer_signal();
    drop(backend);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = stop.stopped() => return,
                _ = tick.tick() => {}
            }
            let Some(inner) = weak.upgrade() else { return };
            if let Err(e) = f(Backend { inner }).await {
                tracing::warn!(cause = %e, "periodic task failed");
            }
        }
    })
}
