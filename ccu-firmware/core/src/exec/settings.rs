//! Time-outs and retry counts of RF exchanges.

/// How long to wait for an answer and how often to retry.
///
/// The original CCU never retried; a lost frame was lost. Defaults here retry twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecSettings {
    /// Wait for an ACK after each send (ms).
    pub ack_timeout_ms: u32,
    /// Resends after the first attempt for commands (0 = send once).
    pub max_retries: u8,
    /// Listen for REPORT_DATA after each READ_CURRENT (ms; the original used 350).
    pub read_window_ms: u32,
    /// Resends for the periodic background reads (the original: none).
    pub poll_retries: u8,
}

impl ExecSettings {
    /// The defaults: 300 ms ACK time-out, 2 retries, 350 ms read window, no poll retries.
    pub const DEFAULT: ExecSettings = ExecSettings {
        ack_timeout_ms: 300,
        max_retries: 2,
        read_window_ms: 350,
        poll_retries: 0,
    };
}

impl Default for ExecSettings {
    fn default() -> Self {
        ExecSettings::DEFAULT
    }
}
