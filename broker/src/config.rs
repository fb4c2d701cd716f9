//! Turning [`settings::MqttSettings`] into rumqttd's configuration structs.

use crate::Authenticator;
use rumqttd::{ConnectionSettings, RouterConfig, ServerSettings};
use settings::MqttSettings;
use std::net::SocketAddr;
use std::sync::Arc;

/// The router: connection limit and the in-memory log segment limits.
pub(crate) fn router(s: &MqttSettings) -> RouterConfig {
    RouterConfig {
        max_connections: s.max_connections,
        max_outgoing_packet_count: s.max_outgoing_packet_count,
        max_segment_size: s.segment_size,
        max_segment_count: s.segment_count,
        custom_segment: None,
        initialized_filters: None,
        shared_subscriptions_strategy: rumqttd::Strategy::RoundRobin,
    }
}

/// One listener with its connection limits and the authentication hook.
pub(crate) fn server(
    name: &str,
    listen: SocketAddr,
    s: &MqttSettings,
    auth: Option<Arc<dyn Authenticator>>,
) -> ServerSettings {
    let mut connections = ConnectionSettings {
        connection_timeout_ms: u16::try_from(s.connection_timeout.as_millis()).unwrap_or(u16::MAX),
        max_payload_size: s.max_payload_size,
        max_inflight_count: s.max_inflight,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    if let Some(auth) = auth {
        connections.set_auth_handler(move |client_id, user, pass| {
            auth.authenticate(client_id, user, pass)
        });
    }
    ServerSettings {
        name: name.to_string(),
        listen,
        tls: None,
        next_connection_delay_ms: 0,
        connections,
    }
}
