//! `ccu/<id>/devices`: the CCU's outlets and their thresholds, retained.

use super::{DeviceId, MAX_OUTLETS_PER_CCU};
use serde::{Deserialize, Serialize};

/// One outlet the CCU should poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceEntry {
    /// The outlet.
    pub device_id: DeviceId,
    /// Per-socket alert threshold in mA (0 = none).
    pub threshold_ma: u16,
}

/// Every outlet of one CCU; replaces the old 2 s poll of `/api/devices/`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeviceList {
    /// The outlets.
    pub devices: heapless::Vec<DeviceEntry, MAX_OUTLETS_PER_CCU>,
}
