//! Test harness: [`spawn_app`] runs the whole server in-process on ephemeral ports with a
//! fresh database, [`Device`] is a CCU speaking MQTT over TCP with its own credentials,
//! [`ApiClient`] calls the REST API as a browser or an integration, and [`relays`] sends relay
//! commands and waits for their outcome.
//!
//! Set `TEST_DATABASE_URL=postgres://user:pass@host/postgres` to run every test against a new
//! PostgreSQL database each (dropped at the test's end); `TEST_LOG=1` to see logs.

pub mod api_client;
pub mod db_faults;
pub mod device;
pub mod http_sink;
pub mod relays;
pub mod sockets;
pub mod wait;
pub mod ws;

pub use api_client::{ApiClient, PASSWORD};
pub use device::Device;
pub use wait::{alert_cleared, next_alert, wait_for, wait_for_event, wait_until};

use backend::domain::{OutletRecord, Transport, UserRecord};
use backend::store::test_database::TestDatabase;
use backend::{Backend, Store, admin};
use settings::Settings;
use smart_outlet::startup::Application;
use std::net::SocketAddr;
use std::sync::Once;

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    /// The server.
    pub app: Application,
    /// Its settings.
    pub settings: Settings,
    /// HTTP address.
    pub http_addr: SocketAddr,
    /// MQTT address.
    pub mqtt_addr: SocketAddr,
    /// The database URL in use.
    pub database_url: String,
    /// Keeps the SQLite folder alive.
    pub dir: tempfile::TempDir,
    /// The database (a PostgreSQL one is dropped with the app).
    pub db: TestDatabase,
}

/// Starts the app with test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after `tweak` adjusted the test settings.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    init_tracing();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = Settings::for_tests();
    s.data_dir = dir.path().to_path_buf();
    s.spool.enabled = true;
    s.mqtt.addr = broker::free_local_addr().expect("free port");
    s.presence.check_interval = std::time::Duration::from_millis(100);
    s.commands.check_interval = std::time::Duration::from_millis(100);
    s.presence.refresh_interval = std::time::Duration::from_millis(200);
    s.history.flush_interval = std::time::Duration::from_millis(20);
    let db = TestDatabase::create(&dir.path().join("test.db"))
        .await
        .expect("a test database (TEST_DATABASE_URL)");
    start(s, tweak, dir, db).await
}

/// Starts a second instance on `first`'s database (a cluster of two: each has its own
/// embedded broker, HTTP port and data folder), after `tweak` adjusted its test settings.
/// It has no spool (its position in the database is `first`'s); `first` owns the database.
pub async fn spawn_app_sharing(first: &TestApp, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    init_tracing();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = first.settings.clone();
    s.data_dir = dir.path().to_path_buf();
    s.spool.enabled = false;
    s.http.addr = "127.0.0.1:0".parse().expect("literal address");
    s.mqtt.addr = broker::free_local_addr().expect("free port");
    let db = first.db.shared();
    start(s, tweak, dir, db).await
}

/// Points `s` at `db`, lets `tweak` adjust it, and builds the app.
async fn start(
    mut s: Settings,
    tweak: impl FnOnce(&mut Settings),
    dir: tempfile::TempDir,
    db: TestDatabase,
) -> TestApp {
    s.database.url = settings::Secret::new(db.url());
    let picked = s.mqtt.addr;
    tweak(&mut s);
    let database_url = s.database_url();
    let app = build(&mut s, picked).await;
    TestApp {
        http_addr: app.http_addr(),
        mqtt_addr: app.mqtt_addr(),
        app,
        settings: s,
        database_url,
        dir,
        db,
    }
}

/// Builds the app. rumqttd cannot listen on port 0, so the MQTT port is picked free
/// beforehand and another process may take it before the broker binds it: then (only when
/// the test kept the picked port) the build is tried again on another free port.
async fn build(s: &mut Settings, mut picked: std::net::SocketAddr) -> Application {
    for _ in 0..4 {
        match Application::build(s.clone()).await {
            Ok(app) => return app,
            Err(e) if s.mqtt.addr == picked && format!("{e:#}").contains("mqtt.addr") => {
                eprintln!(
                    "MQTT port {} taken meanwhile ({e:#}); another one",
                    s.mqtt.addr
                );
                picked = broker::free_local_addr().expect("free port");
                s.mqtt.addr = picked;
            }
            Err(e) => panic!("app starts: {e:#}"),
        }
    }
    Application::build(s.clone()).await.expect("app starts")
}

impl TestApp {
    /// The backend services.
    pub fn backend(&self) -> &Backend {
        self.app.backend()
    }

    /// The store.
    pub fn store(&self) -> &Store {
        self.backend().store()
    }

    /// Creates a user.
    pub async fn add_user(&self, name: &str) -> UserRecord {
        admin::add_user(self.store(), name, "correct horse battery")
            .await
            .expect("add user")
    }

    /// Registers a CCU for `owner` and returns its secret.
    pub async fn add_ccu(&self, owner: &UserRecord, id: &str) -> String {
        self.backend()
            .create_ccu(backend::Actor::CLI, owner.id, id, None, Transport::Mqtt)
            .await
            .expect("add ccu")
            .1
    }

    /// Adds an outlet to a CCU.
    pub async fn add_outlet(&self, ccu: &str, device_id: &str, name: &str) -> OutletRecord {
        self.backend()
            .create_outlet(backend::Actor::CLI, ccu, device_id, name, "")
            .await
            .expect("add outlet")
    }

    /// A user with one CCU (`02`) and one outlet (`FE`); returns the user, secret, outlet.
    pub async fn seed(&self) -> (UserRecord, String, OutletRecord) {
        let user = self.add_user("alice").await;
        let secret = self.add_ccu(&user, "02").await;
        let outlet = self.add_outlet("02", "FE", "Desk").await;
        (user, secret, outlet)
    }

    /// Waits until the server has CCU `ccu_id` online.
    pub async fn wait_online(&self, ccu_id: &str) {
        let b = self.backend().clone();
        wait_until(&format!("CCU {ccu_id} online"), || {
            let b = b.clone();
            async move { b.state().ccu(ccu_id).is_some_and(|s| s.online) }
        })
        .await;
    }

    /// Waits until outlet `outlet_id`'s live socket A current is `ma` (its reading handled).
    pub async fn wait_current_a(&self, outlet_id: i32, ma: i64) {
        let b = self.backend().clone();
        wait_until(&format!("outlet {outlet_id} at {ma} mA"), || {
            let b = b.clone();
            async move { b.state().outlet(outlet_id).and_then(|s| s.current_a) == Some(ma) }
        })
        .await;
    }

    /// Waits until `n` readings of outlet `outlet_id` are stored.
    pub async fn wait_readings(&self, outlet_id: i32, n: u64) {
        let store = self.store().clone();
        wait_until(
            &format!("{n} stored readings of outlet {outlet_id}"),
            || {
                let store = store.clone();
                async move { store.count_readings(outlet_id).await.unwrap() == n }
            },
        )
        .await;
    }

    /// Connects a CCU over MQTT and waits for its CONNACK.
    pub async fn device(&self, ccu_id: &str, secret: &str) -> Device {
        Device::connect(self.mqtt_addr, ccu_id, secret)
            .await
            .expect("device connects")
    }
}

fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info,rumqttd=off".into()),
                )
                .with_test_writer()
                .try_init();
        }
    });
}

/// A plain HTTP/1.1 GET over a real socket; returns the body (panics on non-200).
pub async fn http_get(addr: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).to_string();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// One raw HTTP/1.1 request on a new connection, as the old CCU firmware sends it
/// (`Content-Type: application/json` on POSTs). Returns the status and the body.
pub async fn http_raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    extra_headers: &[(&str, &str)],
) -> (u16, String) {
    let s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    http_raw_on(s, addr, method, path, body, extra_headers).await
}

/// [`http_raw`] from the local address `from` (e.g. `127.0.0.2`: every 127/8 address is
/// loopback on Linux), so that one machine has several legacy callers.
pub async fn http_raw_from(
    from: std::net::IpAddr,
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    extra_headers: &[(&str, &str)],
) -> (u16, String) {
    let socket = match from {
        std::net::IpAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
        std::net::IpAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
    }
    .expect("socket");
    socket
        .bind(SocketAddr::new(from, 0))
        .expect("bind the client socket");
    let s = socket.connect(addr).await.expect("connect");
    http_raw_on(s, addr, method, path, body, extra_headers).await
}

async fn http_raw_on(
    mut s: tokio::net::TcpStream,
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    extra_headers: &[(&str, &str)],
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: ESP32HTTPClient\r\n"
    );
    for (k, v) in extra_headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    match body {
        Some(b) => req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )),
        None => req.push_str("\r\n"),
    }
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}
