//! The CCU's view of its outlets: per-device state, the bounded table, and the read cycle.

pub mod read;
pub mod state;
pub mod table;

pub use read::{ReadCycle, Report};
pub use state::{Outlet, RelayState};
pub use table::OutletTable;
