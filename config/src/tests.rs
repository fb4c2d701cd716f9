//! Tests of layering, masking and validation.

use super::*;
use std::io::Write;
use std::time::Duration;

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
fn the_config_file_variable_is_not_taken_for_a_setting() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("c.toml", "[mqtt]\naddr = \"127.0.0.1:1999\"")?;
        // what the CLI's `--config` reads from the environment (systemd units set it)
        jail.set_env("SMART_OUTLET_CONFIG", "c.toml");
        let s = Settings::load(Some(Path::new("c.toml"))).expect("loads");
        assert_eq!(s.mqtt.addr.port(), 1999);
        Ok(())
    });
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
        ("[mqtt]\naddr = \"nope\"", "mqtt.addr"),
        (
            "[mqtt]\nconnection_timeout = \"90s\"",
            "mqtt.connection_timeout",
        ),
        ("[database]\nurl = \"mysql://x\"", "database.url"),
        ("[alerts]\nhysteresis_pct = 95", "alerts.hysteresis_pct"),
        ("[mqtt]\nnot_a_key = 1", "mqtt.not_a_key"),
        ("[history]\ninterval = \"soon\"", "history.interval"),
        (
            "[mqtt.external]\nprovisioning = \"mosquitto-dynsec\"",
            "mqtt.external.provisioning",
        ),
        (
            "[mqtt.external]\nhttp_auth_token = \"short\"",
            "mqtt.external.http_auth_token",
        ),
        (
            "[mqtt.external]\nprovisioning = \"ldap\"",
            "mqtt.external.provisioning",
        ),
        ("[http]\nbody_limit = 10", "http.body_limit"),
        ("[http]\nauth_body_limit = 100000", "http.auth_body_limit"),
        (
            "[ingest]\nmax_reading_age = \"1s\"",
            "ingest.max_reading_age",
        ),
        (
            "[ingest]\nmax_reading_age = \"4000days\"",
            "ingest.max_reading_age",
        ),
        (
            "[ingest]\nmax_clock_skew = \"2days\"",
            "ingest.max_clock_skew",
        ),
        ("[cluster]\nlease_ttl = \"100ms\"", "cluster.lease_ttl"),
        ("[cluster]\nlease_ttl = \"1h\"", "cluster.lease_ttl"),
    ];
    for (text, key) in cases {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(f, "{text}").unwrap();
        let err = Settings::load_without_env(Some(f.path()))
            .unwrap_err()
            .to_string();
        // the whole dotted key as README and default.toml spell it, not a part of it
        assert!(
            err.starts_with(&format!("invalid setting `{key}`: ")),
            "{text:?}: {err}"
        );
    }
}

#[test]
#[allow(clippy::result_large_err)] // figment's Jail API returns its own large error
fn a_bad_environment_value_names_the_key_and_the_variable() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("SMART_OUTLET_HTTP__ADDR", "not-an-address");
        let err = Settings::load(None).unwrap_err().to_string();
        assert!(
            err.starts_with("invalid setting `http.addr`: ")
                && err.ends_with("(from SMART_OUTLET_HTTP__ADDR)"),
            "{err}"
        );
        Ok(())
    });
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

#[test]
fn tls_and_limit_defaults() {
    let s = Settings::default();
    assert_eq!(s.mqtt.tls_addr.port(), 8883);
    assert!(
        !s.mqtt.tls.enabled(),
        "no TLS listener without a certificate"
    );
    let l = &s.mqtt.limits;
    assert_eq!(l.max_connections_per_ip, 64);
    assert_eq!(
        (l.connection_rate_per_ip, l.connection_burst_per_ip),
        (5, 20)
    );
    assert_eq!(
        (l.connection_rate_total, l.connection_burst_total),
        (500, 2000)
    );
    assert_eq!((l.retained_per_client, l.retained_total), (16, 100_000));
    assert_eq!(l.qos2_inflight_per_client, 32);
    assert_eq!(l.exempt().len(), 2);
}

/// A setting that must be refused, and the change that breaks it.
type Case = (&'static str, Box<dyn Fn(&mut Settings)>);

#[test]
fn bad_tls_and_limit_values_name_their_key() {
    let cases: Vec<Case> = vec![
        (
            "mqtt.tls.key_file",
            Box::new(|s| s.mqtt.tls.cert_file = "c.pem".into()),
        ),
        (
            "mqtt.tls.cert_file",
            Box::new(|s| s.mqtt.tls.key_file = "k.pem".into()),
        ),
        (
            "mqtt.tls_addr",
            Box::new(|s| {
                s.mqtt.tls = MqttTlsSettings {
                    cert_file: "c.pem".into(),
                    key_file: "k.pem".into(),
                };
                s.mqtt.tls_addr = s.mqtt.addr;
            }),
        ),
        (
            "mqtt.limits.max_connections_per_ip",
            Box::new(|s| s.mqtt.limits.max_connections_per_ip = 0),
        ),
        (
            "mqtt.limits.connection_rate_total",
            Box::new(|s| s.mqtt.limits.connection_rate_total = 0),
        ),
        (
            "mqtt.limits.retained_total",
            Box::new(|s| s.mqtt.limits.retained_total = 0),
        ),
        (
            "mqtt.limits.qos2_inflight_per_client",
            Box::new(|s| s.mqtt.limits.qos2_inflight_per_client = 0),
        ),
        (
            "mqtt.limits.exempt_networks",
            Box::new(|s| s.mqtt.limits.exempt_networks = vec!["nope".into()]),
        ),
    ];
    for (key, tweak) in cases {
        let mut s = Settings::default();
        tweak(&mut s);
        match s.validate() {
            Err(Error::Invalid { key: k, .. }) => assert_eq!(k, key),
            other => panic!("{key}: expected Invalid, got {other:?}"),
        }
    }
}

#[test]
fn legacy_outlets_are_stale_after_their_round_robin_period() {
    let s = Settings::default();
    let floor = s.presence.stale_after;
    assert_eq!(floor, Duration::from_secs(120));
    // 2 s cycle, 30 s round robin, 60 s margin: (30 + 2) × n + 60, at least 120 s.
    assert_eq!(s.legacy.outlet_stale_after(1, floor), floor);
    assert_eq!(s.legacy.outlet_stale_after(0, floor), floor);
    assert_eq!(
        s.legacy.outlet_stale_after(4, floor),
        Duration::from_secs(188)
    );
    assert_eq!(
        s.legacy.outlet_stale_after(8, floor),
        Duration::from_secs(316)
    );
    // The firmware's table holds eight outlets: a ninth is never read, so never waited for.
    assert_eq!(
        s.legacy.outlet_stale_after(20, floor),
        Duration::from_secs(316)
    );
}

#[test]
fn bad_energy_automation_and_notification_values_name_their_key() {
    let cases: Vec<Case> = vec![
        ("energy.voltage", Box::new(|s| s.energy.voltage = f64::NAN)),
        ("energy.voltage", Box::new(|s| s.energy.voltage = 0.0)),
        (
            "energy.price_per_kwh",
            Box::new(|s| s.energy.price_per_kwh = -1.0),
        ),
        (
            "energy.currency",
            Box::new(|s| s.energy.currency = "EUR\nX".into()),
        ),
        (
            "energy.keep_readings",
            // One hour short of what a late reading may still need.
            Box::new(|s| s.energy.keep_readings = s.ingest.max_reading_age),
        ),
        (
            "energy.rollup_every",
            Box::new(|s| s.energy.rollup_every = Duration::ZERO),
        ),
        (
            "automation.cutoff_cooldown",
            Box::new(|s| s.automation.cutoff_cooldown = Duration::from_millis(10)),
        ),
        (
            "automation.schedule_check",
            Box::new(|s| s.automation.schedule_check = Duration::from_secs(3600)),
        ),
        (
            "notifications.timeout",
            Box::new(|s| s.notifications.timeout = Duration::ZERO),
        ),
        (
            "notifications.attempts",
            Box::new(|s| s.notifications.attempts = 0),
        ),
        (
            "notifications.queue",
            Box::new(|s| s.notifications.queue = 0),
        ),
        (
            "notifications.max_targets_per_user",
            Box::new(|s| s.notifications.max_targets_per_user = 0),
        ),
    ];
    for (key, tweak) in cases {
        let mut s = Settings::default();
        tweak(&mut s);
        match s.validate() {
            Err(Error::Invalid { key: k, .. }) => assert_eq!(k, key),
            other => panic!("{key}: expected Invalid, got {other:?}"),
        }
    }
    let mut s = Settings::default();
    assert_eq!(s.energy.retention(), None, "readings are kept by default");
    s.energy.keep_readings = s.ingest.max_reading_age + Duration::from_secs(3600);
    s.validate().unwrap();
    assert_eq!(s.energy.retention(), Some(s.energy.keep_readings));
}
