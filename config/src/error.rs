//! Errors of loading and validating settings.

/// Why the settings could not be loaded. Every message names the key or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file named with `--config` does not exist.
    #[error("config file {0} does not exist")]
    MissingFile(String),
    /// A value has the wrong type or syntax: names the dotted key as `default.toml` spells it
    /// (`http.addr`, also when the value came from `SMART_OUTLET_HTTP__ADDR`) and its source.
    #[error("invalid setting `{}`: {}{}", dotted_key(.0), .0.kind, origin(.0))]
    Load(Box<figment::Error>),
    /// A value parsed but is out of range.
    #[error("invalid setting `{key}`: {reason}")]
    Invalid {
        /// The dotted key, e.g. `mqtt.connection_timeout`.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    pub(crate) fn invalid(key: &'static str, reason: impl Into<String>) -> Error {
        Error::Invalid {
            key,
            reason: reason.into(),
        }
    }
}

/// `http.addr` for the path of a figment error (environment keys arrive upper-case).
fn dotted_key(e: &figment::Error) -> String {
    let keys: Vec<String> = e.path.iter().map(|k| k.to_lowercase()).collect();
    keys.join(".")
}

/// Where the bad value came from: ` (in TOML file …)` or ` (from SMART_OUTLET_HTTP__ADDR)`.
fn origin(e: &figment::Error) -> String {
    match &e.metadata {
        Some(m) if m.name.contains("environment") => {
            let keys: Vec<String> = e.path.iter().map(|k| k.to_uppercase()).collect();
            format!(" (from {}{})", crate::ENV_PREFIX, keys.join("__"))
        }
        Some(m) => match &m.source {
            Some(source) => format!(" (in {} {source})", m.name),
            None => format!(" (in {})", m.name),
        },
        None => String::new(),
    }
}
