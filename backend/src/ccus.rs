//! Services on CCUs: list, read, register, rename, re-key, set the breaker threshold,
//! delete; each checks that the [`Actor`] may act on the CCU.

use crate::actor::Actor;
use crate::admin::{add_ccu, rotate_ccu_secret};
use crate::app::Backend;
use crate::domain::{CcuId, CcuRecord, Transport};
use crate::registry::CcuEntry;
use crate::{Error, Result};

impl Backend {
    /// The CCUs the actor may see, with live presence and breaker load.
    pub async fn list_ccus(&self, actor: Actor) -> Result<Vec<CcuRecord>> {
        let mut ccus = self.inner.store.list_ccus(actor.user_id()).await?;
        for c in &mut ccus {
            self.overlay_ccu(c);
        }
        Ok(ccus)
    }

    /// One CCU.
    pub async fn get_ccu(&self, actor: Actor, id: &str) -> Result<CcuRecord> {
        let entry = self.owned_ccu(actor, id)?;
        let mut c = self
            .inner
            .store
            .get_ccu(&entry.id)
            .await?
            .ok_or(Error::NotFound("CCU"))?;
        self.overlay_ccu(&mut c);
        Ok(c)
    }

    fn overlay_ccu(&self, c: &mut CcuRecord) {
        c.legacy_refused_addr = self.legacy_refused_addr(&c.id).map(|a| a.to_string());
        if let Some(s) = self.inner.state.ccu(&c.id) {
            c.online = s.online;
            c.last_seen = s.last_seen.or(c.last_seen);
            c.firmware = s.firmware.or(c.firmware.take());
            c.breaker_ma = s.breaker_ma.or(c.breaker_ma);
            c.breaker_at = s.breaker_at.or(c.breaker_at);
        }
    }

    /// Registers a CCU for `owner_id` (a user registers for themselves only, within
    /// `accounts.max_ccus_per_user`); the secret is returned once.
    pub async fn create_ccu(
        &self,
        actor: Actor,
        owner_id: i32,
        id: &str,
        name: Option<&str>,
        transport: Transport,
    ) -> Result<(CcuRecord, String)> {
        if !actor.may_act_for(owner_id) {
            return Err(Error::Forbidden(
                "a user registers CCUs for themselves".into(),
            ));
        }
        let quota = self.inner.settings.accounts.max_ccus_per_user;
        if actor.user_id().is_some()
            && self.inner.store.list_ccus(Some(owner_id)).await?.len() >= quota
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
        let message = format!("CCU {} ({}) added", ccu.name, ccu.id);
        self.config_event(owner_id, actor, Some(&ccu.id), None, message)
            .await?;
        self.config_changed().await?;
        Ok((ccu, secret))
    }

    /// Renames a CCU and sets its location.
    pub async fn rename_ccu(
        &self,
        actor: Actor,
        id: &str,
        name: Option<&str>,
        location: Option<&str>,
    ) -> Result<CcuRecord> {
        let entry = self.owned_ccu(actor, id)?;
        let name = match name {
            Some(n) => validate_name(n)?,
            None => entry.name.clone(),
        };
        let location = location.map(crate::labels::location).transpose()?;
        self.inner
            .store
            .rename_ccu(&entry.id, &name, location.as_deref())
            .await?;
        self.config_changed().await?;
        self.get_ccu(actor, &entry.id).await
    }

    /// Replaces a CCU's secret: new connections need the new one, live sessions that logged
    /// in with the old one end now.
    pub async fn rotate_ccu_secret(&self, actor: Actor, ccu_id: &str) -> Result<String> {
        let ccu = self.owned_ccu(actor, ccu_id)?;
        let secret = rotate_ccu_secret(&self.inner.store, &ccu.id).await?;
        self.broker_ccu_rotated(&ccu.id, &secret).await?;
        self.inner.logins.forget(&ccu.id);
        self.inner.mqtt.sessions.revoke(&ccu.id);
        let message = format!("CCU {} secret rotated", ccu.id);
        self.config_event(ccu.owner_id, actor, Some(&ccu.id), None, message)
            .await?;
        Ok(secret)
    }

    /// Sets a CCU's breaker threshold.
    pub async fn set_breaker_threshold(&self, actor: Actor, ccu_id: &str, ma: i64) -> Result<()> {
        if ma <= 0 {
            return Err(Error::invalid("threshold must be greater than 0"));
        }
        let ccu = self.owned_ccu(actor, ccu_id)?;
        self.inner.store.set_breaker_threshold(&ccu.id, ma).await?;
        let message = format!("Breaker threshold of {} set to {ma} mA", ccu.id);
        self.config_event(ccu.owner_id, actor, Some(&ccu.id), None, message)
            .await?;
        self.config_changed().await
    }

    /// Deletes a CCU with its outlets and history; its MQTT session ends.
    pub async fn delete_ccu(&self, actor: Actor, id: &str) -> Result<()> {
        let entry = self.owned_ccu(actor, id)?;
        self.inner.store.delete_ccu(&entry.id).await?;
        self.inner.mqtt.sessions.revoke(&entry.id);
        self.config_changed().await?;
        self.broker_ccu_removed(&entry.id).await
    }

    /// The CCU, if the actor may act on it (otherwise "not found", so ids cannot be probed).
    pub(crate) fn owned_ccu(&self, actor: Actor, ccu_id: &str) -> Result<CcuEntry> {
        let id = CcuId::parse(ccu_id).map_err(|_| Error::NotFound("CCU"))?;
        self.inner
            .registry
            .ccu(id.as_str())
            .filter(|c| actor.may_act_for(c.owner_id))
            .ok_or(Error::NotFound("CCU"))
    }

    /// Normalises a CCU id (for the web layer).
    pub fn parse_ccu_id(id: &str) -> Result<String> {
        CcuId::parse(id)
            .map(|c| c.as_str().to_string())
            .map_err(Error::Invalid)
    }
}

/// A CCU's or an outlet's name ([`crate::labels::name`]).
pub(crate) fn validate_name(name: &str) -> Result<String> {
    crate::labels::name("name", name)
}
