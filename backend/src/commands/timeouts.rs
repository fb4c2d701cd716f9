//! The command timer: sent commands without an ack time out (old-firmware CCUs, which
//! send no acks, get ten times longer); queued commands past their expiry expire. At start
//! with the embedded broker, commands that were in flight go back to the queue.

use crate::Result;
use crate::app::Backend;
use crate::clock;
use crate::domain::{CommandStatus, Source, Transport};

impl Backend {
    /// Times out sent commands without an ack and expires queued ones (timer); only on the
    /// instance that holds the timers lease, so a cluster decides each once.
    pub(crate) async fn check_command_timeouts(&self) -> Result<()> {
        if !self.runs_timers() {
            return Ok(());
        }
        let now = clock::now_ms();
        let ack_timeout = self.inner.settings.commands.ack_timeout.as_millis() as i64;
        for mut c in self
            .inner
            .store
            .commands_in_status(None, CommandStatus::Sent)
            .await?
        {
            // Legacy HTTP CCUs send no acks: a reading confirms, up to a minute or more later.
            let http = self
                .inner
                .registry
                .ccu(&c.ccu_id)
                .is_some_and(|x| x.transport == Transport::Http);
            let limit = if http { ack_timeout * 10 } else { ack_timeout };
            if c.sent_at.is_some_and(|t| now - t >= limit) {
                let detail = format!("no ack within {limit} ms");
                let from = [CommandStatus::Sent];
                let status = CommandStatus::TimedOut;
                self.finish(&mut c, status, Some(detail), Source::Server, &from)
                    .await?;
            }
        }
        for mut c in self
            .inner
            .store
            .commands_in_status(None, CommandStatus::Queued)
            .await?
        {
            self.expire_if_due(&mut c, now, "the CCU did not come back in time")
                .await?;
        }
        Ok(())
    }
}

impl Backend {
    /// With the embedded broker every CCU session is new at start, and a command published
    /// just before the last stop may never have reached its CCU: each MQTT command still
    /// inside its ack time-out goes back to the queue and is sent again when its CCU is
    /// back (the CCU answers a command it already ran instead of running it twice); older
    /// ones time out as usual. Old-firmware (HTTP) CCUs have no such guard: theirs stay.
    pub(crate) async fn requeue_in_flight(&self) -> Result<usize> {
        let now = clock::now_ms();
        let ack_timeout = self.inner.settings.commands.ack_timeout.as_millis() as i64;
        let mut n = 0;
        for c in self
            .inner
            .store
            .commands_in_status(None, CommandStatus::Sent)
            .await?
        {
            let mqtt = self
                .inner
                .registry
                .ccu(&c.ccu_id)
                .is_some_and(|x| x.transport != Transport::Http);
            let fresh = c.sent_at.is_some_and(|t| now - t < ack_timeout);
            if mqtt && fresh && self.inner.store.requeue_command(&c.id).await? {
                n += 1;
            }
        }
        if n > 0 {
            tracing::info!(
                commands = n,
                "commands in flight at the last stop queued again"
            );
        }
        Ok(n)
    }
}
