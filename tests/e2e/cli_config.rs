//! The binary's settings as an operator meets them: the layers it prints, and a bad value or a
//! taken port that stops start-up naming the key (as README and `config/default.toml` spell it).

use super::cli::{cmd, run};
use std::time::Duration;

#[tokio::test]
async fn config_prints_effective_settings_with_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "[history]\ninterval = \"5s\"\n").unwrap();
    let mut c = cmd(dir.path());
    c.args(["--config", file.to_str().unwrap(), "config"])
        .env("SMART_OUTLET_DATABASE__URL", "postgres://u:hunter2@db/so")
        .env("SMART_OUTLET_MQTT__ADDR", "127.0.0.1:1999");
    let (ok, out, err) = run(c, None).await;
    assert!(ok, "{err}");
    assert!(out.contains("interval = \"5s\""), "file layer: {out}");
    assert!(out.contains("127.0.0.1:1999"), "env layer: {out}");
    assert!(
        !out.contains("hunter2") && out.contains("********"),
        "{out}"
    );
}

#[tokio::test]
async fn a_bad_value_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = cmd(dir.path());
    c.arg("config")
        .env("SMART_OUTLET_MQTT__CONNECTION_TIMEOUT", "90s");
    let (ok, _out, err) = run(c, None).await;
    assert!(!ok);
    assert!(
        err.contains("invalid setting `mqtt.connection_timeout`: "),
        "{err}"
    );
    let mut c = cmd(dir.path());
    c.arg("config")
        .env("SMART_OUTLET_HTTP__ADDR", "not-an-address");
    let (ok, _out, err) = run(c, None).await;
    assert!(!ok);
    assert!(
        err.contains("invalid setting `http.addr`: ")
            && err.contains("(from SMART_OUTLET_HTTP__ADDR)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_taken_mqtt_port_fails_start_up_naming_port_and_setting() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut c = cmd(dir.path());
    c.args([
        "--http-addr",
        "127.0.0.1:0",
        "--mqtt-addr",
        &format!("127.0.0.1:{port}"),
        "serve",
    ]);
    let (ok, _out, err) = tokio::time::timeout(Duration::from_secs(60), run(c, None))
        .await
        .unwrap();
    assert!(!ok);
    assert!(
        err.contains(&port.to_string()) && err.contains("mqtt.addr"),
        "{err}"
    );
}
