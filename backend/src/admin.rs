//! Configuration on a [`Store`] alone: users, CCUs and outlets, so the CLI can change them
//! without a running server (which picks the change up, `reconfigure`). The services with
//! an [`Actor`](crate::Actor), ownership checks and events are in `ccus` and `outlets`.

use crate::credentials::{self, Kind};
use crate::domain::{CcuId, CcuRecord, DeviceId, OutletRecord, Transport, UserRecord};
use crate::passwords::Passwords;
use crate::{Error, Result, Store};
use ccu_core::protocol::MAX_OUTLETS_PER_CCU;

/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Checks a username: 3 to 64 of letters, digits and `_.@-`.
pub fn validate_username(name: &str) -> Result<()> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.@-".contains(c));
    if !(3..=64).contains(&name.len()) || !ok_chars {
        return Err(Error::invalid(
            "username must be 3 to 64 letters, digits or _ . @ -",
        ));
    }
    Ok(())
}

/// Checks a password: at least [`MIN_PASSWORD_LEN`] characters, not all the same one.
pub fn validate_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_LEN..=1024).contains(&n) {
        return Err(Error::invalid(format!(
            "password must be {MIN_PASSWORD_LEN} to 1024 characters"
        )));
    }
    let first = password.chars().next();
    if password.chars().all(|c| Some(c) == first) {
        return Err(Error::invalid("password must not repeat one character"));
    }
    Ok(())
}

/// Creates a user with an argon2-hashed password (the CLI and tests; the server's
/// registration is [`Backend::register`]). The first user becomes admin.
pub async fn add_user(store: &Store, username: &str, password: &str) -> Result<UserRecord> {
    add_user_with_role(store, username, password, false).await
}

/// As [`add_user`]; `admin` makes the user an admin (the first user always is one).
pub async fn add_user_with_role(
    store: &Store,
    username: &str,
    password: &str,
    admin: bool,
) -> Result<UserRecord> {
    validate_username(username)?;
    validate_password(password)?;
    let hash = Passwords::new(1, 0).hash(password).await?;
    let admin = admin || store.count_users().await? == 0;
    store.insert_user_with_role(username, &hash, admin).await
}

/// Checks a login (the CLI and tests; the server uses [`verify_user_with`] and its budget).
pub async fn verify_user(store: &Store, username: &str, password: &str) -> Result<UserRecord> {
    verify_user_with(store, &Passwords::new(1, 0), username, password).await
}

/// Checks a login in `passwords`' budget; the same error for an unknown user and a wrong
/// password (an unknown name costs a hash too, so names cannot be probed by timing). A
/// disabled user with the right password gets [`Error::Forbidden`].
pub async fn verify_user_with(
    store: &Store,
    passwords: &Passwords,
    username: &str,
    password: &str,
) -> Result<UserRecord> {
    let Some((user, hash)) = store.find_user(username).await? else {
        let _ = passwords.verify(password, DUMMY_HASH).await?;
        return Err(Error::Unauthorized);
    };
    if !passwords.verify(password, &hash).await? {
        return Err(Error::Unauthorized);
    }
    if user.disabled {
        return Err(Error::Forbidden("this account is disabled".into()));
    }
    Ok(user)
}

const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3kV0K0Lr0p5tMq9a1Gm0n3iQ2wY0cVvK5m9w3a1vG7Q";

/// Registers a CCU with a new secret; returns the record and the secret (shown once).
pub async fn add_ccu(
    store: &Store,
    owner_id: i32,
    id: &str,
    name: Option<&str>,
    transport: Transport,
    breaker_threshold_ma: i64,
) -> Result<(CcuRecord, String)> {
    let id = CcuId::parse(id).map_err(Error::Invalid)?;
    let secret = credentials::generate_secret();
    let hash = credentials::hash_async(secret.clone(), Kind::Secret).await?;
    let name = crate::labels::name("name", name.unwrap_or("My CCU"))?;
    let ccu = store
        .insert_ccu(
            id.as_str(),
            owner_id,
            &name,
            transport,
            &hash,
            breaker_threshold_ma,
        )
        .await?;
    Ok((ccu, secret))
}

/// Replaces a CCU's secret; returns the new one (shown once).
pub async fn rotate_ccu_secret(store: &Store, ccu_id: &str) -> Result<String> {
    let secret = credentials::generate_secret();
    let hash = credentials::hash_async(secret.clone(), Kind::Secret).await?;
    store.set_ccu_secret(ccu_id, &hash).await?;
    Ok(secret)
}

/// Adds an outlet to a CCU; the device id is normalised (`fe`, `0xFE` → `FE`).
pub async fn add_outlet(
    store: &Store,
    ccu_id: &str,
    device_id: &str,
    name: &str,
    location: &str,
) -> Result<OutletRecord> {
    let device = DeviceId::parse(device_id)
        .ok_or_else(|| Error::invalid("device id must be 1 or 2 hex digits, e.g. FE"))?;
    let ccu_id = CcuId::parse(ccu_id).map_err(Error::Invalid)?;
    if store.get_ccu(ccu_id.as_str()).await?.is_none() {
        return Err(Error::NotFound("CCU"));
    }
    if store.list_outlets(Some(ccu_id.as_str()), None).await?.len() >= MAX_OUTLETS_PER_CCU {
        return Err(Error::invalid(format!(
            "a CCU serves at most {MAX_OUTLETS_PER_CCU} outlets"
        )));
    }
    let name = crate::labels::name("name", name)?;
    let location = crate::labels::location(location)?;
    store
        .insert_outlet(ccu_id.as_str(), &device.to_string(), &name, &location)
        .await
}
