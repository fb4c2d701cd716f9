//! The backend's side of the broker: its own MQTT client ([`Bus`]), its own login, the live
//! CCU sessions it can close, and, with an external Mosquitto, the provisioning of logins.

use crate::bus::Bus;
use crate::external::dynsec::Dynsec;
use crate::login_cache::digest;
use broker::sessions::Sessions;

/// The username and password the backend's own MQTT client logs in with.
#[derive(Clone)]
pub struct BackendLogin {
    username: String,
    password: String,
}

impl BackendLogin {
    /// A login (generated at start in embedded mode, configured in external mode).
    pub fn new(username: String, password: String) -> BackendLogin {
        BackendLogin { username, password }
    }

    /// Its username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Whether `password` is its password (compared as digests).
    pub fn password_matches(&self, password: &str) -> bool {
        digest(password) == digest(&self.password)
    }
}

impl std::fmt::Debug for BackendLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendLogin")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Everything the backend holds of the broker.
pub struct MqttLink {
    /// The backend's client, for publishing.
    pub bus: Bus,
    /// Live MQTT sessions per CCU, closed when its secret changes or it is removed.
    pub sessions: Sessions,
    /// The backend client's own login.
    pub login: BackendLogin,
    /// Provisioning of an external broker's logins (`external`), if configured.
    pub dynsec: Option<Dynsec>,
}

impl MqttLink {
    /// Whether `username` is the backend's own client.
    pub fn is_backend(&self, username: &str) -> bool {
        username == self.login.username()
    }
}
