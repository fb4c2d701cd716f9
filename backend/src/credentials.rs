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

/// What is hashed, which decides how much work the hash costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A password a person chose: argon2id with OWASP's parameters (19 MiB, 2 passes, tens of
    /// ms), so that a stolen database cannot be brute-forced cheaply.
    Password,
    /// A secret this program generated (192 random bits, [`generate_secret`]): argon2id with
    /// 256 KiB and one pass (well under a millisecond). Nobody guesses 2^192, so a slow hash
    /// buys nothing here; the hash only keeps the secret out of the database, as SHA-256 does
    /// for API tokens. The cost matters: every CCU verifies its secret on (re)connect, and
    /// with the password parameters 10 000 CCUs took 157 s and 302 CPU-seconds to come back
    /// after a server restart on 2 cores (bench `connections`).
    Secret,
}

impl Kind {
    fn params(self) -> argon2::Params {
        match self {
            Kind::Password => argon2::Params::default(),
            Kind::Secret => {
                argon2::Params::new(256, 1, 1, None).unwrap_or_else(|_| argon2::Params::default())
            }
        }
    }
}

/// Hashes a password or generated secret with argon2id (PHC string).
pub fn hash(secret: &str, kind: Kind) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Hash(e.to_string()))?;
    Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        kind.params(),
    )
    .hash_password(secret.as_bytes(), &salt)
    .map(|h| h.to_string())
    .map_err(|e| Error::Hash(e.to_string()))
}

/// Checks a password or secret against a PHC string (its own parameters, whichever
/// [`Kind`] made it); a malformed hash never matches.
pub fn verify(secret: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => verify_pooled(secret, &parsed).unwrap_or_else(|| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok()
        }),
        Err(_) => false,
    }
}

/// Argon2 working memory (~19 MiB each with the default parameters), kept for reuse: freeing
/// and re-allocating it per login leaves the allocator holding hundreds of MiB after a
/// reconnect storm. At most one buffer per concurrent verification (see `argon2_slots`).
static BLOCKS: std::sync::Mutex<Vec<Vec<argon2::Block>>> = std::sync::Mutex::new(Vec::new());

/// Verifies an argon2 PHC hash with pooled working memory; `None` if the hash is not one
/// this path handles (then the allocating path decides).
fn verify_pooled(secret: &str, parsed: &PasswordHash<'_>) -> Option<bool> {
    let algorithm = argon2::Algorithm::try_from(parsed.algorithm).ok()?;
    let version = argon2::Version::try_from(parsed.version.unwrap_or(0x13)).ok()?;
    let params = argon2::Params::try_from(parsed).ok()?;
    let expected = parsed.hash?;
    let mut salt_buf = [0u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt_buf).ok()?;
    let mut blocks = BLOCKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop()
        .unwrap_or_default();
    if blocks.len() < params.block_count() {
        blocks.resize(params.block_count(), argon2::Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let ok = Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(secret.as_bytes(), salt, &mut out, &mut blocks[..])
        .is_ok()
        && argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected);
    BLOCKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(blocks);
    Some(ok)
}

/// Argon2 runs at most this many at once (one per core): each takes ~19 MiB and tens of
/// milliseconds on purpose, so a reconnect storm of thousands of CCUs must queue, not
/// multiply memory and starve the runtime.
fn argon2_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let n = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(n)
    })
}

/// As [`verify`], on the blocking pool, at most one per core at a time: the budget of CCU
/// logins. People's passwords have their own budget (`passwords::Passwords`), so that a
/// flood of logins or registrations never queues in front of a CCU.
pub async fn verify_async(secret: String, phc: String) -> bool {
    let Ok(_slot) = argon2_slots().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify(&secret, &phc))
        .await
        .unwrap_or(false)
}

/// As [`hash`], on the blocking pool, in the CCU budget (see [`verify_async`]); for
/// generated secrets ([`Kind::Secret`]).
pub async fn hash_async(secret: String, kind: Kind) -> Result<String, Error> {
    let _slot = argon2_slots()
        .acquire()
        .await
        .map_err(|e| Error::Hash(e.to_string()))?;
    tokio::task::spawn_blocking(move || hash(&secret, kind))
        .await
        .map_err(|e| Error::Hash(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_verification_agrees_with_the_reference() {
        let s = generate_secret();
        let h = hash(&s, Kind::Password).unwrap();
        let parsed = PasswordHash::new(&h).unwrap();
        assert_eq!(verify_pooled(&s, &parsed), Some(true));
        assert_eq!(verify_pooled("wrong", &parsed), Some(false));
        assert!(
            Argon2::default()
                .verify_password(s.as_bytes(), &parsed)
                .is_ok()
        );
        // Twice, so the second run reuses pooled memory.
        assert_eq!(verify_pooled(&s, &parsed), Some(true));
    }

    #[test]
    fn hash_and_verify() {
        let s = generate_secret();
        assert_eq!(s.len(), 48);
        assert_ne!(s, generate_secret());
        for (kind, params) in [
            (Kind::Password, "$m=19456,t=2,p=1$"),
            (Kind::Secret, "$m=256,t=1,p=1$"),
        ] {
            let h = hash(&s, kind).unwrap();
            assert!(h.starts_with("$argon2id$v=19$"), "{h}");
            assert!(h.contains(params), "{kind:?}: {h}");
            assert!(verify(&s, &h));
            assert!(!verify("wrong", &h));
        }
        assert!(!verify(&s, "not a hash"));
    }

    #[test]
    fn pooled_memory_serves_both_kinds_in_any_order() {
        let s = generate_secret();
        let strong = hash(&s, Kind::Password).unwrap();
        let light = hash(&s, Kind::Secret).unwrap();
        for h in [&light, &strong, &light, &strong] {
            assert!(verify(&s, h));
            assert!(!verify("wrong", h));
        }
    }
}
