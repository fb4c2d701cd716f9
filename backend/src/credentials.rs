//! Secrets and passwords: generation and argon2 hashing.

use crate::Error;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// A new random secret: 24 bytes from the OS-seeded CSPRNG, as 48 hex characters.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Hashes a password or secret with argon2id (PHC string).
pub fn hash(secret: &str) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Hash(e.to_string()))
}

/// Checks a password against a PHC string; a malformed hash never matches.
pub fn verify(secret: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// As [`verify`], on the blocking pool (argon2 takes tens of milliseconds on purpose).
pub async fn verify_async(secret: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&secret, &phc))
        .await
        .unwrap_or(false)
}

/// As [`hash`], on the blocking pool.
pub async fn hash_async(secret: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || hash(&secret))
        .await
        .map_err(|e| Error::Hash(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let s = generate_secret();
        assert_eq!(s.len(), 48);
        assert_ne!(s, generate_secret());
        let h = hash(&s).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(&s, &h));
        assert!(!verify("wrong", &h));
        assert!(!verify(&s, "not a hash"));
    }
}
