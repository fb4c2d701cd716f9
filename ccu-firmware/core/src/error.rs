//! The crate's error type: generic over the device error, no allocation, no `thiserror`.

use core::convert::Infallible;
use core::fmt;

/// An error of the core, or of the device behind one of the [`crate::hal`] traits.
///
/// `E` is the device error; operations that touch no device use the default
/// [`Infallible`], so `Error` alone means "a core error".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error<E = Infallible> {
    /// The device (radio, ADC, MQTT session, storage) failed.
    Device(E),
    /// A bounded table or queue is full.
    Full,
    /// An output buffer cannot hold even one item.
    BufferTooSmall,
    /// Input bytes could not be decoded.
    Decode,
}

/// A `Result` with the crate's [`Error`].
pub type Result<T, E = Infallible> = core::result::Result<T, Error<E>>;

impl<E> From<E> for Error<E> {
    fn from(error: E) -> Self {
        Error::Device(error)
    }
}

impl Error {
    /// Widens a core error into an error of any device type.
    pub fn widen<E>(self) -> Error<E> {
        match self {
            Error::Device(never) => match never {},
            Error::Full => Error::Full,
            Error::BufferTooSmall => Error::BufferTooSmall,
            Error::Decode => Error::Decode,
        }
    }
}

impl<E: fmt::Debug> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Device(e) => write!(f, "device error: {e:?}"),
            Error::Full => f.write_str("bounded table or queue is full"),
            Error::BufferTooSmall => f.write_str("output buffer too small"),
            Error::Decode => f.write_str("input could not be decoded"),
        }
    }
}
