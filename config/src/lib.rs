//! The typed settings tree and its layered loading (defaults, TOML file, environment).
//!
//! # Layout
//! - [`Settings`] and its sections, deserialised from `default.toml` (embedded),
//!   then an optional file, then `SMART_OUTLET_<SECTION>__<KEY>` environment variables.
//! - [`Secret`]: a string that never prints.
//! - Validation names the offending key ([`Error::Invalid`]).

mod automation;
mod cluster;
mod energy;
mod error;
mod notifications;
mod opt_addr;
mod secret;
mod sections;
mod validate;

pub use automation::AutomationSettings;
pub use cluster::ClusterSettings;
pub use energy::EnergySettings;
pub use error::Error;
pub use notifications::NotificationSettings;
pub use secret::Secret;
pub use sections::*;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use std::path::Path;

/// The built-in defaults, documented key by key.
pub const DEFAULT_TOML: &str = include_str!("../default.toml");
/// Prefix of the environment variables (`SMART_OUTLET_MQTT__ADDR`).
pub const ENV_PREFIX: &str = "SMART_OUTLET_";

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Settings {
    /// Loads defaults, then `file` (if any), then the environment, and validates.
    pub fn load(file: Option<&Path>) -> Result<Settings> {
        // SMART_OUTLET_CONFIG names the file (the CLI's `--config`), it is not a setting.
        let env = Env::prefixed(ENV_PREFIX).split("__").ignore(&["config"]);
        Self::load_from(file, env)
    }

    /// As [`Settings::load`], without reading the environment (tests).
    pub fn load_without_env(file: Option<&Path>) -> Result<Settings> {
        Self::load_from(file, Figment::new())
    }

    fn load_from(file: Option<&Path>, env: impl figment::Provider) -> Result<Settings> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = file {
            if !path.exists() {
                return Err(Error::MissingFile(path.display().to_string()));
            }
            figment = figment.merge(Toml::file(path));
        }
        let settings: Settings = figment
            .merge(env)
            .extract()
            .map_err(|e| Error::Load(Box::new(e)))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Settings for tests: the defaults, ports to be filled in by the harness, nothing from env.
    pub fn for_tests() -> Settings {
        let mut s = Settings::default();
        s.http.addr = "127.0.0.1:0".parse().expect("literal address");
        s.mqtt.addr = "127.0.0.1:0".parse().expect("literal address");
        s.mqtt.tls_addr = "127.0.0.1:0".parse().expect("literal address");
        // Tests sign up several users over the API; the closed default has its own tests.
        s.accounts.registration = Registration::Open;
        // No spool in `data_dir` unless the test sets a folder of its own and turns it on
        // (the app harness does: it is the default path of the embedded broker).
        s.spool.enabled = false;
        s
    }

    /// The database URL in effect: `database.url`, or SQLite in `data_dir`.
    pub fn database_url(&self) -> String {
        if self.database.url.expose().is_empty() {
            let path = self.data_dir.join("smart-outlet.db");
            format!("sqlite://{}?mode=rwc", path.display())
        } else {
            self.database.url.expose().to_string()
        }
    }

    /// The effective settings as TOML, with secrets masked.
    pub fn to_masked_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render settings: {e}"))
    }
}

impl Default for Settings {
    fn default() -> Self {
        Figment::from(Toml::string(DEFAULT_TOML))
            .extract()
            .expect("default.toml matches Settings")
    }
}

#[cfg(test)]
mod tests;
