//! Accounts: registration, login sessions (cookie + CSRF token) and API tokens.
//!
//! Secrets handed out (session cookies, API tokens) are stored only as SHA-256 digests: they
//! are long random values, so a fast digest is enough and makes lookups cheap.

use crate::app::Backend;
use crate::domain::UserRecord;
use crate::store::{SessionRecord, TokenRecord};
use crate::{Error, Result, admin, clock, credentials};
use settings::Registration;
use sha2::{Digest, Sha256};

/// Prefix of API tokens, so that leaked ones are recognisable.
pub const TOKEN_PREFIX: &str = "so_";

/// A session just created: the cookie value and the CSRF token (both shown to the client once).
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Cookie value.
    pub token: String,
    /// Value for the `X-CSRF-Token` header.
    pub csrf: String,
    /// Expiry (unix ms).
    pub expires_at: i64,
}

/// Hex SHA-256 of a secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl Backend {
    /// Creates an account (username and password policy in [`admin`]). With
    /// `accounts.registration = "closed"` only while no user exists; the first user is admin.
    pub async fn register(&self, username: &str, password: &str) -> Result<UserRecord> {
        let closed = self.inner.settings.accounts.registration == Registration::Closed;
        let store = &self.inner.store;
        if closed && store.count_users().await? > 0 {
            return Err(registration_closed());
        }
        admin::validate_username(username)?;
        admin::validate_password(password)?;
        let hash = self.inner.passwords.hash(password).await?;
        let _one_at_a_time = self.inner.signups.one_at_a_time().await;
        let first = store.count_users().await? == 0;
        if closed && !first {
            return Err(registration_closed());
        }
        let user = store.insert_user_with_role(username, &hash, first).await?;
        tracing::info!(user = %user.username, admin = user.is_admin, "account registered");
        Ok(user)
    }

    /// Checks a login and opens a session lasting `ttl_ms`.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        ttl_ms: i64,
    ) -> Result<(UserRecord, NewSession)> {
        let user =
            admin::verify_user_with(&self.inner.store, &self.inner.passwords, username, password)
                .await?;
        self.open_session(user, ttl_ms).await
    }

    async fn open_session(
        &self,
        user: UserRecord,
        ttl_ms: i64,
    ) -> Result<(UserRecord, NewSession)> {
        let token = credentials::generate_secret();
        let csrf = credentials::generate_secret();
        let now = clock::now_ms();
        let expires_at = now + ttl_ms;
        self.inner
            .store
            .insert_session(&digest(&token), user.id, &csrf, now, expires_at)
            .await?;
        Ok((
            user,
            NewSession {
                token,
                csrf,
                expires_at,
            },
        ))
    }

    /// The session behind a cookie value, if valid.
    pub async fn session(&self, token: &str) -> Result<Option<SessionRecord>> {
        self.inner
            .store
            .find_session(&digest(token), clock::now_ms())
            .await
    }

    /// Ends a session.
    pub async fn logout(&self, token: &str) -> Result<()> {
        self.inner.store.delete_session(&digest(token)).await
    }

    /// Ends every session of a user (API tokens stay: they are listed and revoked one by
    /// one). Returns how many ended.
    pub async fn logout_everywhere(&self, user_id: i32) -> Result<u64> {
        let n = self.inner.store.delete_user_sessions(user_id, None).await?;
        tracing::info!(user_id, sessions = n, "logged out everywhere");
        Ok(n)
    }

    /// Checks a user's current password in the people's budget.
    async fn check_password(&self, user_id: i32, password: &str) -> Result<()> {
        let hash = self
            .inner
            .store
            .password_hash(user_id)
            .await?
            .ok_or(Error::NotFound("user"))?;
        if self.inner.passwords.verify(password, &hash).await? {
            Ok(())
        } else {
            Err(Error::Unauthorized)
        }
    }

    /// Changes a password after checking the current one; ends every other session of the
    /// user (the session `keep`, the caller's cookie value, stays). API tokens stay.
    pub async fn change_password(
        &self,
        user_id: i32,
        current: &str,
        new: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        admin::validate_password(new)?;
        self.check_password(user_id, current).await?;
        let hash = self.inner.passwords.hash(new).await?;
        let store = &self.inner.store;
        store.set_password_hash(user_id, &hash).await?;
        let keep = keep.map(digest);
        let n = store.delete_user_sessions(user_id, keep.as_deref()).await?;
        tracing::info!(user_id, other_sessions_ended = n, "password changed");
        Ok(())
    }

    /// Deletes an account after checking its password: its CCUs (whose live MQTT sessions
    /// close at once and whose broker logins go), outlets, readings, commands, events,
    /// alerts, sessions and API tokens.
    pub async fn delete_account(&self, user_id: i32, password: &str) -> Result<()> {
        self.check_password(user_id, password).await?;
        self.remove_user(user_id).await
    }

    /// Deletes a user and everything it owns, without a password check (admins).
    pub async fn remove_user(&self, user_id: i32) -> Result<()> {
        let ccus = self.inner.store.delete_user(user_id).await?;
        // Reload first, then close the sessions: the disconnects they cause then find no
        // CCU and record nothing for the deleted account (no orphan "offline" events).
        self.config_changed().await?;
        for id in &ccus {
            self.inner.logins.forget(id);
            self.inner.mqtt.sessions.revoke(id);
        }
        for id in &ccus {
            self.broker_ccu_removed(id).await?;
        }
        tracing::info!(user_id, ccus = ccus.len(), "account deleted");
        Ok(())
    }

    /// Creates an API token; the secret is returned once.
    pub async fn create_token(&self, user_id: i32, name: &str) -> Result<(TokenRecord, String)> {
        let name = crate::labels::name("token name", name)?;
        let name = name.as_str();
        let quota = self.inner.settings.accounts.max_tokens_per_user;
        let active = self
            .inner
            .store
            .list_tokens(user_id)
            .await?
            .iter()
            .filter(|t| t.revoked_at.is_none())
            .count();
        if active >= quota {
            return Err(Error::invalid(format!(
                "an account may hold at most {quota} API tokens: revoke one first"
            )));
        }
        let secret = format!("{TOKEN_PREFIX}{}", credentials::generate_secret());
        let prefix = secret[..TOKEN_PREFIX.len() + 6].to_string();
        let record = self
            .inner
            .store
            .insert_token(user_id, name, &digest(&secret), &prefix, clock::now_ms())
            .await?;
        Ok((record, secret))
    }

    /// The user an API token belongs to, if valid.
    pub async fn token_user(&self, secret: &str) -> Result<Option<i32>> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        self.inner
            .store
            .use_token(&digest(secret), clock::now_ms())
            .await
    }

    /// A user's API tokens.
    pub async fn list_tokens(&self, user_id: i32) -> Result<Vec<TokenRecord>> {
        self.inner.store.list_tokens(user_id).await
    }

    /// Revokes one of a user's tokens.
    pub async fn revoke_token(&self, user_id: i32, id: i32) -> Result<()> {
        self.inner
            .store
            .revoke_token(user_id, id, clock::now_ms())
            .await
    }

    /// A user by id.
    pub async fn user(&self, id: i32) -> Result<UserRecord> {
        self.inner
            .store
            .get_user(id)
            .await?
            .ok_or(Error::NotFound("user"))
    }
}

fn registration_closed() -> Error {
    Error::Forbidden(
        "registration is closed: ask the administrator for an account (smart-outlet user add)"
            .into(),
    )
}
