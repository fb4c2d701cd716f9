//! Errors of loading and validating settings.

/// Why the settings could not be loaded. Every message names the key or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file named with `--config` does not exist.
    #[error("config file {0} does not exist")]
    MissingFile(String),
    /// A value has the wrong type or syntax (figment names the key and its source).
    #[error("invalid setting: {0}")]
    Load(#[source] Box<figment::Error>),
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
