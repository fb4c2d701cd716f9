//! Support for CCUs running the old HTTP firmware: they poll for commands and report relay
//! states only in their readings. Every request is first resolved to the caller's CCUs
//! ([`caller`]) through the address each CCU is bound to ([`binding`]).

mod binding;
mod caller;
mod durable;
mod focus;
mod reading;
pub(crate) mod refusal;

pub use binding::{Binding, bind, canonical, learn_until, reset};
pub use caller::Caller;
pub use reading::{LegacyAnswer, LegacyReading};
pub use refusal::{Refusal, RefusedAddrs};

use crate::app::Backend;
use crate::domain::{CommandKind, CommandRecord, CommandStatus, Socket, Source, Transport};
use crate::{Result, clock};

impl Backend {
    /// Hands the queued commands of an outlet to a legacy poll, oldest first, marking them
    /// sent (the old firmware sends no acks; a later reading confirms relay states).
    pub async fn take_polled_commands(&self, outlet_id: i32) -> Result<Vec<CommandRecord>> {
        let queued = self
            .inner
            .store
            .commands_of_outlet(outlet_id, CommandStatus::Queued)
            .await?;
        let now = clock::now_ms();
        let mut out = Vec::new();
        for mut c in queued {
            if self
                .expire_if_due(&mut c, now, "expired before the CCU polled")
                .await?
            {
                continue;
            }
            if self.inner.store.claim_command(&c.id, now).await? {
                c.status = CommandStatus::Sent;
                c.sent_at = Some(now);
                self.legacy_command_event(&c).await?;
                out.push(c);
            }
        }
        self.inner
            .metrics
            .commands_sent
            .fetch_add(out.len() as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(out)
    }

    async fn legacy_command_event(&self, c: &CommandRecord) -> Result<()> {
        // Reuse the common event path through a no-op finish-like record update.
        self.inner.live.send(crate::live::LiveEvent::Command {
            user_id: self
                .inner
                .registry
                .ccu(&c.ccu_id)
                .map(|x| x.owner_id)
                .unwrap_or_default(),
            command: c.clone(),
        });
        Ok(())
    }

    /// A legacy request was resolved to this CCU through its binding: it is online, and an
    /// `auto` CCU is an HTTP one from now on.
    pub async fn legacy_seen(&self, ccu_id: &str) -> Result<()> {
        self.claim_transport(ccu_id, Transport::Http).await?;
        self.ccu_seen(ccu_id, clock::now_ms()).await
    }

    /// Settles an `auto` CCU's transport on first contact. A CCU settled on MQTT closes its
    /// legacy learning window (nobody may bind it to an address any more).
    pub(crate) async fn claim_transport(&self, ccu_id: &str, transport: Transport) -> Result<()> {
        if let Some(c) = self
            .inner
            .registry
            .ccu(ccu_id)
            .filter(|c| c.transport == Transport::Auto)
        {
            if transport == Transport::Mqtt && c.legacy_bind_until.is_some() {
                self.inner
                    .store
                    .set_legacy_binding(ccu_id, c.legacy_addr.map(|a| a.to_string()), None)
                    .await?;
            }
            tracing::info!(
                ccu = ccu_id,
                transport = transport.as_str(),
                "CCU transport detected"
            );
            self.inner
                .store
                .set_ccu_transport(ccu_id, transport)
                .await?;
            self.config_changed().await?;
        }
        Ok(())
    }

    /// A legacy reading reported a relay state: record it and complete the matching commands.
    pub async fn confirm_relay(&self, outlet_id: i32, socket: Socket, on: bool) -> Result<()> {
        self.set_relay(outlet_id, socket, on, Source::Device)
            .await?;
        let want = if on {
            CommandKind::RelayOn
        } else {
            CommandKind::RelayOff
        };
        for status in [CommandStatus::Sent, CommandStatus::TimedOut] {
            for mut c in self
                .inner
                .store
                .commands_of_outlet(outlet_id, status)
                .await?
            {
                if c.command == want && c.socket == Some(socket) {
                    let detail = Some("confirmed by a reading".into());
                    let ok = CommandStatus::Ok;
                    self.finish(&mut c, ok, detail, Source::Device, &[status])
                        .await?;
                }
            }
        }
        Ok(())
    }
}
