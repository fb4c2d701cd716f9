//! Counters a [`super::Ccu`] keeps instead of logging (a port may print or publish them).

/// Things that went wrong or were thrown away, since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Frames written to the radio.
    pub frames_sent: u32,
    /// Good frames received.
    pub frames_received: u32,
    /// Received windows rejected (checksum, framing, unknown command).
    pub frame_errors: u32,
    /// Good frames that matched nothing (foreign target, late ACK, report outside a read).
    pub unmatched_frames: u32,
    /// Radio read/write failures.
    pub radio_errors: u32,
    /// Breaker ADC failures.
    pub adc_errors: u32,
    /// MQTT publish failures.
    pub publish_errors: u32,
    /// Incoming messages that could not be decoded.
    pub bad_messages: u32,
    /// Commands answered `failed` without being sent.
    pub commands_rejected: u32,
    /// Commands answered `timeout`.
    pub commands_timed_out: u32,
    /// Background reads that got no report.
    pub silent_reads: u32,
    /// Acks dropped because the ack queue was full.
    pub acks_dropped: u32,
}
