//! Automatic cut-off near the breaker limit (the old project's roadmap item): when a CCU's
//! breaker load reaches `auto_cutoff_pct` % of its threshold, the server switches off the
//! socket drawing the most among its outlets that are switched on and not
//! `cutoff_protected`, records an `auto_cutoff` event, and cuts nothing else on that CCU for
//! `automation.cutoff_cooldown`, so that the next breaker reading shows what the cut
//! changed. The cool-down is claimed in the database (one conditional UPDATE), so with
//! several instances receiving the same CCU's readings one of them cuts, once.
//!
//! Off by default: the owner sets the percentage per CCU and protects outlets (a fridge, a
//! network switch) one by one.

use crate::actor::Actor;
use crate::app::Backend;
use crate::commands::NewCommand;
use crate::domain::{EventKind, Socket, Source};
use crate::registry::CcuEntry;
use crate::store::NewEvent;
use crate::{Error, Result, clock};
use std::sync::atomic::Ordering::Relaxed;

/// A socket's current that means "tripped" (the PIC cut it already).
const OVERLOAD: i64 = 65_535;

/// The socket to cut: outlet, socket, its current (mA), the outlet's name.
#[derive(Debug, Clone, PartialEq)]
struct Victim {
    outlet_id: i32,
    device_id: String,
    name: String,
    socket: Socket,
    ma: i64,
}

impl Backend {
    /// Sets a CCU's automatic cut-off: 1 to 100 (% of its breaker threshold), or `None`
    /// (off).
    pub async fn set_auto_cutoff(
        &self,
        actor: Actor,
        ccu_id: &str,
        pct: Option<i32>,
    ) -> Result<()> {
        if pct.is_some_and(|p| !(1..=100).contains(&p)) {
            return Err(Error::invalid("auto cut-off must be 1 to 100 (%) or null"));
        }
        let ccu = self.owned_ccu(actor, ccu_id)?;
        self.inner.store.set_auto_cutoff(&ccu.id, pct).await?;
        let message = match pct {
            Some(p) => format!(
                "Automatic cut-off of {} at {p} % of its breaker threshold",
                ccu.id
            ),
            None => format!("Automatic cut-off of {} off", ccu.id),
        };
        self.config_event(ccu.owner_id, actor, Some(&ccu.id), None, message)
            .await?;
        self.config_changed().await
    }

    /// Protects an outlet from the automatic cut-off, or not.
    pub async fn set_cutoff_protected(
        &self,
        actor: Actor,
        outlet_id: i32,
        protected: bool,
    ) -> Result<()> {
        let outlet = self.owned_outlet(actor, outlet_id)?;
        self.inner
            .store
            .set_cutoff_protected(outlet.id, protected)
            .await?;
        let owner = self.inner.registry.ccu(&outlet.ccu_id).map(|c| c.owner_id);
        let Some(owner) = owner else {
            return Err(Error::NotFound("outlet"));
        };
        let message = format!(
            "{} {} the automatic cut-off",
            outlet.name,
            if protected {
                "protected from"
            } else {
                "no longer protected from"
            }
        );
        let device = outlet.device_id.to_string();
        self.config_event(owner, actor, Some(&outlet.ccu_id), Some(&device), message)
            .await?;
        self.config_changed().await
    }

    /// After a breaker reading of `ma`: cuts a socket if the CCU's cut-off is reached.
    pub(crate) async fn auto_cutoff(&self, ccu: &CcuEntry, ma: i64) -> Result<()> {
        let Some(pct) = ccu.auto_cutoff_pct else {
            return Ok(());
        };
        let threshold = ccu.breaker_threshold_ma;
        let trigger = threshold.saturating_mul(i64::from(pct)) / 100;
        if threshold <= 0 || ma < trigger {
            return Ok(());
        }
        let Some(victim) = self.cutoff_victim(&ccu.id) else {
            return Ok(());
        };
        let cooldown = &self.inner.settings.automation.cutoff_cooldown;
        let cooldown_ms = i64::try_from(cooldown.as_millis()).unwrap_or(i64::MAX);
        let now = clock::now_ms();
        if !self
            .inner
            .store
            .claim_cutoff(&ccu.id, now, cooldown_ms)
            .await?
        {
            return Ok(()); // cut within the cool-down, here or on another instance
        }
        let system = Actor::System(Source::Server);
        let command = NewCommand::relay(victim.outlet_id, victim.socket, false);
        let sent = self.send_command(system, command).await?;
        self.inner.metrics.auto_cutoffs.fetch_add(1, Relaxed);
        let socket = victim.socket.as_str().to_uppercase();
        let message = format!(
            "Automatic cut-off: {} socket {socket} ({} mA) switched off; main breaker of {} at {ma} mA, {pct} % of its {threshold} mA threshold is {trigger} mA",
            victim.name, victim.ma, ccu.name
        );
        tracing::warn!(ccu = %ccu.id, outlet = victim.outlet_id, socket = %socket, breaker_ma = ma, trigger, "automatic cut-off");
        let data = serde_json::json!({
            "command_id": sent.id,
            "socket": victim.socket,
            "socket_ma": victim.ma,
            "breaker_ma": ma,
            "threshold_ma": threshold,
            "pct": pct,
        });
        self.inner
            .store
            .insert_event(NewEvent {
                user_id: Some(ccu.owner_id),
                kind: EventKind::AutoCutoff,
                source: Source::Server,
                ccu_id: Some(ccu.id.clone()),
                device_id: Some(victim.device_id.clone()),
                message: message.clone(),
                data: Some(data.clone()),
            })
            .await?;
        self.notify(crate::notifier::Notification {
            user_id: ccu.owner_id,
            kind: EventKind::AutoCutoff.as_str(),
            title: "Automatic cut-off".into(),
            message,
            ccu_id: Some(ccu.id.clone()),
            device_id: Some(victim.device_id),
            data,
            urgent: true,
        });
        Ok(())
    }

    /// The switched-on, unprotected, untripped socket of `ccu_id` drawing the most.
    fn cutoff_victim(&self, ccu_id: &str) -> Option<Victim> {
        let mut best: Option<Victim> = None;
        for outlet in self.inner.registry.outlets_of(ccu_id) {
            if outlet.cutoff_protected {
                continue;
            }
            let Some(st) = self.inner.state.outlet(outlet.id) else {
                continue;
            };
            for (socket, relay, ma) in [
                (Socket::A, st.relay_a, st.current_a),
                (Socket::B, st.relay_b, st.current_b),
            ] {
                let ma = ma.unwrap_or(0);
                if relay != Some(true) || ma <= 0 || ma >= OVERLOAD {
                    continue;
                }
                if best.as_ref().is_none_or(|b| ma > b.ma) {
                    best = Some(Victim {
                        outlet_id: outlet.id,
                        device_id: outlet.device_id.to_string(),
                        name: outlet.name.clone(),
                        socket,
                        ma,
                    });
                }
            }
        }
        best
    }
}
