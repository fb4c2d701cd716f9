//! Who a client of an external broker is, for brokers that ask us (EMQX's HTTP authn/authz).
//!
//! Authentication goes through [`Backend::check_login`]; authorization requests carry no
//! password, only the username and client id of a client the broker has already
//! authenticated, so [`Backend::authz_principal`] only maps them to a [`Principal`] again.

use crate::app::Backend;
use broker::acl::Principal;

impl Backend {
    /// Checks a login and says who it is (the embedded broker's check, without its session
    /// registry: an external broker owns the sessions).
    pub async fn login_principal(
        &self,
        client_id: &str,
        username: &str,
        password: &str,
    ) -> Result<Principal, &'static str> {
        self.check_login(client_id, username, password)
            .await
            .map(|(principal, _)| principal)
    }

    /// The principal of an already authenticated client, or `None` when the pair could not
    /// have logged in (unknown CCU, client id ≠ username, backend with a foreign client id).
    pub fn authz_principal(&self, client_id: &str, username: &str) -> Option<Principal> {
        if self.inner.mqtt.is_backend(username) {
            return client_id
                .starts_with(username)
                .then(|| Principal::backend(username));
        }
        (client_id == username && self.inner.registry.ccu(username).is_some())
            .then(|| Principal::ccu(username))
    }
}

/// What a client asks to do, for [`Backend::authorize`].
pub use broker::acl::Action;

impl Backend {
    /// May this authenticated client publish (`retain` or not) on or subscribe to `topic`?
    /// The answer comes from the same rule table as the embedded broker's.
    pub fn authorize(
        &self,
        client_id: &str,
        username: &str,
        action: Action,
        topic: &str,
        retain: bool,
    ) -> Result<Principal, &'static str> {
        let principal = self
            .authz_principal(client_id, username)
            .ok_or("unknown client")?;
        let acl = broker::acl::Acl::default().for_principal(&principal);
        let checked = match action {
            Action::Publish => acl.check_publish(topic, retain),
            Action::Subscribe => acl.check_subscribe(topic),
        };
        checked.map(|()| principal).map_err(|d| d.as_str())
    }

    /// Does `given` equal `mqtt.external.http_auth_token`? Constant time (SHA-256 digests
    /// compared without an early exit). Always false when the token is not set.
    pub fn http_auth_token_matches(&self, given: &str) -> bool {
        use sha2::{Digest, Sha256};
        let want = self.inner.settings.mqtt.external.http_auth_token.expose();
        if want.is_empty() {
            return false;
        }
        let (a, b) = (
            Sha256::digest(want.as_bytes()),
            Sha256::digest(given.as_bytes()),
        );
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }
}
