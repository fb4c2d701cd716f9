//! The settings tree: one struct per section of `default.toml`.

use crate::automation::AutomationSettings;
use crate::cluster::ClusterSettings;
use crate::energy::EnergySettings;
use crate::notifications::NotificationSettings;
use crate::{Error, Result, Secret, opt_addr};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the program can be told.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Folder of the SQLite database.
    pub data_dir: PathBuf,
    /// HTTP listener.
    pub http: HttpSettings,
    /// Broker and the backend's MQTT client.
    pub mqtt: MqttSettings,
    /// Store.
    pub database: DatabaseSettings,
    /// Device-traffic validation.
    pub ingest: IngestSettings,
    /// History downsampling and write batching.
    pub history: HistorySettings,
    /// The on-disk spool of device publishes (embedded broker).
    pub spool: SpoolSettings,
    /// Several instances on one database: live events shared, who decides what must be
    /// decided once.
    pub cluster: ClusterSettings,
    /// Energy and cost from the readings; hourly rollups; how long readings are kept.
    pub energy: EnergySettings,
    /// What the server does on its own (the automatic cut-off).
    pub automation: AutomationSettings,
    /// Alerts pushed to people's webhooks, ntfy, Gotify, Slack, Discord.
    pub notifications: NotificationSettings,
    /// Alert rules.
    pub alerts: AlertSettings,
    /// Presence.
    pub presence: PresenceSettings,
    /// Command lifecycle.
    pub commands: CommandSettings,
    /// Logging.
    pub log: LogSettings,
    /// The legacy HTTP shim for old CCU firmware.
    pub legacy: LegacySettings,
    /// People's accounts: registration, the login limiter, the password-hashing budget.
    pub accounts: AccountsSettings,
}

/// `[legacy]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacySettings {
    /// Serve the old firmware's `/api/` routes.
    pub enabled: bool,
    /// Networks (CIDR) allowed to call them.
    pub allowed_networks: Vec<String>,
    /// Deprecated: use `http.trusted_proxies` (the two lists are merged).
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// How long a CCU registered for `http` or `auto` (or whose binding its owner reset) may
    /// learn the address it calls from, from its first `POST /api/breaker-data/`.
    #[serde(with = "humantime_serde", default = "default_learn_window")]
    pub learn_window: Duration,
    /// The old firmware's cloud cycle: it asks for the focus and serves the focused outlet
    /// this often (2 s in every known build).
    #[serde(with = "humantime_serde", default = "default_cycle")]
    pub cycle: Duration,
    /// The old firmware's background round robin: one unfocused outlet is read this often
    /// (30 s), so each of N outlets about every N × this.
    #[serde(with = "humantime_serde", default = "default_round_robin")]
    pub round_robin: Duration,
    /// Slack on top of the round-robin period before an outlet of an HTTP CCU counts as
    /// silent (a slow cycle, a lost request).
    #[serde(with = "humantime_serde", default = "default_presence_margin")]
    pub presence_margin: Duration,
    /// How long an outlet a person opened in the dashboard stays focused after the
    /// dashboard last said it is still shown (it repeats every third of this).
    #[serde(with = "humantime_serde", default = "default_view_ttl")]
    pub view_ttl: Duration,
}

fn default_learn_window() -> Duration {
    Duration::from_secs(15 * 60)
}

fn default_cycle() -> Duration {
    Duration::from_secs(2)
}

fn default_round_robin() -> Duration {
    Duration::from_secs(30)
}

fn default_presence_margin() -> Duration {
    Duration::from_secs(60)
}

fn default_view_ttl() -> Duration {
    Duration::from_secs(60)
}

impl LegacySettings {
    /// Checks `learn_window` (1 s to 30 days) and the firmware's rhythm (each 10 ms to 1 h).
    pub fn validate(&self) -> Result<()> {
        if !(Duration::from_secs(1)..=Duration::from_secs(30 * 86_400)).contains(&self.learn_window)
        {
            return Err(Error::invalid(
                "legacy.learn_window",
                "must be between 1s and 30 days",
            ));
        }
        for (name, d) in [
            ("legacy.cycle", self.cycle),
            ("legacy.round_robin", self.round_robin),
            ("legacy.presence_margin", self.presence_margin),
            ("legacy.view_ttl", self.view_ttl),
        ] {
            if !(Duration::from_millis(10)..=Duration::from_secs(3600)).contains(&d) {
                return Err(Error::invalid(name, "must be between 10ms and 1h"));
            }
        }
        Ok(())
    }

    /// How long an outlet of an HTTP CCU with `outlets` outlets may stay silent before it is
    /// offline: the old firmware reads at most 8 outlets, one per `round_robin` (plus a cycle
    /// of lag each), so every outlet within that period, plus `presence_margin`; never less
    /// than `floor` (the MQTT staleness).
    pub fn outlet_stale_after(&self, outlets: usize, floor: Duration) -> Duration {
        let n = outlets.clamp(1, 8) as u32;
        ((self.round_robin + self.cycle) * n + self.presence_margin).max(floor)
    }

    /// The allowed networks, parsed.
    pub fn allowed(&self) -> Vec<ipnet::IpNet> {
        self.allowed_networks
            .iter()
            .filter_map(|n| n.parse().ok())
            .collect()
    }
}

/// `[http]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Listen address of the dashboard, API and legacy shim.
    pub addr: SocketAddr,
    /// Reverse proxies (CIDR) whose `X-Forwarded-For` is believed. The header is read from
    /// the right, skipping these; the first address not in them is the client.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// When set, `/metrics` and `/status` answer only requests carrying
    /// `Authorization: Bearer <token>` (at least 16 characters). Empty: open.
    #[serde(default)]
    pub metrics_token: Secret,
    /// Largest request body in bytes on every route but the auth routes (counted while it
    /// is read, chunked bodies included); larger ones get 413.
    pub body_limit: usize,
    /// Largest request body in bytes on `/api/v1/auth/*` (login, registration).
    pub auth_body_limit: usize,
}

impl HttpSettings {
    /// The trusted proxies, parsed.
    pub fn proxies(&self) -> Vec<ipnet::IpNet> {
        parse_networks(&self.trusted_proxies)
    }
}

fn parse_networks(list: &[String]) -> Vec<ipnet::IpNet> {
    list.iter().filter_map(|n| n.parse().ok()).collect()
}

/// Where the broker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MqttMode {
    /// rumqttd inside this process.
    Embedded,
    /// A broker run by someone else.
    External,
}

/// `[mqtt]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttSettings {
    /// Embedded or external broker.
    pub mode: MqttMode,
    /// Embedded broker: MQTT 3.1.1 listen address.
    pub addr: SocketAddr,
    /// Embedded broker: MQTT 5 listen address, `""` for none.
    #[serde(with = "opt_addr")]
    pub v5_addr: Option<SocketAddr>,
    /// Accept clients without credentials (development only).
    pub allow_anonymous: bool,
    /// Most simultaneous connections.
    pub max_connections: usize,
    /// Largest publish payload in bytes.
    pub max_payload_size: usize,
    /// Most unacknowledged QoS 1 publishes per connection.
    pub max_inflight: usize,
    /// Time a new connection has to send CONNECT.
    #[serde(with = "humantime_serde")]
    pub connection_timeout: Duration,
    /// Bytes per in-memory log segment (per topic filter).
    pub segment_size: usize,
    /// Segments kept per topic filter.
    pub segment_count: usize,
    /// Outgoing packets buffered per connection.
    pub max_outgoing_packet_count: u64,
    /// Keep-alive of the backend's client.
    #[serde(with = "humantime_serde")]
    pub keep_alive: Duration,
    /// Refused publishes after which a client is disconnected.
    pub max_refused_publishes: u32,
    /// What clients without credentials may do (only with `allow_anonymous`).
    pub anonymous: AnonymousAclSettings,
    /// Embedded broker: MQTT 3.1.1 over TLS listen address (used when `tls.cert_file` is set).
    pub tls_addr: SocketAddr,
    /// Certificate and key of the TLS listener.
    pub tls: MqttTlsSettings,
    /// Per-IP, rate, retained and QoS 2 limits.
    pub limits: MqttLimitSettings,
    /// External broker connection.
    pub external: ExternalBrokerSettings,
}

/// `[mqtt.anonymous]`: the topic rules of clients without credentials.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnonymousAclSettings {
    /// Filters they may publish on (retained included).
    pub publish: Vec<String>,
    /// Filters they may subscribe within.
    pub subscribe: Vec<String>,
    /// Filters refused whatever allows them (publish and subscribe).
    pub deny: Vec<String>,
}

/// `[mqtt.tls]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttTlsSettings {
    /// PEM certificate chain; empty = no TLS listener.
    pub cert_file: PathBuf,
    /// PEM private key.
    pub key_file: PathBuf,
}

impl MqttTlsSettings {
    /// True when a certificate is configured (the TLS listener runs).
    pub fn enabled(&self) -> bool {
        !self.cert_file.as_os_str().is_empty()
    }
}

/// `[mqtt.limits]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttLimitSettings {
    /// Open connections per source address (IPv6: per /64).
    pub max_connections_per_ip: usize,
    /// New connections per second per source address.
    pub connection_rate_per_ip: u32,
    /// Saved-up new connections per source address.
    pub connection_burst_per_ip: u32,
    /// New connections per second in total.
    pub connection_rate_total: u32,
    /// Saved-up new connections in total.
    pub connection_burst_total: u32,
    /// Sources (CIDR) the connection limits do not apply to.
    pub exempt_networks: Vec<String>,
    /// Retained topics one client may create.
    pub retained_per_client: usize,
    /// Retained topics in the whole broker.
    pub retained_total: usize,
    /// QoS 2 publishes awaiting PUBREL per client before it is disconnected.
    pub qos2_inflight_per_client: usize,
}

impl MqttLimitSettings {
    /// The exempt networks, parsed.
    pub fn exempt(&self) -> Vec<ipnet::IpNet> {
        self.exempt_networks
            .iter()
            .filter_map(|n| n.parse().ok())
            .collect()
    }
}

/// `[mqtt.external]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalBrokerSettings {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// The backend's username.
    pub username: String,
    /// The backend's password.
    pub password: Secret,
    /// The backend's client id (instances append a suffix).
    pub client_id: String,
    /// This instance's stable name (e.g. the host name): the client id becomes
    /// `<client_id>-<instance_id>` with a persistent session, and device publishes are
    /// acknowledged to the broker only once stored. Empty: a random suffix, a clean session.
    pub instance_id: String,
    /// Shared-subscription group; empty for plain subscriptions.
    pub shared_group: String,
    /// Who creates the broker's per-CCU logins and topic rules.
    pub provisioning: Provisioning,
    /// How long the broker has to answer one provisioning request.
    #[serde(with = "humantime_serde")]
    pub provisioning_timeout: Duration,
    /// Shared secret of the EMQX HTTP authn/authz endpoints; empty = endpoints off (404).
    pub http_auth_token: Secret,
}

/// `mqtt.external.provisioning`: who keeps the external broker's logins and topic rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provisioning {
    /// Nobody (the broker asks us over HTTP, as EMQX does, or is configured by hand).
    None,
    /// Mosquitto's dynamic-security plugin, driven over `$CONTROL/dynamic-security/v1`.
    MosquittoDynsec,
}

/// `[database]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Connection URL; empty for SQLite in `data_dir`.
    pub url: Secret,
    /// Pool size.
    pub max_connections: u32,
}

/// `[ingest]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestSettings {
    /// Outlet readings below this (mA) are stored as 0.
    pub outlet_noise_floor_ma: i64,
    /// Breaker readings below this (mA) are stored as 0.
    pub breaker_noise_floor_ma: i64,
    /// Largest plausible outlet current (mA), 65535 excepted.
    pub max_outlet_ma: i64,
    /// Largest plausible breaker current (mA).
    pub max_breaker_ma: i64,
    /// Largest payload ingest accepts (bytes); at most `mqtt.max_payload_size`.
    pub max_payload_size: usize,
    /// Most readings in one batch.
    pub max_batch: usize,
    /// Largest accepted future skew of a reading's `ts`.
    #[serde(with = "humantime_serde")]
    pub max_clock_skew: Duration,
    /// Oldest accepted reading: a `ts` further in the past is rejected. It also sizes the
    /// budget of back-dated history rows per outlet and breaker.
    #[serde(with = "humantime_serde")]
    pub max_reading_age: Duration,
}

/// `[history]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySettings {
    /// One stored reading per outlet/breaker per interval; zero keeps all.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    /// Most rows per write transaction.
    pub batch_size: usize,
    /// Longest wait before a partial batch is written.
    #[serde(with = "humantime_serde")]
    pub flush_interval: Duration,
    /// Batches in flight on PostgreSQL (1 or 2; SQLite writes one at a time).
    pub in_flight: usize,
}

/// `[spool]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoolSettings {
    /// Keep device publishes in `<data_dir>/spool` before the embedded broker acknowledges
    /// them; ingest reads them from there.
    pub enabled: bool,
    /// Bytes of publishes not yet stored in the database, at most; past it the broker
    /// refuses publishes (the device is disconnected without an acknowledgement and keeps
    /// them).
    pub max_bytes: u64,
    /// Size of one segment file.
    pub segment_bytes: u64,
    /// `fsync` before acknowledging (survives a power cut, not only a crash).
    pub fsync: bool,
}

/// `[alerts]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// Clear margin below a threshold, percent.
    pub hysteresis_pct: u8,
    /// Breaker threshold of new CCUs (mA).
    pub default_breaker_threshold_ma: i64,
}

/// `[presence]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresenceSettings {
    /// Silence after which an outlet is offline.
    #[serde(with = "humantime_serde")]
    pub stale_after: Duration,
    /// How often staleness is checked.
    #[serde(with = "humantime_serde")]
    pub check_interval: Duration,
    /// How often changes made by other processes are picked up.
    #[serde(with = "humantime_serde")]
    pub refresh_interval: Duration,
}

/// `[commands]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSettings {
    /// Time a sent command waits for its ack.
    #[serde(with = "humantime_serde")]
    pub ack_timeout: Duration,
    /// Time a queued command waits for its CCU.
    #[serde(with = "humantime_serde")]
    pub expiry: Duration,
    /// How often time-outs and expiries are checked.
    #[serde(with = "humantime_serde")]
    pub check_interval: Duration,
}

/// `[log]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// EnvFilter directives.
    pub filter: String,
}

/// Who may create an account over the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Anyone who reaches the server.
    Open,
    /// Only while no user exists (the first user, who becomes admin); after that the CLI
    /// (`smart-outlet user add`) makes accounts.
    Closed,
}

/// `[accounts]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsSettings {
    /// `open` or `closed` (default: only the first user may register).
    pub registration: Registration,
    /// Password checks (login, change password, delete account) per username per window.
    pub attempts_per_user: u32,
    /// Password checks per client address (IPv6: per /64) per window.
    pub attempts_per_address: u32,
    /// The limiter's window: a checked attempt counts against its keys this long.
    #[serde(with = "humantime_serde")]
    pub attempt_window: Duration,
    /// Most usernames and most addresses the limiter tracks (each; bounds its memory).
    pub limiter_max_keys: usize,
    /// People's password hashes (argon2, ~19 MiB and tens of ms each) running at once, apart
    /// from CCU logins, which have their own budget.
    pub password_hash_concurrency: usize,
    /// People's password hashes allowed to wait for a slot; more are refused (429 `busy`).
    pub password_hash_queue: usize,
    /// Most CCUs one account may register over the API (keeps every list bounded).
    pub max_ccus_per_user: usize,
    /// Most API tokens one account may hold unrevoked.
    pub max_tokens_per_user: usize,
}
