//! Command lifecycle: validate, store, push at once (or hold while the CCU is offline),
//! follow to the ack, time out, expire. Relay state changes only on a positive ack or a
//! reading, never on the request.

mod ack;
mod relay;
mod timeouts;

pub use ack::{AckError, AckOutcome};

pub use crate::actor::Actor;
use crate::app::Backend;
use crate::domain::{
    CommandKind, CommandRecord, CommandStatus, EventKind, Socket, Source, Transport,
};
use crate::live::LiveEvent;
use crate::store::NewEvent;
use crate::{Error, Result, clock};
use ccu_core::protocol::{Command, Topic, TopicKind};
use std::sync::atomic::Ordering::Relaxed;

/// A command request.
#[derive(Debug, Clone, Copy)]
pub struct NewCommand {
    /// Target outlet.
    pub outlet_id: i32,
    /// What.
    pub command: CommandKind,
    /// Socket, for relay commands.
    pub socket: Option<Socket>,
    /// mA, for `set_threshold`.
    pub value: Option<i64>,
}

impl NewCommand {
    /// Switch `socket` of an outlet on or off.
    pub fn relay(outlet_id: i32, socket: Socket, on: bool) -> NewCommand {
        let command = if on {
            CommandKind::RelayOn
        } else {
            CommandKind::RelayOff
        };
        NewCommand {
            outlet_id,
            command,
            socket: Some(socket),
            value: None,
        }
    }
}

impl Backend {
    /// Validates, stores and (if the CCU is online over MQTT) publishes a command.
    #[tracing::instrument(
        level = "info",
        name = "command",
        skip_all,
        fields(outlet = req.outlet_id, kind = req.command.as_str(), id, ccu)
    )]
    pub async fn send_command(&self, actor: Actor, req: NewCommand) -> Result<CommandRecord> {
        let outlet = self.owned_outlet(actor, req.outlet_id)?;
        let (socket, value) = validate(req)?;
        let now = clock::unique_ms();
        let id = uuid::Uuid::new_v4().to_string();
        let span = tracing::Span::current();
        span.record("id", tracing::field::display(&id));
        span.record("ccu", tracing::field::display(&outlet.ccu_id));
        let mut c = CommandRecord {
            id,
            ccu_id: outlet.ccu_id.clone(),
            outlet_id: outlet.id,
            device_id: outlet.device_id.to_string(),
            user_id: actor.user_id(),
            command: req.command,
            socket,
            value,
            status: CommandStatus::Queued,
            detail: None,
            created_at: now,
            sent_at: None,
            completed_at: None,
            expires_at: now + self.inner.settings.commands.expiry.as_millis() as i64,
        };
        let mqtt = self
            .inner
            .registry
            .ccu(&c.ccu_id)
            .is_some_and(|c| c.transport == Transport::Mqtt);
        let online = |b: &Self| b.inner.state.ccu(&c.ccu_id).is_some_and(|s| s.online);
        if !(mqtt && online(self)) {
            // Waits for the CCU: its reconnect flush, or the legacy poll.
            self.inner.store.insert_command(&c).await?;
            self.command_event(&c, actor.source()).await?;
            // The CCU may have come online between the check and the insert, after its flush
            // looked for queued commands: publish now (the claim keeps it to one publish).
            if mqtt
                && online(self)
                && let Err(e) = self.publish_command(&mut c).await
            {
                tracing::warn!(command = %c.id, cause = %e, "command not published now");
            }
            return Ok(c);
        }
        // Stored already claimed (`sent`), so no other instance's flush can take it and no
        // separate claim write delays the publish.
        let queued = c.clone();
        c.status = CommandStatus::Sent;
        c.sent_at = Some(now);
        self.inner.store.insert_command(&c).await?;
        self.command_event(&queued, actor.source()).await?;
        if let Err(e) = self.deliver(&mut c, now).await {
            // Back in the queue: the next reconnect flush sends it, unless it expires first.
            tracing::warn!(command = %c.id, cause = %e, "command not published now");
        }
        Ok(c)
    }

    /// `relay_off` on both sockets of every outlet the actor may act on.
    pub async fn cut_all(&self, actor: Actor) -> Result<Vec<CommandRecord>> {
        let mut out = Vec::new();
        for id in self.outlet_ids(actor).await? {
            out.extend(self.cut_outlet(actor, id).await?);
        }
        Ok(out)
    }

    /// `relay_off` on both sockets of one outlet.
    pub async fn cut_outlet(&self, actor: Actor, outlet_id: i32) -> Result<Vec<CommandRecord>> {
        let mut out = Vec::new();
        for socket in [Socket::A, Socket::B] {
            out.push(
                self.send_command(actor, NewCommand::relay(outlet_id, socket, false))
                    .await?,
            );
        }
        Ok(out)
    }

    /// Recent commands of the outlets the actor may see (or of one outlet), newest first.
    pub async fn list_commands(
        &self,
        actor: Actor,
        outlet_id: Option<i32>,
        limit: u64,
    ) -> Result<Vec<CommandRecord>> {
        let ids: Vec<i32> = match outlet_id {
            Some(id) => vec![self.owned_outlet(actor, id)?.id],
            None => self.outlet_ids(actor).await?,
        };
        self.inner.store.list_commands(&ids, limit).await
    }

    /// The ids of every outlet the actor may act on.
    async fn outlet_ids(&self, actor: Actor) -> Result<Vec<i32>> {
        let outlets = self.inner.store.list_outlets(None, actor.user_id()).await?;
        Ok(outlets.into_iter().map(|o| o.id).collect())
    }

    /// Ends a queued command that passed its expiry (`why` goes to its detail). True if it
    /// expired here (false too when it was sent or finished meanwhile).
    pub(crate) async fn expire_if_due(
        &self,
        c: &mut CommandRecord,
        now: i64,
        why: &str,
    ) -> Result<bool> {
        if c.expires_at > now {
            return Ok(false);
        }
        let detail = Some(why.to_string());
        let from = [CommandStatus::Queued];
        self.finish(c, CommandStatus::Expired, detail, Source::Server, &from)
            .await
    }

    /// One command, if the actor may see its outlet.
    pub async fn get_command(&self, actor: Actor, id: &str) -> Result<CommandRecord> {
        let c = self
            .inner
            .store
            .get_command(id)
            .await?
            .ok_or(Error::NotFound("command"))?;
        self.owned_outlet(actor, c.outlet_id)
            .map_err(|_| Error::NotFound("command"))?;
        Ok(c)
    }

    /// Publishes a queued command and marks it sent. The queued → sent transition is claimed
    /// in the store first, so a command is published once even when a reconnect flush and a
    /// new request race.
    pub(crate) async fn publish_command(&self, c: &mut CommandRecord) -> Result<()> {
        let sent_at = clock::now_ms();
        if !self.inner.store.claim_command(&c.id, sent_at).await? {
            return Ok(());
        }
        self.deliver(c, sent_at).await
    }

    /// Publishes a command this instance has claimed (stored as `sent` at `sent_at`); on
    /// failure gives it back to the queue.
    #[tracing::instrument(level = "debug", name = "deliver", skip_all, fields(command = %c.id, ccu = %c.ccu_id))]
    async fn deliver(&self, c: &mut CommandRecord, sent_at: i64) -> Result<()> {
        let device_id = ccu_core::protocol::DeviceId::parse(&c.device_id)
            .ok_or_else(|| Error::invalid("bad device id"))?;
        let wire = Command {
            id: heapless::String::try_from(c.id.as_str())
                .map_err(|_| Error::invalid("command id too long"))?,
            device_id,
            command: c.command,
            socket: c.socket,
            value: c.value.and_then(|v| u16::try_from(v).ok()),
        };
        let payload = serde_json::to_vec(&wire).map_err(|e| Error::Publish(e.to_string()))?;
        let topic = format!("ccu/{}/{}", c.ccu_id, TopicKind::Cmd.as_str());
        debug_assert!(Topic::parse(&topic).is_some());
        if let Err(e) = self.inner.mqtt.bus.publish(topic, payload, false).await {
            // Give it back to the queue; the next reconnect flush retries it.
            if self.inner.store.requeue_command(&c.id).await? {
                c.status = CommandStatus::Queued;
                c.sent_at = None;
            }
            return Err(e);
        }
        self.inner.metrics.commands_sent.fetch_add(1, Relaxed);
        tracing::debug!("command published");
        c.status = CommandStatus::Sent;
        c.sent_at = Some(sent_at);
        self.command_event(c, Source::Server).await
    }

    /// Publishes every queued command of a CCU that came online; expires stale ones.
    pub(crate) async fn flush_queued(&self, ccu_id: &str) -> Result<()> {
        let http = self
            .inner
            .registry
            .ccu(ccu_id)
            .is_some_and(|c| c.transport == Transport::Http);
        if http {
            // Its commands wait for its poll of /api/commands/<id>/.
            return Ok(());
        }
        let queued = self
            .inner
            .store
            .commands_in_status(Some(ccu_id), CommandStatus::Queued)
            .await?;
        let now = clock::now_ms();
        for mut c in queued {
            let why = "expired while the CCU was offline";
            if !self.expire_if_due(&mut c, now, why).await? {
                self.publish_command(&mut c).await?;
            }
        }
        Ok(())
    }

    /// Moves a command to a final status, with its event and live message, if its stored
    /// status is still one of `from`: when an ack and a time-out (or two instances) race,
    /// only the one whose write took effect records an event. True if this caller won.
    pub(crate) async fn finish(
        &self,
        c: &mut CommandRecord,
        status: CommandStatus,
        detail: Option<String>,
        source: Source,
        from: &[CommandStatus],
    ) -> Result<bool> {
        let now = clock::now_ms();
        let done = CommandRecord {
            status,
            detail,
            completed_at: Some(now),
            ..c.clone()
        };
        if !self.inner.store.finish_command(&done, from).await? {
            tracing::debug!(command = %c.id, status = status.as_str(), "command finished elsewhere first");
            return Ok(false);
        }
        *c = done;
        if status == CommandStatus::Ok {
            self.inner
                .metrics
                .command_latency(u64::try_from(now - c.created_at).unwrap_or(0));
        }
        self.command_event(c, source).await?;
        Ok(true)
    }

    pub(super) async fn command_event(&self, c: &CommandRecord, source: Source) -> Result<()> {
        let Some(ccu) = self.inner.registry.ccu(&c.ccu_id) else {
            return Ok(());
        };
        let socket = c
            .socket
            .map(|s| format!(" socket {}", s.as_str().to_uppercase()))
            .unwrap_or_default();
        let value = c.value.map(|v| format!(" {v} mA")).unwrap_or_default();
        self.inner
            .store
            .insert_event(NewEvent {
                user_id: Some(ccu.owner_id),
                kind: EventKind::Command,
                source,
                ccu_id: Some(c.ccu_id.clone()),
                device_id: Some(c.device_id.clone()),
                message: format!(
                    "{}{socket}{value} on {}: {}{}",
                    c.command.as_str(),
                    c.device_id,
                    c.status.as_str(),
                    c.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
                ),
                data: Some(serde_json::json!({"command_id": c.id, "status": c.status, "command": c.command})),
            })
            .await?;
        self.inner.live.send(LiveEvent::Command {
            user_id: ccu.owner_id,
            command: c.clone(),
        });
        Ok(())
    }
}

fn validate(req: NewCommand) -> Result<(Option<Socket>, Option<i64>)> {
    match req.command {
        CommandKind::RelayOn | CommandKind::RelayOff => {
            let socket = req
                .socket
                .ok_or_else(|| Error::invalid("relay commands need socket \"a\" or \"b\""))?;
            Ok((Some(socket), None))
        }
        CommandKind::SetThreshold => match req.value {
            Some(v) if (1..=65534).contains(&v) => Ok((None, Some(v))),
            _ => Err(Error::invalid(
                "set_threshold needs a value from 1 to 65534 mA",
            )),
        },
        CommandKind::ReadSensors | CommandKind::Ping => Ok((None, None)),
    }
}

#[cfg(test)]
mod claim_tests;
