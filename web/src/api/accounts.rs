//! Register, log in (session cookie + CSRF token), log out (here or everywhere), who am I,
//! change password, delete the account. Every password check takes a limiter slot first.

use super::models::{Credentials, PasswordChange, PasswordConfirm, Session, User};
use crate::auth::{Auth, SESSION_COOKIE};
use crate::client_ip::ClientIp;
use crate::error::{ApiError, ApiResult};
use crate::login_limiter::{Limited, Limits, LoginLimiter, Slot};
use backend::Backend;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use std::sync::atomic::Ordering::Relaxed;
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

impl AccountsApi {
    /// With the `[accounts]` limits.
    pub fn new(settings: &settings::AccountsSettings) -> AccountsApi {
        AccountsApi {
            limiter: LoginLimiter::new(Limits::from_settings(settings)),
        }
    }

    /// A limiter slot for a password check of `username`, or 429 (counted and logged).
    fn slot(&self, backend: &Backend, req: &poem::Request, username: &str) -> ApiResult<Slot> {
        let ip = ClientIp::of(req);
        self.limiter.acquire(username, ip.0).map_err(|which| {
            let n = backend.metrics().login_limited.fetch_add(1, Relaxed) + 1;
            let limit = match which {
                Limited::User => "username",
                Limited::Address => "address",
            };
            tracing::warn!(client = %ip.label(), limit, refused = n, "password check refused by the limiter");
            ApiError::rate_limited("too many password attempts; try again in a few minutes")
        })
    }

    /// Gives the slot back unless the check failed (a wrong password keeps counting).
    fn settle<T>(&self, slot: Slot, result: &backend::Result<T>) {
        match result {
            Err(backend::Error::Unauthorized) | Err(backend::Error::Db(_)) => {}
            _ => self.limiter.succeeded(slot),
        }
    }
}

#[derive(ApiResponse)]
enum Done {
    /// Done.
    #[oai(status = 204)]
    Ok,
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
    /// Create an account. With `accounts.registration = "closed"` (the default) only the
    /// first user may register (and becomes admin); then 403 `forbidden`.
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

    /// Log in: sets the `so_session` cookie and returns the CSRF token. Password checks are
    /// limited per username and per client address (`accounts.attempts_per_user`,
    /// `accounts.attempts_per_address` per `accounts.attempt_window`, 5 and 20 per 5 minutes
    /// by default); a successful one does not count. Over the limit: 429 `rate_limited`
    /// without checking. A disabled account: 403.
    #[oai(path = "/login", method = "post")]
    async fn login(
        &self,
        backend: Data<&Backend>,
        req: &poem::Request,
        body: Json<Credentials>,
    ) -> ApiResult<LoginResponse> {
        let slot = self.slot(&backend, req, &body.username)?;
        let result = backend
            .login(
                body.username.trim(),
                &body.password,
                SESSION_TTL.as_millis() as i64,
            )
            .await;
        self.settle(slot, &result);
        match result {
            Ok((user, session)) => {
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

    /// Log out everywhere: ends every session of the account, this one included. API tokens
    /// keep working (revoke them under /tokens).
    #[oai(path = "/logout-all", method = "post")]
    async fn logout_all(
        &self,
        backend: Data<&Backend>,
        req: &poem::Request,
        auth: Auth,
    ) -> ApiResult<LogoutResponse> {
        backend.logout_everywhere(auth.user_id()).await?;
        Ok(LogoutResponse::Ok(cookie("", 0, secure(req))))
    }

    /// Change the password (needs the current one, limited like a login; a wrong one is a
    /// 403 `wrong_password`). Every other session ends; the caller's stays. API tokens keep
    /// working.
    #[oai(path = "/password", method = "post")]
    async fn change_password(
        &self,
        backend: Data<&Backend>,
        req: &poem::Request,
        auth: Auth,
        body: Json<PasswordChange>,
    ) -> ApiResult<Done> {
        let user = backend.user(auth.user_id()).await?;
        let slot = self.slot(&backend, req, &user.username)?;
        let result = backend
            .change_password(
                user.id,
                &body.current_password,
                &body.new_password,
                auth.caller().session.as_deref(),
            )
            .await;
        self.settle(slot, &result);
        result.map_err(|e| match e {
            backend::Error::Unauthorized => ApiError::wrong_password("wrong current password"),
            e => e.into(),
        })?;
        Ok(Done::Ok)
    }

    /// Delete the account (needs the password, limited like a login; a wrong one is a 403
    /// `wrong_password`) with its CCUs, outlets,
    /// readings, commands, events, alerts, sessions and API tokens. Its CCUs' MQTT sessions
    /// close at once and their logins stop working.
    #[oai(path = "/account", method = "delete")]
    async fn delete_account(
        &self,
        backend: Data<&Backend>,
        req: &poem::Request,
        auth: Auth,
        body: Json<PasswordConfirm>,
    ) -> ApiResult<LogoutResponse> {
        let user = backend.user(auth.user_id()).await?;
        let slot = self.slot(&backend, req, &user.username)?;
        let result = backend.delete_account(user.id, &body.password).await;
        self.settle(slot, &result);
        result.map_err(|e| match e {
            backend::Error::Unauthorized => ApiError::wrong_password("wrong password"),
            e => e.into(),
        })?;
        Ok(LogoutResponse::Ok(cookie("", 0, secure(req))))
    }
}
