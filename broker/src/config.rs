//! Turning [`settings::MqttSettings`] into rumqttd's configuration structs.

use crate::Authenticator;
use crate::stats::Stats;
use rumqttd::limits::RouterLimits;
use rumqttd::{ConnectionSettings, RouterConfig, ServerSettings};
use settings::MqttSettings;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

/// Client ids starting with this (the backend's own client, `smart-outlet-backend-<pid>`,
/// which keeps one retained device list per CCU) are exempt from the retained limits.
pub const BACKEND_CLIENT_PREFIX: &str = "smart-outlet-backend";

/// The router's retained and QoS 2 limits, reporting to `stats`.
pub(crate) fn router_limits(s: &MqttSettings, stats: Arc<Stats>) -> RouterLimits {
    RouterLimits {
        retained_per_client: s.limits.retained_per_client,
        retained_total: s.limits.retained_total,
        retained_exempt_prefixes: vec![BACKEND_CLIENT_PREFIX.to_string()],
        qos2_inflight_per_client: s.limits.qos2_inflight_per_client,
        observer: Some(stats),
    }
}

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
    stats: Arc<Stats>,
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
        // A hook that does not answer within connection_timeout refuses the client: with
        // the CONNECT deadline (limits.rs) an unauthenticated socket lives at most twice it.
        let limit = s.connection_timeout;
        connections.set_auth_handler(move |client_id, user, pass| {
            let answer = auth.authenticate(client_id, user, pass);
            let stats = stats.clone();
            async move {
                match tokio::time::timeout(limit, answer).await {
                    Ok(ok) => ok,
                    Err(_) => {
                        stats.auth_timeouts.fetch_add(1, Relaxed);
                        tracing::warn!("MQTT authentication timed out; client refused");
                        false
                    }
                }
            }
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
