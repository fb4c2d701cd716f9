//! The hardware seams: a port (ESP32, simulator, test mock) implements these traits and nothing else.

pub mod adc;
pub mod clock;
pub mod mqtt;
pub mod radio;
pub mod storage;

pub use adc::BreakerAdc;
pub use clock::Clock;
pub use mqtt::MqttSession;
pub use radio::Radio;
pub use storage::{Credentials, Storage, StorageKey, load_credentials, save_credentials};

/// The devices a [`crate::ccu::Ccu`] owns, bundled so they can be handed back for inspection.
#[derive(Debug, Clone, Default)]
pub struct Hal<R, C, A, M> {
    /// The HC-12 UART.
    pub radio: R,
    /// Monotonic and wall-clock time.
    pub clock: C,
    /// The breaker clamp's ADC.
    pub adc: A,
    /// The MQTT session to the server.
    pub mqtt: M,
}
