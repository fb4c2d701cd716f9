//! Errors of starting the broker.

use std::net::SocketAddr;

/// Why the embedded broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The listen port is in use or not allowed.
    #[error("cannot listen for MQTT on {addr} ({source}); choose another port with the `{key}` setting (env SMART_OUTLET_{env}) or --mqtt-addr", env = env_name(key))]
    PortTaken {
        /// The address.
        addr: SocketAddr,
        /// The setting that changes it.
        key: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The TLS certificate or key cannot be used.
    #[error("cannot use `{key}` = {path}: {reason}")]
    Tls {
        /// The setting naming the file.
        key: &'static str,
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The router refused an in-process link.
    #[error("cannot open a local link: {0}")]
    Link(String),
}

fn env_name(key: &str) -> String {
    key.replacen('.', "__", 1).to_uppercase()
}
