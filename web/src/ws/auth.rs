//! Who opens a WebSocket: same-origin check, then an API token or the session cookie.

use crate::auth::SESSION_COOKIE;
use backend::Backend;
use poem::http::StatusCode;
use poem::{FromRequest, Request, RequestBody, Response};
use serde::Deserialize;

/// `?token=` for clients that cannot set headers.
#[derive(Debug, Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// The user a WebSocket handshake authenticates as; the handshake is refused (401 or 403,
/// JSON body) before the upgrade otherwise.
pub(super) struct WsUser(pub(super) i32);

impl<'a> FromRequest<'a> for WsUser {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let backend = req
            .data::<Backend>()
            .ok_or_else(|| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
        let token = req.params::<TokenQuery>().ok().and_then(|q| q.token);
        authenticate(backend, req, token.as_deref())
            .await
            .map(WsUser)
            .map_err(|r| poem::Error::from_response(*r))
    }
}

fn reject(status: StatusCode, message: &str) -> Box<Response> {
    let body = serde_json::json!({"code": if status == StatusCode::FORBIDDEN { "forbidden" } else { "unauthorized" }, "message": message});
    Box::new(
        Response::builder()
            .status(status)
            .content_type("application/json")
            .body(body.to_string()),
    )
}

/// The user behind a WebSocket handshake, after the same-origin check.
async fn authenticate(
    backend: &Backend,
    req: &Request,
    token: Option<&str>,
) -> Result<i32, Box<Response>> {
    if let Some(origin) = req.headers().get("origin").and_then(|v| v.to_str().ok()) {
        let host = req
            .headers()
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or(origin);
        if origin_host != host {
            return Err(reject(
                StatusCode::FORBIDDEN,
                "cross-origin WebSocket refused",
            ));
        }
    }
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or(token);
    if let Some(t) = bearer {
        return match backend.token_user(t).await {
            Ok(Some(user)) => Ok(user),
            _ => Err(reject(
                StatusCode::UNAUTHORIZED,
                "invalid or revoked API token",
            )),
        };
    }
    let cookie = req
        .cookie()
        .get(SESSION_COOKIE)
        .map(|c| c.value_str().to_string());
    match cookie {
        Some(c) => match backend.session(&c).await {
            Ok(Some(s)) => Ok(s.user_id),
            _ => Err(reject(StatusCode::UNAUTHORIZED, "session expired")),
        },
        None => Err(reject(
            StatusCode::UNAUTHORIZED,
            "log in or send an API token",
        )),
    }
}
