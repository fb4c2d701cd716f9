//! Services on outlets: list, read, add, rename or move, set the alert threshold, delete;
//! each checks that the [`Actor`] may act on the outlet's CCU.

use crate::actor::Actor;
use crate::admin::add_outlet;
use crate::app::Backend;
use crate::ccus::validate_name;
use crate::commands::NewCommand;
use crate::domain::{CommandKind, OutletRecord};
use crate::registry::OutletEntry;
use crate::{Error, Result};

impl Backend {
    /// The outlets the actor may see (of one CCU, or all), with live state.
    pub async fn list_outlets(
        &self,
        actor: Actor,
        ccu_id: Option<&str>,
    ) -> Result<Vec<OutletRecord>> {
        let ccu = match ccu_id {
            Some(id) => Some(self.owned_ccu(actor, id)?.id),
            None => None,
        };
        let mut outlets = self
            .inner
            .store
            .list_outlets(ccu.as_deref(), actor.user_id())
            .await?;
        for o in &mut outlets {
            self.overlay_outlet(o);
        }
        Ok(outlets)
    }

    /// One outlet.
    pub async fn get_outlet(&self, actor: Actor, id: i32) -> Result<OutletRecord> {
        self.owned_outlet(actor, id)?;
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

    /// Adds an outlet to a CCU the actor may act on.
    pub async fn create_outlet(
        &self,
        actor: Actor,
        ccu_id: &str,
        device_id: &str,
        name: &str,
        location: &str,
    ) -> Result<OutletRecord> {
        let ccu = self.owned_ccu(actor, ccu_id)?;
        let outlet = add_outlet(&self.inner.store, &ccu.id, device_id, name, location).await?;
        let message = format!(
            "Outlet {} ({}) added to CCU {}",
            outlet.name, outlet.device_id, ccu.id
        );
        let device = Some(outlet.device_id.as_str());
        self.config_event(ccu.owner_id, actor, Some(&ccu.id), device, message)
            .await?;
        self.config_changed().await?;
        Ok(outlet)
    }

    /// Renames an outlet, sets its location, or moves it to another CCU of the same owner.
    pub async fn edit_outlet(
        &self,
        actor: Actor,
        id: i32,
        name: Option<&str>,
        location: Option<&str>,
        ccu_id: Option<&str>,
    ) -> Result<OutletRecord> {
        let current = self.get_outlet(actor, id).await?;
        if name.is_some() || location.is_some() {
            let name = match name {
                Some(n) => validate_name(n)?,
                None => current.name.clone(),
            };
            let location = location.map(crate::labels::location).transpose()?;
            self.inner
                .store
                .rename_outlet(id, &name, location.as_deref())
                .await?;
        }
        if let Some(target) = ccu_id {
            let owner = self.owned_ccu(actor, &current.ccu_id)?.owner_id;
            let target = self
                .owned_ccu(actor, target)
                .ok()
                .filter(|t| t.owner_id == owner)
                .ok_or(Error::NotFound("CCU"))?;
            if target.id != current.ccu_id {
                self.inner.store.move_outlet(id, &target.id).await?;
                let message = format!(
                    "Outlet {} moved from CCU {} to {}",
                    current.device_id, current.ccu_id, target.id
                );
                let device = Some(current.device_id.as_str());
                self.config_event(owner, actor, Some(&target.id), device, message)
                    .await?;
            }
        }
        self.config_changed().await?;
        self.get_outlet(actor, id).await
    }

    /// Sets an outlet's alert threshold and programs it into the PIC (0: no alert).
    pub async fn set_outlet_threshold(&self, actor: Actor, outlet_id: i32, ma: i64) -> Result<()> {
        if !(0..=65534).contains(&ma) {
            return Err(Error::invalid("threshold must be 0 to 65534 mA"));
        }
        let outlet = self.owned_outlet(actor, outlet_id)?;
        self.inner.store.set_outlet_threshold(outlet.id, ma).await?;
        self.config_changed().await?;
        if ma > 0 {
            let command = NewCommand {
                outlet_id,
                command: CommandKind::SetThreshold,
                socket: None,
                value: Some(ma),
            };
            self.send_command(actor, command).await?;
        }
        Ok(())
    }

    /// Deletes an outlet with its history.
    pub async fn delete_outlet(&self, actor: Actor, id: i32) -> Result<()> {
        self.owned_outlet(actor, id)?;
        self.inner.store.delete_outlet(id).await?;
        self.config_changed().await
    }

    /// The outlet, if the actor may act on its CCU (otherwise "not found").
    pub(crate) fn owned_outlet(&self, actor: Actor, outlet_id: i32) -> Result<OutletEntry> {
        self.inner
            .registry
            .outlet(outlet_id)
            .filter(|o| {
                let owner = self.inner.registry.ccu(&o.ccu_id).map(|c| c.owner_id);
                owner.is_some_and(|owner| actor.may_act_for(owner))
            })
            .ok_or(Error::NotFound("outlet"))
    }
}
