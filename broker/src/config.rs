//! Turning [`settings::MqttSettings`] into rumqttd's configuration structs.

use crate::acl::{Acl, Action, Principal, Role, Rule};
use crate::rights::ClientRights;
use crate::stats::Stats;
use crate::{Admitted, Authenticator};
use rumqttd::authz::{Admission, LoginHandler, LoginRequest};
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
        intake: None,
    }
}

/// The topic table in force: the built-in rows, plus `[mqtt.anonymous]` when anonymous
/// clients are allowed.
pub(crate) fn acl(s: &MqttSettings) -> Acl {
    let mut extra = Vec::new();
    if s.allow_anonymous {
        let a = &s.anonymous;
        // (action, its filters, whether a retained publish is allowed)
        let allowed = [
            (Action::Publish, &a.publish, true),
            (Action::Subscribe, &a.subscribe, false),
        ];
        for (action, filters, retain) in allowed {
            for f in filters {
                extra.push(Rule::allow(Role::Anonymous, action, f.clone(), retain));
            }
        }
        for f in &a.deny {
            extra.push(Rule::deny(Role::Anonymous, f.clone()));
        }
    }
    Acl::new(extra)
}

/// One listener with its connection limits and the login hook: credentials go to `auth`,
/// a CONNECT without them is anonymous (only with `allow_anonymous`); either way the
/// connection gets the rights of its principal.
pub(crate) fn server(
    name: &str,
    listen: SocketAddr,
    s: &MqttSettings,
    acl: &Acl,
    auth: Option<Arc<dyn Authenticator>>,
    stats: &Arc<Stats>,
) -> ServerSettings {
    let mut connections = ConnectionSettings {
        connection_timeout_ms: u16::try_from(s.connection_timeout.as_millis()).unwrap_or(u16::MAX),
        max_payload_size: s.max_payload_size,
        max_inflight_count: s.max_inflight,
        auth: None,
        external_auth: None,
        login_handler: None,
        dynamic_filters: true,
    };
    let acl = acl.clone();
    let stats = stats.clone();
    let anonymous = s.allow_anonymous;
    let max_refused = s.max_refused_publishes;
    // A hook that does not answer within connection_timeout refuses the client: with the
    // CONNECT deadline (limits.rs) an unauthenticated socket lives at most twice it.
    let limit = s.connection_timeout;
    let handler: LoginHandler = Arc::new(move |req: LoginRequest| {
        let (acl, stats, auth) = (acl.clone(), stats.clone(), auth.clone());
        Box::pin(async move {
            let admitted = match (req.login, auth) {
                (Some((user, pass)), Some(auth)) => {
                    let answer = auth.authenticate(req.client_id, user, pass);
                    match tokio::time::timeout(limit, answer).await {
                        Ok(admitted) => admitted?,
                        Err(_) => {
                            stats.auth_timeouts.fetch_add(1, Relaxed);
                            tracing::warn!("MQTT authentication timed out; client refused");
                            return None;
                        }
                    }
                }
                (_, _) if anonymous => Admitted {
                    principal: Principal::anonymous(req.client_id),
                    revoked: None,
                },
                _ => return None,
            };
            let rights = ClientRights::new(
                acl.for_principal(&admitted.principal),
                admitted.principal,
                stats,
                max_refused,
            );
            Some(Admission {
                authorizer: Some(Arc::new(rights)),
                revoked: admitted.revoked,
            })
        })
    });
    connections.login_handler = Some(handler);
    ServerSettings {
        name: name.to_string(),
        listen,
        tls: None,
        next_connection_delay_ms: 0,
        connections,
    }
}
