//! Configuration services: users, CCUs and outlets.
//!
//! The free functions work on a [`Store`] alone, so the CLI can use them without a running
//! server; the [`Backend`] methods add ownership checks, events, and make a running server
//! act on the change at once (registry reload, `ccu/<id>/devices` republished).

use crate::app::Backend;
use crate::credentials::{self, Kind};
use crate::domain::{
    CcuId, CcuRecord, DeviceId, EventKind, OutletRecord, Source, Transport, UserRecord,
};
use crate::passwords::Passwords;
use crate::store::NewEvent;
use crate::{Error, Result, Store};
use ccu_core::protocol::{MAX_OUTLETS_PER_CCU, TopicKind};

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
    let name = name.unwrap_or("My CCU");
    let ccu = store
        .insert_ccu(
            id.as_str(),
            owner_id,
            name,
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
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::invalid("name must be 1 to 100 characters"));
    }
    store
        .insert_outlet(ccu_id.as_str(), &device.to_string(), name, location)
        .await
}

impl Backend {
    /// Registers a CCU for `owner_id`; the secret is returned once.
    pub async fn create_ccu(
        &self,
        owner_id: i32,
        id: &str,
        name: Option<&str>,
        transport: Transport,
        source: Source,
    ) -> Result<(CcuRecord, String)> {
        let quota = self.inner.settings.accounts.max_ccus_per_user;
        if source != Source::Cli && self.inner.store.list_ccus(Some(owner_id)).await?.len() >= quota
        {
            return Err(Error::invalid(format!(
                "an account may register at most {quota} CCUs (accounts.max_ccus_per_user)"
            )));
        }
        let threshold = self.inner.settings.alerts.default_breaker_threshold_ma;
        let (ccu, secret) =
            add_ccu(&self.inner.store, owner_id, id, name, transport, threshold).await?;
        if transport.serves_http() {
            self.open_learning_window(&ccu.id).await?;
        }
        self.broker_ccu_added(&ccu.id, &secret).await?;
        self.config_event(
            owner_id,
            source,
            Some(&ccu.id),
            None,
            format!("CCU {} ({}) added", ccu.name, ccu.id),
        )
        .await?;
        self.config_changed().await?;
        Ok((ccu, secret))
    }

    /// Adds an outlet to one of `owner`'s CCUs (`None`: no ownership check).
    pub async fn create_outlet(
        &self,
        owner: Option<i32>,
        ccu_id: &str,
        device_id: &str,
        name: &str,
        location: &str,
        source: Source,
    ) -> Result<OutletRecord> {
        let ccu = self.owned_ccu(owner, ccu_id)?;
        let outlet = add_outlet(&self.inner.store, &ccu.id, device_id, name, location).await?;
        self.config_event(
            ccu.owner_id,
            source,
            Some(&ccu.id),
            Some(&outlet.device_id),
            format!(
                "Outlet {} ({}) added to CCU {}",
                outlet.name, outlet.device_id, ccu.id
            ),
        )
        .await?;
        self.config_changed().await?;
        Ok(outlet)
    }

    /// Replaces a CCU's secret (the old one stops working for new connections).
    pub async fn rotate_ccu_secret(&self, owner: Option<i32>, ccu_id: &str) -> Result<String> {
        let ccu = self.owned_ccu(owner, ccu_id)?;
        let secret = rotate_ccu_secret(&self.inner.store, &ccu.id).await?;
        self.broker_ccu_rotated(&ccu.id, &secret).await?;
        self.inner.logins.forget(&ccu.id);
        // Live sessions logged in with the old secret end now.
        self.inner.mqtt.sessions.revoke(&ccu.id);
        self.config_event(
            ccu.owner_id,
            Source::Web,
            Some(&ccu.id),
            None,
            format!("CCU {} secret rotated", ccu.id),
        )
        .await?;
        Ok(secret)
    }

    /// Sets a CCU's breaker threshold.
    pub async fn set_breaker_threshold(
        &self,
        owner: Option<i32>,
        ccu_id: &str,
        ma: i64,
    ) -> Result<()> {
        if ma <= 0 {
            return Err(Error::invalid("threshold must be greater than 0"));
        }
        let ccu = self.owned_ccu(owner, ccu_id)?;
        self.inner.store.set_breaker_threshold(&ccu.id, ma).await?;
        self.config_event(
            ccu.owner_id,
            Source::Web,
            Some(&ccu.id),
            None,
            format!("Breaker threshold of {} set to {ma} mA", ccu.id),
        )
        .await?;
        self.config_changed().await
    }

    /// Sets an outlet's alert threshold and programs it into the PIC.
    pub async fn set_outlet_threshold(
        &self,
        owner: Option<i32>,
        outlet_id: i32,
        ma: i64,
    ) -> Result<()> {
        if !(0..=65534).contains(&ma) {
            return Err(Error::invalid("threshold must be 0 to 65534 mA"));
        }
        let actor = match owner {
            Some(u) => crate::commands::Actor::User(u),
            None => crate::commands::Actor::System(Source::Cli),
        };
        let outlet = self.owned_outlet(actor, outlet_id)?;
        self.inner.store.set_outlet_threshold(outlet.id, ma).await?;
        self.config_changed().await?;
        if ma > 0 {
            self.send_command(
                actor,
                crate::commands::NewCommand {
                    outlet_id,
                    command: crate::domain::CommandKind::SetThreshold,
                    socket: None,
                    value: Some(ma),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// One of `owner`'s CCUs (`None`: any).
    pub(crate) fn owned_ccu(
        &self,
        owner: Option<i32>,
        ccu_id: &str,
    ) -> Result<crate::registry::CcuEntry> {
        let id = CcuId::parse(ccu_id).map_err(|_| Error::NotFound("CCU"))?;
        self.inner
            .registry
            .ccu(id.as_str())
            .filter(|c| owner.is_none_or(|o| c.owner_id == o))
            .ok_or(Error::NotFound("CCU"))
    }

    /// Makes the running server act on a configuration change in the store.
    pub async fn config_changed(&self) -> Result<()> {
        let _serial = self.inner.config.one_reload_at_a_time().await;
        let changed = self.inner.registry.reload(&self.inner.store).await?;
        let ccus = self.inner.store.list_ccus(None).await?;
        let outlets = self.inner.store.list_outlets(None, None).await?;
        self.inner.state.seed(&ccus, &outlets);
        let ccu_ids: Vec<String> = ccus.iter().map(|c| c.id.clone()).collect();
        let outlet_ids: Vec<i32> = outlets.iter().map(|o| o.id).collect();
        self.inner.state.retain(&ccu_ids, &outlet_ids);
        self.inner
            .config
            .loaded(self.inner.store.config_fingerprint().await?);
        drop(_serial);
        self.revoke_stale_sessions().await?;
        for id in changed {
            // The broker may be away; every (re)connection republishes all lists anyway.
            if let Err(e) = self.publish_devices(&id).await {
                tracing::warn!(ccu = %id, cause = %e, "device list not published now");
            }
        }
        Ok(())
    }

    /// Closes the MQTT sessions of CCUs that were removed or whose secret changed (also
    /// when another process, the CLI, made the change).
    async fn revoke_stale_sessions(&self) -> Result<()> {
        if self.inner.mqtt.sessions.keys().is_empty() {
            return Ok(());
        }
        let hashes = self.inner.store.ccu_secret_hashes().await?;
        let mqtt = &self.inner.mqtt;
        let n = mqtt.sessions.revoke_where(|ccu, tag| {
            // An empty tag is a login still being checked: the login itself looks again
            // once it is tagged (`auth.rs`), so closing it here would only be a race.
            !tag.is_empty() && !mqtt.is_backend(ccu) && hashes.get(ccu).is_none_or(|h| h != tag)
        });
        if n > 0 {
            tracing::info!(
                sessions = n,
                "closed MQTT sessions of removed or re-keyed CCUs"
            );
        }
        Ok(())
    }

    /// Picks up changes another process (the CLI) made to the store (timer).
    pub(crate) async fn refresh_from_store(&self) -> Result<()> {
        let now = self.inner.store.config_fingerprint().await?;
        let differs = self.inner.config.differs(now);
        if differs != Some(false) {
            if differs == Some(true) {
                tracing::info!("configuration changed in the store; reloading");
            }
            self.config_changed().await?;
        }
        Ok(())
    }

    /// Publishes (retained) a CCU's device list.
    pub async fn publish_devices(&self, ccu_id: &str) -> Result<()> {
        let list = self.inner.registry.device_list(ccu_id);
        let payload = serde_json::to_vec(&list).map_err(|e| Error::Publish(e.to_string()))?;
        let topic = format!("ccu/{ccu_id}/{}", TopicKind::Devices.as_str());
        self.inner.mqtt.bus.publish(topic, payload, true).await
    }

    /// Publishes every CCU's device list (after (re)connecting to the broker).
    pub async fn publish_all_devices(&self) -> Result<()> {
        for c in self.inner.registry.ccus() {
            self.publish_devices(&c.id).await?;
        }
        Ok(())
    }

    pub(crate) async fn config_event(
        &self,
        owner_id: i32,
        source: Source,
        ccu_id: Option<&str>,
        device_id: Option<&str>,
        message: String,
    ) -> Result<()> {
        self.inner
            .store
            .insert_event(NewEvent {
                user_id: Some(owner_id),
                kind: EventKind::Config,
                source,
                ccu_id: ccu_id.map(str::to_string),
                device_id: device_id.map(str::to_string),
                message,
                data: None,
            })
            .await?;
        Ok(())
    }
}
