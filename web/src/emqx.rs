//! EMQX's HTTP authentication and authorization hooks: `POST /internal/emqx/authn` and
//! `POST /internal/emqx/authz`, answered from the backend's login check and topic rules.
//!
//! EMQX sends the header [`TOKEN_HEADER`] with `mqtt.external.http_auth_token`; without that
//! setting the routes answer 404, with a missing or wrong token 401. The answers are EMQX's
//! (`{"result":"allow"|"deny", "is_superuser":false}`), never the API's error shape. These
//! routes are for the broker, not for API clients: they are not in the OpenAPI spec.

use backend::Backend;
use backend::external::principal::Action;
use poem::http::{HeaderMap, StatusCode};
use poem::web::{Data, Json};
use poem::{Route, handler, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::atomic::Ordering::Relaxed;

/// The header carrying the shared secret.
pub const TOKEN_HEADER: &str = "x-smart-outlet-token";

/// The two routes, to nest under `/internal/emqx`.
pub fn routes() -> Route {
    Route::new()
        .at("/authn", post(authn))
        .at("/authz", post(authz))
}

/// What EMQX's `http` authenticator posts (`${clientid}`, `${username}`, `${password}`,
/// `${peerhost}`).
#[derive(Debug, Deserialize)]
struct AuthnRequest {
    #[serde(default)]
    clientid: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    peerhost: String,
}

/// What EMQX's `http` authorizer posts (`${clientid}`, `${username}`, `${topic}`,
/// `${action}`, optionally `${retain}`, which EMQX renders as a string).
#[derive(Debug, Deserialize)]
struct AuthzRequest {
    #[serde(default)]
    clientid: String,
    #[serde(default)]
    username: String,
    topic: String,
    action: String,
    #[serde(default)]
    retain: Option<Value>,
}

fn guard(backend: &Backend, headers: &HeaderMap) -> poem::Result<()> {
    if backend
        .settings()
        .mqtt
        .external
        .http_auth_token
        .expose()
        .is_empty()
    {
        return Err(poem::Error::from_status(StatusCode::NOT_FOUND));
    }
    let given = headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if backend.http_auth_token_matches(given) {
        Ok(())
    } else {
        tracing::warn!("EMQX hook called without the right token");
        Err(poem::Error::from_status(StatusCode::UNAUTHORIZED))
    }
}

/// The body, after the token was checked (so that a caller without it learns nothing).
fn parse<T: serde::de::DeserializeOwned>(body: &str) -> poem::Result<T> {
    serde_json::from_str(body)
        .map_err(|e| poem::Error::from_string(e.to_string(), StatusCode::BAD_REQUEST))
}

fn result(allow: bool) -> Json<Value> {
    let result = if allow { "allow" } else { "deny" };
    Json(json!({ "result": result, "is_superuser": false }))
}

#[handler]
async fn authn(
    backend: Data<&Backend>,
    headers: &HeaderMap,
    body: String,
) -> poem::Result<Json<Value>> {
    guard(&backend, headers)?;
    let req: AuthnRequest = parse(&body)?;
    let login = backend
        .login_principal(&req.clientid, &req.username, &req.password)
        .await;
    let m = backend.metrics();
    match login {
        Ok(p) => {
            m.auth_successes.fetch_add(1, Relaxed);
            tracing::debug!(client_id = %req.clientid, role = p.role.as_str(), "EMQX login allowed");
            Ok(result(true))
        }
        Err(reason) => {
            let n = m.auth_failures.fetch_add(1, Relaxed) + 1;
            tracing::warn!(
                client_id = %req.clientid,
                username = %req.username,
                peer = %req.peerhost,
                reason,
                failures = n,
                "EMQX login refused"
            );
            Ok(result(false))
        }
    }
}

#[handler]
async fn authz(
    backend: Data<&Backend>,
    headers: &HeaderMap,
    body: String,
) -> poem::Result<Json<Value>> {
    guard(&backend, headers)?;
    let req: AuthzRequest = parse(&body)?;
    let action = match req.action.as_str() {
        "publish" => Action::Publish,
        "subscribe" => Action::Subscribe,
        _ => return Ok(result(false)),
    };
    let retain = match &req.retain {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true" || s == "1",
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    };
    let decision = backend.authorize(&req.clientid, &req.username, action, &req.topic, retain);
    if let Err(reason) = decision {
        tracing::info!(
            client_id = %req.clientid,
            action = %req.action,
            topic = %req.topic,
            retain,
            reason,
            "EMQX request denied"
        );
    }
    Ok(result(decision.is_ok()))
}
