//! MQTT authentication: the broker's CONNECT hook.
//!
//! A CCU logs in with username = its id, password = its secret (argon2-verified once, then
//! remembered as a SHA-256 digest until the stored hash changes), and client id = its id, so
//! that no one can take over another CCU's session. The backend's own client has its own
//! login, generated at start in embedded mode. An admitted login is a
//! [`broker::acl::Principal`] (its topic rights) and is registered in the backend's
//! [`broker::sessions::Sessions`], so that rotating the secret or removing the CCU closes
//! the connection at once.

use crate::app::Backend;
use crate::credentials;
use crate::login_cache::digest;
use broker::acl::Principal;
use broker::{Admitted, Authenticator, BoxFuture};
use std::sync::atomic::Ordering::Relaxed;

/// Time a CCU gets after CONNACK to subscribe before queued commands are sent to it.
pub const LOGIN_SETTLE: std::time::Duration = std::time::Duration::from_secs(1);

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
    ) -> BoxFuture<Option<Admitted>> {
        let backend = self.backend.clone();
        Box::pin(async move {
            // Registered before the secret is read: a rotation from now on closes it.
            let (session, revoked) = backend.inner.mqtt.sessions.watch(&username);
            let generation = backend.inner.config.generation();
            let result = backend.check_login(&client_id, &username, &password).await;
            match result {
                Ok((principal, secret_hash)) => {
                    backend
                        .inner
                        .mqtt
                        .sessions
                        .tag(&username, session, secret_hash.clone());
                    if backend.inner.config.generation() != generation {
                        // A reload ran while this login was checked and skipped it: look
                        // again whether the secret it was checked against is still current.
                        backend.recheck_login(&username, &secret_hash).await;
                    }
                    backend.inner.metrics.auth_successes.fetch_add(1, Relaxed);
                    if username != backend.inner.mqtt.login.username() {
                        // A CCU that never publishes its status is still connected: once it
                        // has had time to subscribe, count it as seen (online), which sends
                        // its device list and queued commands.
                        let b = backend.clone();
                        let login_at = crate::clock::now_ms();
                        tokio::spawn(async move {
                            tokio::time::sleep(LOGIN_SETTLE).await;
                            if let Err(e) = b.login_seen(&username, login_at).await {
                                tracing::warn!(ccu = %username, cause = %e, "presence after login failed");
                            }
                        });
                    }
                    Some(Admitted {
                        principal,
                        revoked: Some(revoked),
                    })
                }
                Err(reason) => {
                    backend.inner.mqtt.sessions.forget(&username, session);
                    let n = backend.inner.metrics.auth_failures.fetch_add(1, Relaxed) + 1;
                    tracing::warn!(
                        client_id,
                        username,
                        reason,
                        failures = n,
                        "MQTT login refused"
                    );
                    None
                }
            }
        })
    }
}

impl Backend {
    /// Closes the sessions of `ccu` admitted with `secret_hash` if that is no longer its
    /// stored hash (rotated or removed by another process during the login).
    async fn recheck_login(&self, ccu: &str, secret_hash: &str) {
        if self.inner.mqtt.is_backend(ccu) {
            return;
        }
        let current = match self.inner.store.ccu_auth(ccu).await {
            Ok(a) => a.map(|a| a.secret_hash),
            Err(e) => {
                tracing::warn!(ccu, cause = %e, "login re-check failed; the next reload checks it");
                return;
            }
        };
        if current.as_deref() != Some(secret_hash) {
            let n = self
                .inner
                .mqtt
                .sessions
                .revoke_where(|key, tag| key == ccu && tag == secret_hash);
            tracing::info!(
                ccu,
                sessions = n,
                "closed a login whose secret changed while it was checked"
            );
        }
    }

    /// A CCU logged in over MQTT (see [`LOGIN_SETTLE`]).
    async fn login_seen(&self, ccu_id: &str, login_at: i64) -> crate::Result<()> {
        let gone = self
            .inner
            .state
            .ccu(ccu_id)
            .is_some_and(|s| !s.online && s.offline_at.is_some_and(|t| t >= login_at));
        if gone {
            // Its will or `online:false` came after this login: it left again.
            return Ok(());
        }
        self.claim_transport(ccu_id, crate::domain::Transport::Mqtt)
            .await?;
        self.ccu_seen(ccu_id, crate::clock::now_ms()).await
    }

    /// Checks one MQTT login: who it is, and the secret hash it was checked against (so a
    /// later change of that hash can close the session). The error says why (for the log
    /// only).
    pub async fn check_login(
        &self,
        client_id: &str,
        username: &str,
        password: &str,
    ) -> Result<(Principal, String), &'static str> {
        let link = &self.inner.mqtt;
        if link.is_backend(username) {
            if !link.login.password_matches(password) {
                return Err("wrong backend password");
            }
            if !client_id.starts_with(username) {
                return Err("backend client id must start with its username");
            }
            return Ok((Principal::backend(username), String::new()));
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
        if self.inner.logins.knows(username, &auth.secret_hash, &d) {
            return Ok((Principal::ccu(auth.id), auth.secret_hash));
        }
        if credentials::verify_async(password.to_string(), auth.secret_hash.clone()).await {
            self.inner
                .logins
                .remember(username, auth.secret_hash.clone(), d);
            Ok((Principal::ccu(auth.id), auth.secret_hash))
        } else {
            Err("wrong secret")
        }
    }
}
