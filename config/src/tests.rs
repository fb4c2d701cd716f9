//! Tests of layering, masking and validation.

use super::*;
use std::io::Write;

#[test]
fn defaults_are_valid_and_documented_values() {
    let s = Settings::default();
    s.validate().unwrap();
    assert_eq!(s.http.addr.port(), 8000);
    assert_eq!(s.mqtt.addr.port(), 1883);
    assert!(!s.mqtt.allow_anonymous);
    assert_eq!(s.ingest.outlet_noise_floor_ma, 100);
    assert_eq!(s.ingest.breaker_noise_floor_ma, 280);
    assert_eq!(s.history.interval.as_secs(), 60);
    assert!(
        s.database_url()
            .starts_with("sqlite://./data/smart-outlet.db")
    );
}

#[test]
fn file_overrides_defaults() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        f,
        "[history]\ninterval = \"0s\"\n[mqtt]\naddr = \"127.0.0.1:1999\""
    )
    .unwrap();
    let s = Settings::load_without_env(Some(f.path())).unwrap();
    assert!(s.history.interval.is_zero());
    assert_eq!(s.mqtt.addr.port(), 1999);
    assert_eq!(s.http.addr.port(), 8000, "untouched keys keep defaults");
}

#[test]
#[allow(clippy::result_large_err)] // figment's Jail API returns its own large error
fn env_overrides_file() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("c.toml", "[mqtt]\naddr = \"127.0.0.1:1999\"")?;
        jail.set_env("SMART_OUTLET_MQTT__ADDR", "127.0.0.1:2001");
        jail.set_env("SMART_OUTLET_PRESENCE__STALE_AFTER", "3s");
        let s = Settings::load(Some(Path::new("c.toml"))).expect("loads");
        assert_eq!(s.mqtt.addr.port(), 2001);
        assert_eq!(s.presence.stale_after.as_secs(), 3);
        Ok(())
    });
}

#[test]
fn bad_values_name_the_key() {
    let cases = [
        ("[mqtt]\naddr = \"nope\"", "addr"),
        (
            "[mqtt]\nconnection_timeout = \"90s\"",
            "mqtt.connection_timeout",
        ),
        ("[database]\nurl = \"mysql://x\"", "database.url"),
        ("[alerts]\nhysteresis_pct = 95", "alerts.hysteresis_pct"),
        ("[mqtt]\nnot_a_key = 1", "not_a_key"),
        ("[history]\ninterval = \"soon\"", "interval"),
        (
            "[mqtt.external]\nprovisioning = \"mosquitto-dynsec\"",
            "mqtt.external.provisioning",
        ),
        (
            "[mqtt.external]\nhttp_auth_token = \"short\"",
            "mqtt.external.http_auth_token",
        ),
        ("[mqtt.external]\nprovisioning = \"ldap\"", "provisioning"),
    ];
    for (text, key) in cases {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(f, "{text}").unwrap();
        let err = Settings::load_without_env(Some(f.path()))
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{text:?}: {err}");
    }
}

#[test]
fn missing_file_is_an_error() {
    let err = Settings::load_without_env(Some(Path::new("/nonexistent/x.toml"))).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/x.toml"));
}

#[test]
fn secrets_are_masked() {
    let mut s = Settings::default();
    s.database.url = Secret::new("postgres://u:hunter2@h/db");
    s.mqtt.external.password = Secret::new("hunter2");
    s.mqtt.external.http_auth_token = Secret::new("hunter2-token-hunter2");
    let text = s.to_masked_toml();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("********"));
    assert!(!format!("{s:?}").contains("hunter2"));
}
