//! One JSON error shape for every failure: `{"code": "...", "message": "..."}`.
//!
//! `code` is stable (clients branch on it); `message` is for people. Internal causes are logged
//! with their chain and answered with an opaque 500.

use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

/// The error body.
#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `not_found`, `validation`, `csrf`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

/// Every error an API operation answers with.
#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// Malformed or invalid input.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Not logged in, or a bad token.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// Missing or wrong CSRF token; registration closed; account disabled.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No such resource (or it belongs to someone else).
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// A unique name or id is taken.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The request has no JSON body (missing or wrong `Content-Type`).
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// Too many attempts (`rate_limited`), or too many password checks queued (`busy`).
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>),
    /// Something broke on our side.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
}

fn body(code: &str, message: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        code: code.to_string(),
        message: message.into(),
    })
}

impl ApiError {
    /// 400 `validation`.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest(body("validation", message))
    }
    /// 401 `unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::Unauthorized(body("unauthorized", message))
    }
    /// 403 `wrong_password`: a logged-in caller confirmed an action with a wrong password
    /// (not 401, which clients rightly read as "the session ended").
    pub fn wrong_password(message: impl Into<String>) -> ApiError {
        ApiError::Forbidden(body("wrong_password", message))
    }
    /// 404 `not_found`.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::NotFound(body("not_found", format!("{what} not found")))
    }
    /// 429 `rate_limited`.
    pub fn rate_limited(message: impl Into<String>) -> ApiError {
        ApiError::TooManyRequests(body("rate_limited", message))
    }
}

impl From<backend::Error> for ApiError {
    fn from(e: backend::Error) -> ApiError {
        use backend::Error as E;
        match e {
            E::NotFound(what) => ApiError::not_found(what),
            E::Conflict(m) => ApiError::Conflict(body("conflict", m)),
            E::Invalid(m) => ApiError::invalid(m),
            E::Unauthorized => ApiError::unauthorized("invalid username or password"),
            E::Forbidden(m) => ApiError::Forbidden(body("forbidden", m)),
            E::Busy => ApiError::TooManyRequests(body("busy", E::Busy.to_string())),
            other => {
                tracing::error!(cause = %other, "internal error");
                ApiError::Internal(body("internal", "internal server error"))
            }
        }
    }
}

/// Result of an API operation.
pub type ApiResult<T> = Result<T, ApiError>;

/// The code used for a bare HTTP status (errors raised outside our handlers).
pub fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        s if s >= 500 => "internal",
        _ => "error",
    }
}

/// Turns any poem error (parse failures, auth failures, unknown routes) into the JSON shape;
/// responses that already are JSON (our own errors) pass through.
pub async fn to_json(err: poem::Error) -> poem::Response {
    let status = err.status();
    let text = err.to_string();
    let resp = err.into_response();
    let is_json = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let message = if status.is_server_error() {
        tracing::error!(cause = %text, "unhandled error");
        "internal server error".to_string()
    } else {
        text
    };
    let body = serde_json::json!({ "code": code_for(status), "message": message });
    poem::Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}
