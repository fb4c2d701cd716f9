//! MQTT authentication: the broker's CONNECT hook.
//!
//! A CCU logs in with username = its id, password = its secret (argon2-verified once, then
//! remembered as a SHA-256 digest until the stored hash changes), and client id = its id, so
//! that no one can take over another CCU's session. The backend's own client has its own
//! login, generated at start in embedded mode.

use crate::app::Backend;
use crate::credentials;
use broker::{Authenticator, BoxFuture};
use sha2::{Digest, Sha256};
use std::sync::atomic::Ordering::Relaxed;

/// The hook object handed to the broker.
pub struct MqttAuth {
    backend: Backend,
}

impl MqttAuth {
    /// Authenticates against `backend`'s CCU table.
    pub fn new(backend: Backend) -> MqttAuth {
        MqttAuth { backend }
    }
}

impl Authenticator for MqttAuth {
    fn authenticate(
        &self,
        client_id: String,
        username: String,
        password: String,
    ) -> BoxFuture<bool> {
        let backend = self.backend.clone();
        Box::pin(async move {
            let result = backend.check_login(&client_id, &username, &password).await;
            match result {
                Ok(()) => {
                    backend.inner.metrics.auth_successes.fetch_add(1, Relaxed);
                    true
                }
                Err(reason) => {
                    let n = backend.inner.metrics.auth_failures.fetch_add(1, Relaxed) + 1;
                    tracing::warn!(
                        client_id,
                        username,
                        reason,
                        failures = n,
                        "MQTT login refused"
                    );
                    false
                }
            }
        })
    }
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

impl Backend {
    /// Checks one MQTT login; the error says why (for the log only).
    pub async fn check_login(
        &self,
        client_id: &str,
        username: &str,
        password: &str,
    ) -> Result<(), &'static str> {
        let (backend_user, backend_pass) = &self.inner.backend_login;
        if username == backend_user {
            if digest(password) != digest(backend_pass) {
                return Err("wrong backend password");
            }
            if !client_id.starts_with(backend_user.as_str()) {
                return Err("backend client id must start with its username");
            }
            return Ok(());
        }
        if client_id != username {
            return Err("client id must equal the CCU id");
        }
        let auth = match self.inner.store.ccu_auth(username).await {
            Ok(Some(a)) => a,
            Ok(None) => return Err("unknown CCU"),
            Err(_) => return Err("store unavailable"),
        };
        let d = digest(password);
        let cached = self
            .inner
            .auth_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(username)
            .is_some_and(|(hash, known)| *hash == auth.secret_hash && *known == d);
        if cached {
            return Ok(());
        }
        if credentials::verify_async(password.to_string(), auth.secret_hash.clone()).await {
            self.inner
                .auth_cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(username.to_string(), (auth.secret_hash, d));
            Ok(())
        } else {
            Err("wrong secret")
        }
    }
}
