//! The outlet each legacy CCU should read first (`GET /api/focus/`): the focus follows the
//! work, so every command reaches the old firmware within one cycle.
//!
//! The old firmware reads the focused outlet (and fetches its commands) every cycle and any
//! other outlet only once per round robin (N × 30 s). So the focus is, in order: the outlet
//! whose oldest command is still queued (several are served one per cycle, oldest first);
//! then the outlet whose relay command was just sent and waits for the reading that confirms
//! it; then the outlet a person focused (the old dashboard's route, or open in ours), while
//! that holds. Everything is read from the database: several instances answer the same.

use super::{Caller, Refusal};
use crate::app::Backend;
use crate::commands::Actor;
use crate::domain::DeviceId;
use crate::{Result, clock};

/// Cycles after its sending during which a relay command keeps its outlet focused, waiting
/// for the reading that confirms it.
const CONFIRM_CYCLES: u32 = 5;

impl Backend {
    /// The outlet the caller's CCU should read first, if any.
    pub async fn legacy_focus(&self, caller: &Caller) -> Result<Option<DeviceId>> {
        let ids: Vec<String> = caller.ccus.iter().map(|c| c.id.clone()).collect();
        let now = clock::now_ms();
        let store = &self.inner.store;
        let confirm_window = (self.inner.settings.legacy.cycle * CONFIRM_CYCLES).as_millis() as i64;
        let busy = store
            .legacy_work_outlet(&ids, now, now - confirm_window)
            .await?;
        if let Some(device) = busy.and_then(|o| self.inner.registry.outlet(o)) {
            return Ok(Some(device.device_id));
        }
        Ok(store
            .legacy_focus_of(&ids, now)
            .await?
            .as_deref()
            .and_then(DeviceId::parse))
    }

    /// Focuses one of the caller's outlets until cleared (the old dashboard's
    /// `POST /api/focus/<id>/`); the other CCUs of the caller lose theirs.
    pub async fn set_legacy_focus(
        &self,
        caller: &Caller,
        device_id: DeviceId,
        route: &str,
    ) -> Result<std::result::Result<DeviceId, Refusal>> {
        let (ccu, outlet) = match self.legacy_outlet(caller, device_id, route) {
            Ok(found) => found,
            Err(r) => return Ok(Err(r)),
        };
        for c in &caller.ccus {
            let want = (c.id == ccu.id).then(|| outlet.device_id.to_string());
            self.inner.store.set_legacy_focus(&c.id, want, None).await?;
        }
        Ok(Ok(outlet.device_id))
    }

    /// Clears the focus of every CCU of the caller.
    pub async fn clear_legacy_focus(&self, caller: &Caller) -> Result<()> {
        for c in &caller.ccus {
            self.inner.store.set_legacy_focus(&c.id, None, None).await?;
        }
        Ok(())
    }

    /// A person has this outlet open in the dashboard (its page, or a card being used): if
    /// its CCU runs the old firmware, focus it for `legacy.view_ttl`. True when focused; an
    /// MQTT CCU needs no focus (its readings come every 2 s anyway).
    pub async fn view_outlet(&self, actor: Actor, outlet_id: i32) -> Result<bool> {
        let outlet = self.owned_outlet(actor, outlet_id)?;
        let serves_http = self
            .inner
            .registry
            .ccu(&outlet.ccu_id)
            .is_some_and(|c| c.transport.serves_http());
        if !serves_http {
            return Ok(false);
        }
        let until = clock::now_ms() + self.inner.settings.legacy.view_ttl.as_millis() as i64;
        self.inner
            .store
            .set_legacy_focus(
                &outlet.ccu_id,
                Some(outlet.device_id.to_string()),
                Some(until),
            )
            .await?;
        Ok(true)
    }
}
