//! The radio link (HC-12 transparent UART at 9600 8N1).

/// A byte pipe to the PICs.
pub trait Radio {
    /// The UART's error.
    type Error;

    /// Writes all `bytes` (one frame at a time from the core).
    fn write(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;

    /// Copies the bytes already received into `buf` without blocking; returns how many (0 = none).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error>;
}
