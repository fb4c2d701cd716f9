//! Simulated CCUs and PIC outlets for tests, demos and load runs against a real server.
//!
//! The CCU is the real `ccu_core::ccu::Ccu` state machine; only its hardware is simulated:
//!
//! - [`pic`]: a PIC16F88 outlet (two relays OFF at boot, per-socket overload trip with the
//!   5 s retry, ACKs and REPORT_DATA per the original firmware, frame filtering).
//! - [`rf`]: the 433 MHz air between one CCU and its PICs (8.3 ms per frame, seeded loss),
//!   and the CCU's `Radio` on it.
//! - [`adc`]: the breaker clamp's samples, a 60 Hz sine whose RMS is the PICs' total current.
//! - [`clock`]: monotonic and unix time (tokio time, so paused-time tests work).
//! - [`uplink`]: the transport to the server, behind a trait: [`uplink::MqttUplink`] over
//!   rumqttc, or [`uplink::HttpUplink`], the old firmware's HTTP polling (for comparisons).
//! - [`ccu`]: the task driving the core, and [`SimCcu`], its handle with test controls.
//! - [`installation`]: N CCUs × M outlets; [`accounts`]: their logins.
//!
//! ```text
//! let configs = ccu_sim::installation::plan(&broker, &accounts, 4);
//! let site = ccu_sim::Installation::start(configs).await?;
//! site.ccu("02").unwrap().force_overload(DeviceId(0xFE), Socket::A)?;
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod accounts;
pub mod adc;
pub mod ccu;
pub mod clock;
pub mod error;
pub mod installation;
pub mod pic;
pub mod rf;
pub mod uplink;

pub use accounts::CcuAccount;
pub use ccu::{CcuSnapshot, OutletSpec, SimCcu, SimCcuConfig, SimTransport, device_ids};
pub use ccu_core::protocol::{DeviceId, Socket};
pub use error::SimError;
pub use installation::Installation;
pub use pic::{LoadProfile, SimPic};
pub use rf::RfSettings;
pub use uplink::{BrokerAddr, Executed, LegacyHttpConfig};
