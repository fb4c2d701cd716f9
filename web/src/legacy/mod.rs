//! The legacy shim: every `/api/` route the old CCU firmware (and its dashboard's focus
//! buttons) calls, with the old status codes and byte-compatible bodies (Python JSON
//! separators and key order). Readings go through the same ingest, alert and history
//! pipeline as MQTT readings; commands wait for the CCU's poll.
//!
//! Fixed holes: only CCUs registered with the `http` (or not yet settled `auto`) transport
//! are served, callers must be in `legacy.allowed_networks`, and the caller's address is
//! [`ClientIp`] (`X-Forwarded-For` read from the right, believed only from
//! `http.trusted_proxies`). The old firmware names its CCU only in `/api/breaker-data/`, so
//! every request is resolved to the CCUs bound to the caller's address, all of one owner,
//! before an outlet is looked up (`backend::legacy`): households never mix.

pub mod body;
mod handlers;
mod pyjson;

pub use handlers::Failure;
pub use pyjson::to_string as python_json;

pub use crate::client_ip::ClientIp;
use backend::Backend;
use ipnet::IpNet;
use poem::http::StatusCode;
use poem::{Endpoint, EndpointExt, IntoResponse, Response, Route, get, post};
use std::sync::Arc;

/// State of the shim: the networks allowed to call it. (Which CCU a caller is, and each
/// CCU's focus, live in the backend's registry, loaded from the database.)
#[derive(Debug, Default)]
pub struct LegacyState {
    allowed: Vec<IpNet>,
}

/// The shim's routes (mounted at the root; they all start with `/api/`).
pub fn routes(backend: &Backend) -> impl Endpoint + use<> {
    let s = &backend.settings().legacy;
    let state = Arc::new(LegacyState {
        allowed: s.allowed(),
    });
    let guard_state = state.clone();
    Route::new()
        .at("/data/", post(handlers::data))
        .at("/breaker-data/", post(handlers::breaker_data))
        .at("/devices/", get(handlers::devices))
        .at("/commands/:device_id/", get(handlers::commands))
        .at("/focus/", get(handlers::focus))
        .at("/focus/clear/", post(handlers::focus_clear).delete(handlers::focus_clear))
        .at("/focus/:device_id/", post(handlers::focus_set))
        .at("/outlet-status/:device_id/", get(handlers::outlet_status))
        .data(state)
        .around(move |ep, req| {
            let state = guard_state.clone();
            async move {
                let ip = ClientIp::of(&req).0;
                if !ip.is_some_and(|ip| state.allowed.iter().any(|n| n.contains(&ip))) {
                    tracing::warn!(?ip, path = %req.uri().path(), "legacy request from a network not in legacy.allowed_networks");
                    return Ok(json(StatusCode::FORBIDDEN, &handlers::Failure::new("Forbidden")));
                }
                ep.call(req).await.map(IntoResponse::into_response)
            }
        })
}

/// A response with a Python-formatted JSON body.
pub fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(pyjson::to_string(body))
}
