//! The focused outlet of each legacy CCU (`GET /api/focus/`), stored with the CCU so that
//! every backend instance answers the same, and set only for the caller's own CCUs.

use super::{Caller, Refusal};
use crate::Result;
use crate::app::Backend;
use crate::domain::DeviceId;

impl Backend {
    /// The outlet the caller's CCU should read first: the focus of its first CCU (by id)
    /// that has one.
    pub fn legacy_focus(&self, caller: &Caller) -> Option<DeviceId> {
        caller.ccus.iter().find_map(|c| c.legacy_focus)
    }

    /// Focuses one of the caller's outlets (its CCU reads it every cycle); the other CCUs
    /// of the caller lose theirs.
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
            let want = (c.id == ccu.id).then_some(outlet.device_id);
            if c.legacy_focus != want {
                self.inner
                    .store
                    .set_legacy_focus(&c.id, want.map(|d| d.to_string()))
                    .await?;
            }
        }
        self.config_changed().await?;
        Ok(Ok(outlet.device_id))
    }

    /// Clears the focus of every CCU of the caller.
    pub async fn clear_legacy_focus(&self, caller: &Caller) -> Result<()> {
        let mut changed = false;
        for c in caller.ccus.iter().filter(|c| c.legacy_focus.is_some()) {
            self.inner.store.set_legacy_focus(&c.id, None).await?;
            changed = true;
        }
        if changed {
            self.config_changed().await?;
        }
        Ok(())
    }
}
