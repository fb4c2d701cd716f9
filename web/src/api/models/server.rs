//! The server as a client sees it.

use super::*;

/// This server, as a client sees it.
#[derive(Debug, Object)]
pub struct ServerInfo {
    /// Server version.
    pub version: String,
    /// MQTT host CCUs connect to; null: the host this API is served from (embedded broker).
    #[oai(nullable)]
    pub mqtt_host: Option<String>,
    /// MQTT 3.1.1 port.
    pub mqtt_port: u16,
    /// MQTT 5 port, when enabled.
    #[oai(nullable)]
    pub mqtt_v5_port: Option<u16>,
    /// The legacy HTTP shim for old CCU firmware is on.
    pub legacy_http: bool,
}
