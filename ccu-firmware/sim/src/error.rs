//! The simulator's error type.

use ccu_core::protocol::DeviceId;

/// What can go wrong while building or controlling a simulation.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A CCU id longer than the core allows, or empty.
    #[error("invalid CCU id {0:?} (1 to {max} characters)", max = ccu_core::ccu::MAX_CCU_ID_LEN)]
    InvalidCcuId(String),
    /// A firmware version string that does not fit the status message.
    #[error("firmware version {0:?} is too long")]
    InvalidFirmware(String),
    /// No simulated PIC with this device id on the CCU's radio.
    #[error("no simulated outlet {0}")]
    UnknownOutlet(DeviceId),
    /// Two simulated PICs of one CCU share a device id.
    #[error("outlet {0} is simulated twice on one CCU")]
    DuplicateOutlet(DeviceId),
    /// More simulated outlets than a CCU's table holds.
    #[error("{0} outlets on one CCU (at most {max})", max = ccu_core::protocol::MAX_OUTLETS_PER_CCU)]
    TooManyOutlets(usize),
    /// A frame-loss rate outside 0..=1.
    #[error("frame loss rate {0} is not within 0..=1")]
    InvalidLossRate(f64),
    /// The CCU task has stopped (or panicked), so it cannot take controls.
    #[error("CCU {0} is not running")]
    Stopped(String),
    /// The MQTT client refused a request (its queue is full or its event loop is gone).
    #[error("MQTT client: {0}")]
    Mqtt(#[from] rumqttc::ClientError),
    /// The legacy HTTP uplink's server address is not a plain `http://` URL, or its period is 0.
    #[error("invalid legacy HTTP settings for {url:?}: {reason}")]
    InvalidLegacyHttp {
        /// The server URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// Reading an accounts file failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// An accounts file or argument is malformed.
    #[error("bad CCU account list: {0}")]
    Accounts(String),
}
