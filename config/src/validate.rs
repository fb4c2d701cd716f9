//! Checks of the settings that types alone cannot express; each error names its key.

use crate::sections::*;
use crate::{Error, Result};
use std::time::Duration;

impl Settings {
    /// Checks ranges that types alone cannot express.
    pub fn validate(&self) -> Result<()> {
        self.legacy.validate()?;
        if self.spool.segment_bytes < 4096 {
            return Err(Error::invalid(
                "spool.segment_bytes",
                "must be at least 4096",
            ));
        }
        if self.spool.max_bytes < 2 * self.spool.segment_bytes {
            return Err(Error::invalid(
                "spool.max_bytes",
                "must be at least twice spool.segment_bytes",
            ));
        }
        let m = &self.mqtt;
        if m.connection_timeout.as_millis() == 0 || m.connection_timeout.as_millis() > 65_000 {
            return Err(Error::invalid(
                "mqtt.connection_timeout",
                "must be between 1ms and 65s",
            ));
        }
        if m.keep_alive < Duration::from_secs(5) {
            return Err(Error::invalid("mqtt.keep_alive", "must be at least 5s"));
        }
        positive("mqtt.max_connections", m.max_connections)?;
        positive("mqtt.max_inflight", m.max_inflight)?;
        positive("mqtt.segment_count", m.segment_count)?;
        if m.max_payload_size < 1024 {
            return Err(Error::invalid(
                "mqtt.max_payload_size",
                "must be at least 1024",
            ));
        }
        if m.segment_size < m.max_payload_size {
            return Err(Error::invalid(
                "mqtt.segment_size",
                "must be at least mqtt.max_payload_size",
            ));
        }
        positive(
            "mqtt.max_refused_publishes",
            m.max_refused_publishes as usize,
        )?;
        for (key, filters) in [
            ("mqtt.anonymous.publish", &m.anonymous.publish),
            ("mqtt.anonymous.subscribe", &m.anonymous.subscribe),
            ("mqtt.anonymous.deny", &m.anonymous.deny),
        ] {
            for f in filters {
                if !valid_filter(f) {
                    return Err(Error::invalid(
                        key,
                        format!("{f:?} is not an MQTT topic filter"),
                    ));
                }
            }
        }
        if m.tls.enabled() && m.tls.key_file.as_os_str().is_empty() {
            return Err(Error::invalid(
                "mqtt.tls.key_file",
                "must be set when mqtt.tls.cert_file is",
            ));
        }
        if !m.tls.enabled() && !m.tls.key_file.as_os_str().is_empty() {
            return Err(Error::invalid(
                "mqtt.tls.cert_file",
                "must be set when mqtt.tls.key_file is",
            ));
        }
        if m.tls.enabled()
            && (m.tls_addr == m.addr || Some(m.tls_addr) == m.v5_addr)
            && m.tls_addr.port() != 0
        {
            return Err(Error::invalid(
                "mqtt.tls_addr",
                "must differ from mqtt.addr and mqtt.v5_addr",
            ));
        }
        let l = &m.limits;
        positive(
            "mqtt.limits.max_connections_per_ip",
            l.max_connections_per_ip,
        )?;
        positive(
            "mqtt.limits.connection_rate_per_ip",
            l.connection_rate_per_ip as usize,
        )?;
        positive(
            "mqtt.limits.connection_burst_per_ip",
            l.connection_burst_per_ip as usize,
        )?;
        positive(
            "mqtt.limits.connection_rate_total",
            l.connection_rate_total as usize,
        )?;
        positive(
            "mqtt.limits.connection_burst_total",
            l.connection_burst_total as usize,
        )?;
        positive("mqtt.limits.retained_per_client", l.retained_per_client)?;
        positive("mqtt.limits.retained_total", l.retained_total)?;
        positive(
            "mqtt.limits.qos2_inflight_per_client",
            l.qos2_inflight_per_client,
        )?;
        for n in &l.exempt_networks {
            if n.parse::<ipnet::IpNet>().is_err() {
                return Err(Error::invalid(
                    "mqtt.limits.exempt_networks",
                    format!("{n:?} is not a CIDR network"),
                ));
            }
        }
        if m.mode == MqttMode::External && m.external.host.is_empty() {
            return Err(Error::invalid("mqtt.external.host", "must not be empty"));
        }
        if m.external.provisioning != Provisioning::None {
            if m.mode != MqttMode::External {
                return Err(Error::invalid(
                    "mqtt.external.provisioning",
                    "needs mqtt.mode = \"external\"",
                ));
            }
            if m.external.username.is_empty() {
                return Err(Error::invalid(
                    "mqtt.external.username",
                    "must name the broker's dynamic-security admin for provisioning",
                ));
            }
        }
        let ms = m.external.provisioning_timeout.as_millis();
        if !(100..=60_000).contains(&ms) {
            return Err(Error::invalid(
                "mqtt.external.provisioning_timeout",
                "must be between 100ms and 60s",
            ));
        }
        let token = m.external.http_auth_token.expose();
        if !token.is_empty() && token.len() < 16 {
            return Err(Error::invalid(
                "mqtt.external.http_auth_token",
                "must be empty (off) or at least 16 characters",
            ));
        }
        for n in &self.legacy.allowed_networks {
            if n.parse::<ipnet::IpNet>().is_err() {
                return Err(Error::invalid(
                    "legacy.allowed_networks",
                    format!("{n:?} is not a CIDR network"),
                ));
            }
        }
        for (key, list) in [
            ("legacy.trusted_proxies", &self.legacy.trusted_proxies),
            ("http.trusted_proxies", &self.http.trusted_proxies),
        ] {
            if let Some(n) = list.iter().find(|n| n.parse::<ipnet::IpNet>().is_err()) {
                return Err(Error::invalid(key, format!("{n:?} is not a CIDR network")));
            }
        }
        let token = self.http.metrics_token.expose();
        if !token.is_empty() && token.len() < 16 {
            return Err(Error::invalid(
                "http.metrics_token",
                "must be empty (open) or at least 16 characters",
            ));
        }
        let h = &self.http;
        if !(1024..=64 * 1024 * 1024).contains(&h.body_limit) {
            return Err(Error::invalid(
                "http.body_limit",
                "must be between 1 KiB and 64 MiB",
            ));
        }
        if !(256..=h.body_limit).contains(&h.auth_body_limit) {
            return Err(Error::invalid(
                "http.auth_body_limit",
                "must be between 256 bytes and http.body_limit",
            ));
        }
        let url = self.database.url.expose();
        if !(url.is_empty() || url.starts_with("sqlite:") || url.starts_with("postgres")) {
            return Err(Error::invalid(
                "database.url",
                "must be empty, sqlite://… or postgres://…",
            ));
        }
        positive(
            "database.max_connections",
            self.database.max_connections as usize,
        )?;
        positive("history.batch_size", self.history.batch_size)?;
        if !(1..=2).contains(&self.history.in_flight) {
            return Err(Error::invalid("history.in_flight", "must be 1 or 2"));
        }
        if self.ingest.max_payload_size > m.max_payload_size {
            return Err(Error::invalid(
                "ingest.max_payload_size",
                "must not exceed mqtt.max_payload_size",
            ));
        }
        positive("ingest.max_batch", self.ingest.max_batch)?;
        if self.ingest.max_clock_skew > MAX_SKEW {
            return Err(Error::invalid(
                "ingest.max_clock_skew",
                "must be at most 1 day",
            ));
        }
        if self.ingest.max_reading_age < Duration::from_secs(60)
            || self.ingest.max_reading_age > MAX_READING_AGE
        {
            return Err(Error::invalid(
                "ingest.max_reading_age",
                "must be between 1 minute and 3650 days",
            ));
        }
        if self.alerts.hysteresis_pct > 90 {
            return Err(Error::invalid("alerts.hysteresis_pct", "must be 0 to 90"));
        }
        for (key, d) in [
            ("presence.stale_after", self.presence.stale_after),
            ("presence.check_interval", self.presence.check_interval),
            ("presence.refresh_interval", self.presence.refresh_interval),
            ("commands.ack_timeout", self.commands.ack_timeout),
            ("commands.expiry", self.commands.expiry),
            ("commands.check_interval", self.commands.check_interval),
            ("history.flush_interval", self.history.flush_interval),
        ] {
            if d.is_zero() {
                return Err(Error::invalid(key, "must be greater than 0"));
            }
        }
        self.cluster.validate()?;
        self.energy.validate(self.ingest.max_reading_age)?;
        self.automation.validate()?;
        self.notifications.validate()?;
        self.accounts.validate()?;
        Ok(())
    }
}

/// Upper bound of `ingest.max_clock_skew`.
pub const MAX_SKEW: Duration = Duration::from_secs(86_400);
/// Upper bound of `ingest.max_reading_age` (keeps the window arithmetic far from overflow).
pub const MAX_READING_AGE: Duration = Duration::from_secs(3650 * 86_400);

pub(crate) fn positive(key: &'static str, v: usize) -> Result<()> {
    if v == 0 {
        return Err(Error::invalid(key, "must be greater than 0"));
    }
    Ok(())
}

/// A syntactically valid MQTT topic filter (MQTT 3.1.1 § 4.7).
fn valid_filter(filter: &str) -> bool {
    let levels: Vec<&str> = filter.split('/').collect();
    let last = levels.len() - 1;
    !filter.is_empty()
        && !filter.contains('\0')
        && levels.iter().enumerate().all(|(i, l)| {
            if l.contains('#') {
                *l == "#" && i == last
            } else {
                !l.contains('+') || *l == "+"
            }
        })
}

impl AccountsSettings {
    fn validate(&self) -> Result<()> {
        positive(
            "accounts.attempts_per_user",
            self.attempts_per_user as usize,
        )?;
        positive(
            "accounts.attempts_per_address",
            self.attempts_per_address as usize,
        )?;
        if self.attempt_window.is_zero() {
            return Err(Error::invalid(
                "accounts.attempt_window",
                "must be greater than 0",
            ));
        }
        if self.limiter_max_keys < 16 {
            return Err(Error::invalid(
                "accounts.limiter_max_keys",
                "must be at least 16",
            ));
        }
        positive(
            "accounts.password_hash_concurrency",
            self.password_hash_concurrency,
        )?;
        positive("accounts.max_ccus_per_user", self.max_ccus_per_user)?;
        positive("accounts.max_tokens_per_user", self.max_tokens_per_user)?;
        Ok(())
    }
}
