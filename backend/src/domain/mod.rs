//! Plain domain types shared by the services, the store and the web layer.

mod alert;
mod ccu_id;
mod command;
mod event;
mod records;

pub use alert::{AlertKind, AlertRecord};
pub use ccu_id::CcuId;
pub use command::{CommandRecord, CommandStatus};
pub use event::{EventKind, EventRecord, Source};
pub use records::{BreakerPoint, CcuRecord, OutletRecord, ReadingPoint, Transport, UserRecord};

pub use ccu_core::protocol::{CommandKind, DeviceId, Socket};
