//! Who is calling: a session cookie (with a CSRF token on state-changing requests) or an API
//! token sent as `Authorization: Bearer so_…`. The login limiter is in `login_limiter`.

use backend::Backend;
use poem::Request;
use poem::http::{Method, StatusCode};
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Bearer};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "so_session";
/// Header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user_id: i32,
    /// The session cookie value, when authenticated by cookie.
    pub session: Option<String>,
}

/// Session cookie; state-changing requests must also send `X-CSRF-Token`.
#[derive(SecurityScheme)]
#[oai(
    rename = "session",
    ty = "api_key",
    key_in = "cookie",
    key_name = "so_session",
    checker = "check_session"
)]
pub struct SessionAuth(pub Caller);

/// API token (`Authorization: Bearer so_…`), for integrators; no CSRF token needed.
#[derive(SecurityScheme)]
#[oai(rename = "token", ty = "bearer", checker = "check_token")]
pub struct TokenAuth(pub Caller);

/// Either way of authenticating. The token is tried first so that, without one, the answer
/// is the session's (401 not logged in, or 403 bad CSRF token).
#[derive(SecurityScheme)]
pub enum Auth {
    /// API token.
    Token(TokenAuth),
    /// Session cookie.
    Session(SessionAuth),
}

impl Auth {
    /// The caller.
    pub fn caller(&self) -> &Caller {
        match self {
            Auth::Session(s) => &s.0,
            Auth::Token(t) => &t.0,
        }
    }

    /// The user id.
    pub fn user_id(&self) -> i32 {
        self.caller().user_id
    }

    /// Who is asking, for the backend's services.
    pub fn actor(&self) -> backend::Actor {
        backend::Actor::User(self.user_id())
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> poem::Error {
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    poem::Error::from_response(
        poem::Response::builder()
            .status(status)
            .content_type("application/json")
            .body(body),
    )
}

fn backend(req: &Request) -> poem::Result<&Backend> {
    req.data::<Backend>().ok_or_else(|| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "backend missing",
        )
    })
}

async fn check_session(req: &Request, key: ApiKey) -> poem::Result<Caller> {
    let b = backend(req)?;
    let session = b
        .session(&key.key)
        .await
        .map_err(|_| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "session lookup failed",
            )
        })?
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "not logged in or session expired",
            )
        })?;
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
            return Err(error(
                StatusCode::FORBIDDEN,
                "csrf",
                "missing or wrong X-CSRF-Token header",
            ));
        }
    }
    Ok(Caller {
        user_id: session.user_id,
        session: Some(key.key),
    })
}

async fn check_token(req: &Request, bearer: Bearer) -> poem::Result<Caller> {
    let b = backend(req)?;
    let user = b
        .token_user(&bearer.token)
        .await
        .map_err(|_| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "token lookup failed",
            )
        })?
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "invalid or revoked API token",
            )
        })?;
    Ok(Caller {
        user_id: user,
        session: None,
    })
}

/// Compares secrets without an early exit (false for empty ones).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
