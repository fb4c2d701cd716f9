//! Counters of one simulated PIC.

/// What a PIC heard and said since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PicStats {
    /// Frames addressed to it from its master, processed.
    pub accepted: u32,
    /// Good frames dropped silently (other target, or a sender that is not its master).
    pub ignored: u32,
    /// Byte windows that were not valid frames (`CRC!` on its debug UART).
    pub bad_frames: u32,
    /// Frames it sent (ACKs and reports).
    pub sent: u32,
}
