//! A CCU's ack of a command: it must name one of that CCU's commands; a positive ack
//! applies what the command changes; a repeated ack is ignored.

use crate::app::Backend;
use crate::domain::{CommandKind, CommandRecord, CommandStatus, Source};
use crate::{Error, Result};
use ccu_core::protocol::{Ack, AckStatus};

/// What an ack did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// The command reached this final status.
    Finished(CommandStatus),
    /// The command was final already (a repeated ack).
    Duplicate,
}

/// Why an ack was not applied.
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    /// No such command (the device's fault).
    #[error("no command {0}")]
    UnknownCommand(String),
    /// Another CCU's command (the device's fault).
    #[error("command {0} belongs to another CCU")]
    ForeignCommand(String),
    /// The server failed (never the device's fault).
    #[error(transparent)]
    Internal(#[from] Error),
}

impl Backend {
    /// Applies an ack from CCU `ccu_id`.
    #[tracing::instrument(level = "debug", name = "ack", skip_all, fields(ccu = %ccu_id, command = %ack.id))]
    pub(crate) async fn on_ack(
        &self,
        ccu_id: &str,
        ack: Ack,
    ) -> std::result::Result<AckOutcome, AckError> {
        let found = self.inner.store.get_command(ack.id.as_str()).await?;
        let Some(mut c) = found else {
            return Err(AckError::UnknownCommand(ack.id.to_string()));
        };
        if c.ccu_id != ccu_id {
            return Err(AckError::ForeignCommand(c.id));
        }
        if c.status.is_final() && c.status != CommandStatus::TimedOut {
            tracing::debug!(command = %c.id, "duplicate ack ignored");
            return Ok(AckOutcome::Duplicate);
        }
        let status = match ack.status {
            AckStatus::Ok => CommandStatus::Ok,
            AckStatus::Failed => CommandStatus::Failed,
            AckStatus::Timeout => CommandStatus::TimedOut,
        };
        let detail = ack.detail.map(|d| d.to_string()).or_else(|| match status {
            CommandStatus::TimedOut => Some("no RF ACK from the outlet".into()),
            _ => None,
        });
        if status == CommandStatus::Ok {
            self.apply_ok(&c).await?;
        }
        // A late ack still overrides the server's time-out, never another final outcome;
        // a CCU-reported time-out only follows a command still in flight.
        let from: &[CommandStatus] = match status {
            CommandStatus::TimedOut => &[CommandStatus::Queued, CommandStatus::Sent],
            _ => &[
                CommandStatus::Queued,
                CommandStatus::Sent,
                CommandStatus::TimedOut,
            ],
        };
        if !self
            .finish(&mut c, status, detail, Source::Device, from)
            .await?
        {
            tracing::debug!(command = %c.id, "command finished meanwhile; ack ignored");
            return Ok(AckOutcome::Duplicate);
        }
        tracing::debug!(status = status.as_str(), "command finished by its ack");
        Ok(AckOutcome::Finished(status))
    }

    /// The device confirmed `c`: update the state it changes.
    async fn apply_ok(&self, c: &CommandRecord) -> Result<()> {
        match (c.command, c.socket) {
            (CommandKind::RelayOn | CommandKind::RelayOff, Some(socket)) => {
                let on = c.command == CommandKind::RelayOn;
                self.set_relay(c.outlet_id, socket, on, Source::Device)
                    .await
            }
            (CommandKind::SetThreshold, _) => {
                if let Some(v) = c.value {
                    self.inner
                        .store
                        .set_outlet_threshold(c.outlet_id, v)
                        .await?;
                    self.config_changed().await?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}
