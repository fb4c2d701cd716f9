//! CCU logins already verified: argon2 costs tens of milliseconds, and a reconnecting fleet
//! logs in again and again with the same secret. Keyed by CCU, valid for one stored hash.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// A digest of a secret (the secret itself is never kept).
pub type SecretDigest = [u8; 32];

/// The digest of `s`.
pub fn digest(s: &str) -> SecretDigest {
    Sha256::digest(s.as_bytes()).into()
}

/// Per CCU: the stored hash a login was verified against and the digest of its secret.
#[derive(Debug, Default)]
pub struct LoginCache(Mutex<HashMap<String, (String, SecretDigest)>>);

impl LoginCache {
    /// Whether `ccu` logged in with this secret while `stored_hash` was its hash.
    pub fn knows(&self, ccu: &str, stored_hash: &str, secret: &SecretDigest) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(ccu)
            .is_some_and(|(hash, known)| hash == stored_hash && known == secret)
    }

    /// Forgets `ccu`'s login (its secret changed or it was removed).
    pub fn forget(&self, ccu: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(ccu);
    }

    /// Remembers a verified login.
    pub fn remember(&self, ccu: &str, stored_hash: String, secret: SecretDigest) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ccu.to_string(), (stored_hash, secret));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_known_only_for_its_hash_and_secret() {
        let c = LoginCache::default();
        c.remember("A1", "h1".into(), digest("s"));
        assert!(c.knows("A1", "h1", &digest("s")));
        assert!(!c.knows("A1", "h2", &digest("s")));
        assert!(!c.knows("A1", "h1", &digest("t")));
        assert!(!c.knows("B2", "h1", &digest("s")));
    }
}
