//! User administration on a [`Store`] alone (the CLI): list, disable, enable, reset a
//! password. A running server sees the change at the next request: sessions and API tokens
//! are checked against the user's disabled flag on every use.

use crate::admin;
use crate::domain::UserRecord;
use crate::passwords::Passwords;
use crate::{Error, Result, Store};

async fn by_name(store: &Store, username: &str) -> Result<UserRecord> {
    store
        .find_user(username)
        .await?
        .map(|(u, _)| u)
        .ok_or(Error::NotFound("user"))
}

/// Every user, oldest first.
pub async fn list(store: &Store) -> Result<Vec<UserRecord>> {
    store.list_users().await
}

/// Disables (`true`) or enables a user; disabling ends its sessions and makes its API tokens
/// refused until it is enabled again. Returns the user as it was.
pub async fn set_disabled(store: &Store, username: &str, disabled: bool) -> Result<UserRecord> {
    let user = by_name(store, username).await?;
    store.set_user_disabled(user.id, disabled).await?;
    Ok(user)
}

/// Sets a new password (checked against the password policy) and ends the user's sessions.
pub async fn reset_password(store: &Store, username: &str, password: &str) -> Result<UserRecord> {
    admin::validate_password(password)?;
    let user = by_name(store, username).await?;
    let hash = Passwords::new(1, 0).hash(password).await?;
    store.set_password_hash(user.id, &hash).await?;
    store.delete_user_sessions(user.id, None).await?;
    Ok(user)
}

/// A password for [`reset_password`]: 20 characters from the OS-seeded CSPRNG (about 119
/// bits), without look-alike characters.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_passwords_pass_the_policy_and_differ() {
        let a = super::generate_password();
        assert_eq!(a.len(), 20);
        crate::admin::validate_password(&a).unwrap();
        assert_ne!(a, super::generate_password());
    }
}
