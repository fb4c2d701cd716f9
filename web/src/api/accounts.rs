//! Register, log in (session cookie + CSRF token), log out, who am I.

use super::models::{Credentials, Session, User};
use crate::auth::{Auth, LoginLimiter, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult};
use backend::Backend;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use std::time::Duration;

#[derive(Tags)]
enum Tag {
    /// Accounts and sessions.
    Accounts,
}

/// Session lifetime.
const SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Account operations.
pub struct AccountsApi {
    limiter: LoginLimiter,
}

impl Default for AccountsApi {
    fn default() -> Self {
        AccountsApi {
            limiter: LoginLimiter::new(5, Duration::from_secs(300)),
        }
    }
}

#[derive(ApiResponse)]
enum LoginResponse {
    /// Logged in; the session cookie is set.
    #[oai(status = 200)]
    Ok(Json<Session>, #[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
enum LogoutResponse {
    /// Logged out; the cookie is cleared.
    #[oai(status = 204)]
    Ok(#[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
enum Created {
    /// The account.
    #[oai(status = 201)]
    Ok(Json<User>),
}

fn cookie(value: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    )
}

/// Secure cookies are refused by browsers on plain HTTP except for localhost; mark them
/// Secure on localhost and behind HTTPS, so a LAN dashboard over HTTP still works.
fn secure(req: &poem::Request) -> bool {
    let proto_https = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let host = req
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let local =
        host.starts_with("localhost") || host.starts_with("127.0.0.1") || host.starts_with("[::1]");
    proto_https || req.uri().scheme_str() == Some("https") || local
}

#[OpenApi(prefix_path = "/auth", tag = "Tag::Accounts")]
impl AccountsApi {
    /// Create an account.
    #[oai(path = "/register", method = "post")]
    async fn register(
        &self,
        backend: Data<&Backend>,
        body: Json<Credentials>,
    ) -> ApiResult<Created> {
        let user = backend
            .register(body.username.trim(), &body.password)
            .await?;
        Ok(Created::Ok(Json(user.into())))
    }

    /// Log in: sets the `so_session` cookie and returns the CSRF token. Five failures per
    /// five minutes per username and address answer 429.
    #[oai(path = "/login", method = "post")]
    async fn login(
        &self,
        backend: Data<&Backend>,
        req: &poem::Request,
        body: Json<Credentials>,
    ) -> ApiResult<LoginResponse> {
        let ip = crate::client_ip::ClientIp::of(req).label();
        let key = format!("{}|{ip}", body.username.trim().to_lowercase());
        if !self.limiter.allowed(&key) {
            return Err(ApiError::rate_limited(
                "too many failed logins; try again in a few minutes",
            ));
        }
        match backend
            .login(
                body.username.trim(),
                &body.password,
                SESSION_TTL.as_millis() as i64,
            )
            .await
        {
            Ok((user, session)) => {
                self.limiter.succeeded(&key);
                let c = cookie(&session.token, SESSION_TTL.as_secs(), secure(req));
                Ok(LoginResponse::Ok(
                    Json(Session {
                        user: user.into(),
                        csrf_token: session.csrf,
                        expires_at: session.expires_at,
                    }),
                    c,
                ))
            }
            Err(backend::Error::Unauthorized) => {
                self.limiter.failed(&key);
                Err(ApiError::unauthorized("invalid username or password"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Log out (ends the session).
    #[oai(path = "/logout", method = "post")]
    async fn logout(
        &self,
        backend: Data<&Backend>,
        req: &poem::Request,
        auth: Auth,
    ) -> ApiResult<LogoutResponse> {
        if let Some(token) = &auth.caller().session {
            backend.logout(token).await?;
        }
        Ok(LogoutResponse::Ok(cookie("", 0, secure(req))))
    }

    /// The current user, with the CSRF token of the current session.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, backend: Data<&Backend>, auth: Auth) -> ApiResult<Json<Session>> {
        let user = backend.user(auth.user_id()).await?;
        let (csrf_token, expires_at) = match &auth.caller().session {
            Some(token) => match backend.session(token).await? {
                Some(s) => (s.csrf_token, s.expires_at),
                None => return Err(ApiError::unauthorized("session expired")),
            },
            None => (String::new(), 0),
        };
        Ok(Json(Session {
            user: user.into(),
            csrf_token,
            expires_at,
        }))
    }
}
