//! MQTT 3.1.1 conformance of the embedded broker: runs our interoperability suite
//! (`tests/interop/interop_test.py`, paho-mqtt) against the real server with anonymous access.

use settings::Settings;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use system_tests::spawn_app_with;
use tokio::process::Command;

/// The pinned client library the suite needs (also in `tests/interop/requirements.txt`).
const PAHO: &str = "paho-mqtt==2.1.0";

/// Anonymous clients may do everything except subscribe to `test/nosubscribe`, which the suite
/// expects to be refused with SUBACK 0x80.
const CONFIG: &str = r##"
[mqtt]
allow_anonymous = true

[mqtt.anonymous]
publish = ["#"]
subscribe = ["#"]
deny = ["test/nosubscribe"]
"##;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/interop_test.py")
}

#[tokio::test]
async fn embedded_broker_passes_our_mqtt_3_1_1_interop_suite() {
    let probe = Command::new("python3")
        .args(["-c", "import paho.mqtt.client"])
        .output()
        .await
        .expect("python3 is installed");
    assert!(
        probe.status.success(),
        "the interop suite needs paho-mqtt: pip install {PAHO} \
         (or pip install -r tests/interop/requirements.txt)\n{}",
        String::from_utf8_lossy(&probe.stderr)
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("interop.toml");
    std::fs::write(&file, CONFIG).expect("write config");
    let loaded = Settings::load_without_env(Some(&file)).unwrap_or_else(|e| {
        panic!(
            "the interop settings do not load (this build lacks the `[mqtt.anonymous]` \
                 topic rules?):{CONFIG}{e}"
        )
    });
    let app = spawn_app_with(move |s| {
        let addr = s.mqtt.addr;
        s.mqtt = loaded.mqtt;
        s.mqtt.addr = addr;
    })
    .await;

    let out = Command::new("python3")
        .arg(suite())
        .args(["--host", &app.mqtt_addr.ip().to_string()])
        .args(["--port", &app.mqtt_addr.port().to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .expect("python3 runs the suite");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "interop suite failed (exit {:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );
    assert!(
        stdout.trim_end().ends_with(" 0 failed"),
        "unexpected output:\n{stdout}"
    );
}
