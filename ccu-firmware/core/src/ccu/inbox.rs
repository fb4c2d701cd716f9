//! Messages from the server: commands (queued for the radio) and the outlet list.

use super::{Ccu, Purpose};
use crate::Error;
use crate::exec::{Rejection, rejection_ack};
use crate::protocol::{Ack, Command, DeviceList, Topic, TopicKind, decode};

/// What [`Ccu::handle_message`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbound {
    /// A command was queued for the radio.
    Queued,
    /// A command with the id of one queued or on the air (a QoS 1 redelivery) was ignored.
    Duplicate,
    /// The command queue was full; a `failed` ack was queued instead.
    Rejected,
    /// The outlet table now has this many outlets.
    DevicesUpdated {
        /// Outlets after the update.
        n_outlets: usize,
    },
    /// Not for this CCU, or not a topic the CCU consumes.
    Ignored,
}

impl<R, C, A, M, const BUF: usize> Ccu<R, C, A, M, BUF> {
    /// Handles a message on `ccu/<id>/cmd` or `ccu/<id>/devices`; [`Error::Decode`] for a bad payload.
    pub fn handle_message(&mut self, topic: &str, payload: &[u8]) -> Result<Inbound, Error> {
        let Some(topic) = Topic::parse(topic) else {
            return Ok(Inbound::Ignored);
        };
        if topic.ccu_id != self.settings.ccu_id.as_str() {
            return Ok(Inbound::Ignored);
        }
        match topic.kind {
            TopicKind::Cmd => {
                let command = decode::<Command>(payload).ok_or_else(|| self.bad_message())?;
                Ok(self.submit(command))
            }
            TopicKind::Devices => {
                let list = decode::<DeviceList>(payload).ok_or_else(|| self.bad_message())?;
                Ok(self.set_devices(&list))
            }
            _ => Ok(Inbound::Ignored),
        }
    }

    /// Queues an already decoded command.
    pub fn submit(&mut self, command: Command) -> Inbound {
        let on_air = matches!(
            &self.inflight,
            Some(inflight) if matches!(&inflight.purpose, Purpose::Command(id) if *id == command.id)
        );
        if on_air || self.commands.iter().any(|c| c.id == command.id) {
            return Inbound::Duplicate;
        }
        if let Some(answer) = self.answered.iter().find(|a| a.id == command.id).cloned() {
            self.push_ack(answer);
            return Inbound::Duplicate;
        }
        match self.commands.push_back(command) {
            Ok(()) => Inbound::Queued,
            Err(command) => {
                self.stats.commands_rejected += 1;
                // not remembered: the same command may be sent again once there is room
                self.push_ack(rejection_ack(&command.id, Rejection::QueueFull));
                Inbound::Rejected
            }
        }
    }

    /// Replaces the outlet list, keeping the state of outlets still listed.
    pub fn set_devices(&mut self, list: &DeviceList) -> Inbound {
        self.table.sync(list);
        Inbound::DevicesUpdated {
            n_outlets: self.table.len(),
        }
    }

    /// Queues the answer to a command for the server and remembers it by the command's id.
    pub(super) fn queue_ack(&mut self, ack: Ack) {
        if self.answered.is_full() {
            self.answered.pop_front();
        }
        let _ = self.answered.push_back(ack.clone());
        self.push_ack(ack);
    }

    /// Queues an ack for the server, dropping the oldest one when full.
    fn push_ack(&mut self, ack: Ack) {
        if self.acks.is_full() {
            self.acks.pop_front();
            self.stats.acks_dropped += 1;
        }
        let _ = self.acks.push_back(ack);
    }

    fn bad_message(&mut self) -> Error {
        self.stats.bad_messages += 1;
        Error::Decode
    }
}
