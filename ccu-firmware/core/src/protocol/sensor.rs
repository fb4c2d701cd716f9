//! `ccu/<id>/sensor`: one outlet's currents and relay states (or an array of them: a batch).

use super::DeviceId;
use serde::{Deserialize, Serialize};

/// One reading of an outlet's two sockets.
///
/// Currents are in mA; `65535` means the socket is in overload trip; `None` means never read.
/// The server rejects negative and absurd values, so they are signed here to be reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensorReading {
    /// The outlet.
    pub device_id: DeviceId,
    /// Socket A current in mA.
    pub current_a: Option<i64>,
    /// Socket B current in mA.
    pub current_b: Option<i64>,
    /// Socket A relay state as acknowledged by the PIC (`None`: unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay_a: Option<bool>,
    /// Socket B relay state as acknowledged by the PIC (`None`: unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay_b: Option<bool>,
    /// True when either socket is in overload trip.
    #[serde(default)]
    pub is_overload: bool,
    /// When it was measured (unix ms); absent for live readings, set for buffered ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{decode, encode};

    #[test]
    fn round_trip_without_allocation() {
        let r = SensorReading {
            device_id: DeviceId(0xFE),
            current_a: Some(1250),
            current_b: Some(65535),
            relay_a: Some(true),
            relay_b: None,
            is_overload: true,
            ts: Some(1_700_000_000_000),
        };
        let mut buf = [0u8; 256];
        let n = encode(&r, &mut buf).unwrap();
        let text = core::str::from_utf8(&buf[..n]).unwrap();
        assert_eq!(
            text,
            r#"{"device_id":"FE","current_a":1250,"current_b":65535,"relay_a":true,"is_overload":true,"ts":1700000000000}"#
        );
        assert_eq!(decode::<SensorReading>(&buf[..n]), Some(r));
    }

    #[test]
    fn draft_example_and_unknown_fields() {
        let text = br#"{"device_id":"fe","current_a":1250,"current_b":0,"relay_a":true,"relay_b":false,"is_overload":false,"extra":[1,{"x":2}]}"#;
        let r: SensorReading = decode(text).unwrap();
        assert_eq!(r.device_id, DeviceId(0xFE));
        assert_eq!(r.relay_b, Some(false));
        let r2: SensorReading = serde_json::from_slice(text).unwrap();
        assert_eq!(r, r2);
    }
}
