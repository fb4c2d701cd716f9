//! Commands and their lifecycle: queued → sent → ok / failed / timed out, or expired.

use serde::Serialize;

/// Where a command is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// Stored; the CCU is offline or polls over HTTP.
    Queued,
    /// Published to the CCU (or handed out to a legacy poll); waiting for the ack.
    Sent,
    /// The PIC acknowledged it.
    Ok,
    /// The CCU reported failure.
    Failed,
    /// No ack within `commands.ack_timeout`, or the CCU saw no RF ACK.
    TimedOut,
    /// Still queued after `commands.expiry`.
    Expired,
}

impl CommandStatus {
    /// Every status.
    pub const ALL: [CommandStatus; 6] = [
        CommandStatus::Queued,
        CommandStatus::Sent,
        CommandStatus::Ok,
        CommandStatus::Failed,
        CommandStatus::TimedOut,
        CommandStatus::Expired,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandStatus::Queued => "queued",
            CommandStatus::Sent => "sent",
            CommandStatus::Ok => "ok",
            CommandStatus::Failed => "failed",
            CommandStatus::TimedOut => "timed_out",
            CommandStatus::Expired => "expired",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<CommandStatus> {
        CommandStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// True once nothing more will happen (a late ok may still follow a time-out).
    pub fn is_final(self) -> bool {
        !matches!(self, CommandStatus::Queued | CommandStatus::Sent)
    }
}

/// A command as stored.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CommandRecord {
    /// Unique id (UUID), echoed by the CCU's ack.
    pub id: String,
    /// The CCU that executes it.
    pub ccu_id: String,
    /// The outlet.
    pub outlet_id: i32,
    /// The outlet's device id.
    pub device_id: String,
    /// Who asked (`None`: the system).
    pub user_id: Option<i32>,
    /// What.
    pub command: ccu_core::protocol::CommandKind,
    /// Which socket.
    pub socket: Option<ccu_core::protocol::Socket>,
    /// Threshold value (mA).
    pub value: Option<i64>,
    /// Lifecycle state.
    pub status: CommandStatus,
    /// Why it failed, from the ack or the server.
    pub detail: Option<String>,
    /// Created (unix ms).
    pub created_at: i64,
    /// Published (unix ms).
    pub sent_at: Option<i64>,
    /// Reached a final state (unix ms).
    pub completed_at: Option<i64>,
    /// Expires if still queued (unix ms).
    pub expires_at: i64,
}
