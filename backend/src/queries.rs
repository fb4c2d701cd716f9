//! Read and edit operations for the web layer, always scoped to one owner.

use crate::app::Backend;
use crate::domain::{CcuId, CcuRecord, OutletRecord, Source};
use crate::{Error, Result};

impl Backend {
    /// A user's CCUs with live presence and breaker load.
    pub async fn list_ccus(&self, owner: i32) -> Result<Vec<CcuRecord>> {
        let mut ccus = self.inner.store.list_ccus(Some(owner)).await?;
        for c in &mut ccus {
            self.overlay_ccu(c);
        }
        Ok(ccus)
    }

    /// One of a user's CCUs.
    pub async fn get_ccu(&self, owner: i32, id: &str) -> Result<CcuRecord> {
        let entry = self.owned_ccu(Some(owner), id)?;
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

    /// Renames a CCU and sets its location.
    pub async fn rename_ccu(
        &self,
        owner: i32,
        id: &str,
        name: Option<&str>,
        location: Option<&str>,
    ) -> Result<CcuRecord> {
        let entry = self.owned_ccu(Some(owner), id)?;
        let name = match name {
            Some(n) => validate_name(n)?,
            None => entry.name.clone(),
        };
        self.inner
            .store
            .rename_ccu(&entry.id, &name, location)
            .await?;
        self.config_changed().await?;
        self.get_ccu(owner, &entry.id).await
    }

    /// Deletes a CCU with its outlets and history.
    pub async fn delete_ccu(&self, owner: i32, id: &str) -> Result<()> {
        let entry = self.owned_ccu(Some(owner), id)?;
        self.inner.store.delete_ccu(&entry.id).await?;
        self.inner.mqtt.sessions.revoke(&entry.id);
        self.config_changed().await?;
        self.broker_ccu_removed(&entry.id).await
    }

    /// A user's outlets with live state.
    pub async fn list_outlets(
        &self,
        owner: i32,
        ccu_id: Option<&str>,
    ) -> Result<Vec<OutletRecord>> {
        let ccu = match ccu_id {
            Some(id) => Some(self.owned_ccu(Some(owner), id)?.id),
            None => None,
        };
        let mut outlets = self
            .inner
            .store
            .list_outlets(ccu.as_deref(), Some(owner))
            .await?;
        for o in &mut outlets {
            self.overlay_outlet(o);
        }
        Ok(outlets)
    }

    /// One of a user's outlets.
    pub async fn get_outlet(&self, owner: i32, id: i32) -> Result<OutletRecord> {
        self.owned_outlet(crate::commands::Actor::User(owner), id)?;
        let mut o = self
            .inner
            .store
            .get_outlet(id)
            .await?
            .ok_or(Error::NotFound("outlet"))?;
        self.overlay_outlet(&mut o);
        Ok(o)
    }

    fn overlay_outlet(&self, o: &mut OutletRecord) {
        if let Some(s) = self.inner.state.outlet(o.id) {
            o.current_a = s.current_a.or(o.current_a);
            o.current_b = s.current_b.or(o.current_b);
            o.relay_a = s.relay_a.or(o.relay_a);
            o.relay_b = s.relay_b.or(o.relay_b);
            o.is_overload = s.is_overload;
            o.online = s.online;
            o.last_seen = s.last_seen.or(o.last_seen);
        }
        o.polled = self.polled_ccu(&o.ccu_id);
        o.silent_after_ms = self.outlet_stale_after(&o.ccu_id).as_millis() as i64;
    }

    /// Renames an outlet, sets its location, or moves it to another of the user's CCUs.
    pub async fn edit_outlet(
        &self,
        owner: i32,
        id: i32,
        name: Option<&str>,
        location: Option<&str>,
        ccu_id: Option<&str>,
    ) -> Result<OutletRecord> {
        let current = self.get_outlet(owner, id).await?;
        if name.is_some() || location.is_some() {
            let name = match name {
                Some(n) => validate_name(n)?,
                None => current.name.clone(),
            };
            self.inner.store.rename_outlet(id, &name, location).await?;
        }
        if let Some(target) = ccu_id {
            let target = self.owned_ccu(Some(owner), target)?;
            if target.id != current.ccu_id {
                self.inner.store.move_outlet(id, &target.id).await?;
                self.config_event_pub(
                    owner,
                    &target.id,
                    &current.device_id,
                    format!(
                        "Outlet {} moved from CCU {} to {}",
                        current.device_id, current.ccu_id, target.id
                    ),
                )
                .await?;
            }
        }
        self.config_changed().await?;
        self.get_outlet(owner, id).await
    }

    /// Deletes an outlet with its history.
    pub async fn delete_outlet(&self, owner: i32, id: i32) -> Result<()> {
        self.get_outlet(owner, id).await?;
        self.inner.store.delete_outlet(id).await?;
        self.config_changed().await
    }

    async fn config_event_pub(
        &self,
        owner: i32,
        ccu: &str,
        device: &str,
        message: String,
    ) -> Result<()> {
        self.inner
            .store
            .insert_event(crate::store::NewEvent {
                user_id: Some(owner),
                kind: crate::domain::EventKind::Config,
                source: Source::Web,
                ccu_id: Some(ccu.to_string()),
                device_id: Some(device.to_string()),
                message,
                data: None,
            })
            .await?;
        Ok(())
    }

    /// Normalises a CCU id (for the web layer).
    pub fn parse_ccu_id(id: &str) -> Result<String> {
        CcuId::parse(id)
            .map(|c| c.as_str().to_string())
            .map_err(Error::Invalid)
    }
}

fn validate_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.len() > 100 {
        return Err(Error::invalid("name must be 1 to 100 characters"));
    }
    Ok(n.to_string())
}
