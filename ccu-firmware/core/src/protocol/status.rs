//! `ccu/<id>/status`: presence, retained; `{"online":false}` is also the CCU's last will.

use serde::{Deserialize, Serialize};

/// A CCU's presence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// True while the CCU is connected.
    pub online: bool,
    /// Firmware version, sent with `online: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<heapless::String<24>>,
}
