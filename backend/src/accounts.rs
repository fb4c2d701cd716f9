//! Accounts: registration, login sessions (cookie + CSRF token) and API tokens.
//!
//! Secrets handed out (session cookies, API tokens) are stored only as SHA-256 digests: they
//! are long random values, so a fast digest is enough and makes lookups cheap.

use crate::app::Backend;
use crate::domain::UserRecord;
use crate::store::{SessionRecord, TokenRecord};
use crate::{Error, Result, admin, clock, credentials};
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
    /// Creates an account (username and password policy in [`admin`]).
    pub async fn register(&self, username: &str, password: &str) -> Result<UserRecord> {
        admin::add_user(&self.inner.store, username, password).await
    }

    /// Checks a login and opens a session lasting `ttl_ms`.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        ttl_ms: i64,
    ) -> Result<(UserRecord, NewSession)> {
        let user = admin::verify_user(&self.inner.store, username, password).await?;
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

    /// Creates an API token; the secret is returned once.
    pub async fn create_token(&self, user_id: i32, name: &str) -> Result<(TokenRecord, String)> {
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(Error::invalid("token name must be 1 to 100 characters"));
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
