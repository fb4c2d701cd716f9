//! The `smart-outlet` binary as an operator uses it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use system_tests::device::Device;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// The binary next to this test executable (built on first use if missing).
fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf();
    let bin = dir.join("smart-outlet");
    static BUILD: std::sync::Once = std::sync::Once::new();
    BUILD.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            .args(["build", "-p", "smart-outlet", "--bin", "smart-outlet"])
            .status()
            .expect("cargo build runs");
        assert!(status.success());
    });
    bin
}

fn cmd(data: &std::path::Path) -> Command {
    let mut c = Command::new(binary());
    c.env("SMART_OUTLET_DATA_DIR", data)
        .env_remove("SMART_OUTLET_DATABASE__URL")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    c
}

async fn run(mut c: Command, stdin: Option<&str>) -> (bool, String, String) {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("binary starts");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .await
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

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
    assert!(err.contains("mqtt.connection_timeout"), "{err}");
    let mut c = cmd(dir.path());
    c.arg("config")
        .env("SMART_OUTLET_HTTP__ADDR", "not-an-address");
    let (ok, _out, err) = run(c, None).await;
    assert!(!ok);
    assert!(err.contains("addr"), "{err}");
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

#[tokio::test]
async fn cli_changes_take_effect_in_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (ok, _, err) = run(
        {
            let mut c = cmd(data);
            c.args(["user", "add", "alice"]);
            c
        },
        Some("correct horse battery\n"),
    )
    .await;
    assert!(ok, "{err}");
    let (ok, out, err) = run(
        {
            let mut c = cmd(data);
            c.args(["ccu", "add", "02", "--owner", "alice", "--json"]);
            c
        },
        None,
    )
    .await;
    assert!(ok, "{err}");
    let creds: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(creds["username"], "02");
    let secret02 = creds["password"].as_str().unwrap().to_string();
    let (ok, _, err) = run(
        {
            let mut c = cmd(data);
            c.args(["outlet", "add", "fe", "--ccu", "02", "--name", "Desk"]);
            c
        },
        None,
    )
    .await;
    assert!(ok, "{err}");

    let mqtt = broker::free_local_addr().unwrap();
    let mut server = cmd(data);
    server
        .args([
            "--http-addr",
            "127.0.0.1:0",
            "--mqtt-addr",
            &mqtt.to_string(),
            "serve",
        ])
        .env("SMART_OUTLET_PRESENCE__REFRESH_INTERVAL", "200ms")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut server: Child = server.spawn().unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let banner = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(banner.contains("http://127.0.0.1:"), "{banner}");

    let mut dev = Device::connect(mqtt, "02", &secret02)
        .await
        .expect("CCU 02 connects");
    let list = dev.next_devices().await;
    assert_eq!(list.devices.len(), 1);

    // A CCU added by the CLI while the server runs can connect at once.
    let (ok, out, err) = run(
        {
            let mut c = cmd(data);
            c.args(["ccu", "add", "03", "--owner", "alice", "--json"]);
            c
        },
        None,
    )
    .await;
    assert!(ok, "{err}");
    let creds: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let _dev03 = Device::connect(mqtt, "03", creds["password"].as_str().unwrap())
        .await
        .expect("CCU 03 connects");

    // An outlet added by the CLI is republished in the CCU's device list.
    let (ok, _, err) = run(
        {
            let mut c = cmd(data);
            c.args(["outlet", "add", "0x1F", "--ccu", "02", "--name", "Lamp"]);
            c
        },
        None,
    )
    .await;
    assert!(ok, "{err}");
    let list = loop {
        let l = dev.next_devices().await;
        if l.devices.len() == 2 {
            break l;
        }
    };
    let ids: Vec<String> = list
        .devices
        .iter()
        .map(|d| d.device_id.to_string())
        .collect();
    assert_eq!(ids, ["1F", "FE"]);
    let _ = server.kill().await;
}

#[tokio::test]
async fn migrate_and_user_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(
        {
            let mut c = cmd(dir.path());
            c.arg("migrate");
            c
        },
        None,
    )
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("up to date"));
    let (ok, _, err) = run(
        {
            let mut c = cmd(dir.path());
            c.args(["user", "add", "bob"]);
            c
        },
        Some("short\n"),
    )
    .await;
    assert!(!ok);
    assert!(err.contains("password"), "{err}");
    let (ok, _, err) = run(
        {
            let mut c = cmd(dir.path());
            c.args(["ccu", "add", "02", "--owner", "nobody"]);
            c
        },
        None,
    )
    .await;
    assert!(!ok);
    assert!(err.contains("nobody"), "{err}");
}

/// `ccu bind` / `ccu unbind` manage an old-firmware CCU's address; `ccu list` shows it.
#[tokio::test]
async fn ccu_bind_and_unbind_manage_the_legacy_address() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let step = |args: &'static [&'static str], stdin: Option<&'static str>| {
        let mut c = cmd(data);
        c.args(args);
        run(c, stdin)
    };
    let (ok, _, err) = step(&["user", "add", "alice"], Some("correct horse battery\n")).await;
    assert!(ok, "{err}");
    let (ok, _, err) = step(
        &[
            "ccu",
            "add",
            "02",
            "--owner",
            "alice",
            "--transport",
            "http",
        ],
        None,
    )
    .await;
    assert!(ok, "{err}");
    let (ok, out, err) = step(&["ccu", "list"], None).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("\tlegacy=learning ("),
        "a new HTTP CCU learns: {out}"
    );
    let (ok, out, err) = step(&["ccu", "bind", "02", "192.168.1.20"], None).await;
    assert!(ok, "{err}");
    assert!(out.contains("bound to 192.168.1.20"), "{out}");
    let (_, out, _) = step(&["ccu", "list"], None).await;
    assert!(out.contains("\tlegacy=bound 192.168.1.20"), "{out}");
    // An address the shim never serves, and nonsense, are refused.
    let (ok, _, err) = step(&["ccu", "bind", "02", "203.0.113.9"], None).await;
    assert!(!ok && err.contains("legacy.allowed_networks"), "{err}");
    let (ok, _, _) = step(&["ccu", "bind", "02", "not-an-ip"], None).await;
    assert!(!ok);
    let (ok, out, err) = step(&["ccu", "unbind", "02"], None).await;
    assert!(ok, "{err}");
    assert!(out.contains("unbound"), "{out}");
    let (_, out, _) = step(&["ccu", "list"], None).await;
    assert!(out.contains("\tlegacy=learning ("), "{out}");
    let (ok, _, err) = step(&["ccu", "unbind", "99"], None).await;
    assert!(!ok, "an unknown CCU: {err}");
}
