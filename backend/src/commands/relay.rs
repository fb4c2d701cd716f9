//! Relay state confirmed by a device (an ack or a reading): the live state, the outlet's
//! stored state, an event and a live message when it changed (once, whichever instance saw it).

use crate::Result;
use crate::app::Backend;
use crate::domain::{EventKind, Socket, Source};
use crate::live::LiveEvent;
use crate::store::NewEvent;

impl Backend {
    /// Records a relay state confirmed by the device (ack or reading).
    pub(crate) async fn set_relay(
        &self,
        outlet_id: i32,
        socket: Socket,
        on: bool,
        source: Source,
    ) -> Result<()> {
        let changed = self.inner.state.with_outlet(outlet_id, |s| {
            let slot = match socket {
                Socket::A => &mut s.relay_a,
                Socket::B => &mut s.relay_b,
            };
            let changed = *slot != Some(on);
            *slot = Some(on);
            changed
        });
        // Decided in the database: with several instances, the others may have seen (and
        // recorded) this change already; what they saw reaches this one's state only through
        // the fan-out, a little later.
        if !changed
            || !self
                .inner
                .store
                .set_outlet_relay(outlet_id, socket, on)
                .await?
        {
            return Ok(());
        }
        let Some(outlet) = self.inner.registry.outlet(outlet_id) else {
            return Ok(());
        };
        let Some(ccu) = self.inner.registry.ccu(&outlet.ccu_id) else {
            return Ok(());
        };
        let state = if on { "ON" } else { "OFF" };
        self.inner
            .store
            .insert_event(NewEvent {
                user_id: Some(ccu.owner_id),
                kind: EventKind::RelayChanged,
                source,
                ccu_id: Some(ccu.id.clone()),
                device_id: Some(outlet.device_id.to_string()),
                message: format!(
                    "Socket {} turned {state} on {} ({})",
                    socket.as_str().to_uppercase(),
                    outlet.name,
                    outlet.device_id
                ),
                data: Some(serde_json::json!({"outlet_id": outlet_id, "socket": socket, "on": on})),
            })
            .await?;
        self.inner.live.send(LiveEvent::Relay {
            user_id: ccu.owner_id,
            outlet_id,
            device_id: outlet.device_id.to_string(),
            socket: socket.as_str().to_string(),
            on,
        });
        Ok(())
    }
}
