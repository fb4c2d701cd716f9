//! Liveness and readiness as documented (`/healthz` "ok", `/readyz` "ready", "degraded"
//! while the spool holds what the database cannot take, 503 naming the failing part and
//! never the error text), and a taken HTTP port at start-up: a message naming
//! the address and the setting, a non-zero exit, no panic.

use super::cli::{cmd, run};
use std::time::Duration;
use system_tests::db_faults::rename_table as rename;
use system_tests::{http_raw, spawn_app, spawn_app_with};

#[tokio::test]
async fn readyz_follows_the_database_and_healthz_stays_alive() {
    let app = spawn_app().await;
    let a = app.http_addr;
    assert_eq!(
        http_raw(a, "GET", "/healthz", None, &[]).await,
        (200, "ok".into())
    );
    assert_eq!(
        http_raw(a, "GET", "/readyz", None, &[]).await,
        (200, "ready".into())
    );

    // The spool (on by default with the embedded broker) takes device publishes meanwhile.
    rename(&app, "outlets", "outlets_away").await;
    let (status, body) = http_raw(a, "GET", "/readyz", None, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with("degraded: database unavailable; spooling device publishes"),
        "{body}"
    );
    // Liveness is about the process and its broker, not the database.
    assert_eq!(
        http_raw(a, "GET", "/healthz", None, &[]).await,
        (200, "ok".into())
    );

    rename(&app, "outlets_away", "outlets").await;
    assert_eq!(
        http_raw(a, "GET", "/readyz", None, &[]).await,
        (200, "ready".into())
    );
}

#[tokio::test]
async fn without_a_spool_a_lost_database_makes_the_server_not_ready() {
    let app = spawn_app_with(|s| s.spool.enabled = false).await;
    let a = app.http_addr;
    rename(&app, "outlets", "outlets_away").await;
    let (status, body) = http_raw(a, "GET", "/readyz", None, &[]).await;
    assert_eq!((status, body.as_str()), (503, "not ready: database"));
    rename(&app, "outlets_away", "outlets").await;
    assert_eq!(
        http_raw(a, "GET", "/readyz", None, &[]).await,
        (200, "ready".into())
    );
}

#[tokio::test]
async fn a_taken_http_port_fails_start_up_naming_address_and_setting() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mqtt = broker::free_local_addr().unwrap().to_string();
    let mut c = cmd(dir.path());
    c.args(["--http-addr", &addr, "--mqtt-addr", &mqtt, "serve"]);
    c.env("RUST_BACKTRACE", "0");
    let (ok, _out, err) = tokio::time::timeout(Duration::from_secs(60), run(c, None))
        .await
        .unwrap();
    assert!(!ok, "start-up must fail: {err}");
    assert!(err.contains(&addr), "names the address: {err}");
    assert!(
        err.contains("http.addr") && err.contains("--http-addr"),
        "names the setting: {err}"
    );
    assert!(!err.contains("panicked"), "no panic: {err}");
}
