//! `ccu/<id>/status`: presence, retained; `{"online":false}` is also the CCU's last will.
//!
//! A status with `dropped` is a drop report: readings the CCU lost to its full offline buffer
//! since its last report. It is published *not* retained (a retained copy would be delivered
//! again to every new subscriber and counted twice), after the retained presence status.

use serde::{Deserialize, Serialize};

/// A CCU's presence, and optionally the readings it dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// True while the CCU is connected.
    pub online: bool,
    /// Firmware version, sent with `online: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<heapless::String<24>>,
    /// Readings (sensor and breaker) lost to buffer overflow since the last report; only in a
    /// drop report, which is never retained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<u32>,
}

impl Status {
    /// The presence status a CCU publishes (retained) when it (re)connects.
    pub fn online(firmware: heapless::String<24>) -> Status {
        Status {
            online: true,
            firmware: Some(firmware),
            dropped: None,
        }
    }

    /// A drop report: `dropped` readings lost since the last report (not retained).
    pub fn dropped(dropped: u32) -> Status {
        Status {
            online: true,
            firmware: None,
            dropped: Some(dropped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Status;

    #[test]
    fn dropped_is_optional_and_omitted_when_absent() {
        let (old, _): (Status, _) =
            serde_json_core::from_str(r#"{"online":true,"firmware":"5.0.0"}"#).unwrap();
        assert_eq!(old.dropped, None);
        let (report, _): (Status, _) =
            serde_json_core::from_str(r#"{"online":true,"dropped":7}"#).unwrap();
        assert_eq!(report, Status::dropped(7));
        let mut buf = [0u8; 64];
        let n = serde_json_core::to_slice(&Status::dropped(7), &mut buf).unwrap();
        assert_eq!(&buf[..n], br#"{"online":true,"dropped":7}"#);
        let n =
            serde_json_core::to_slice(&Status::online("t".try_into().unwrap()), &mut buf).unwrap();
        assert_eq!(&buf[..n], br#"{"online":true,"firmware":"t"}"#);
        for absurd in [
            r#"{"online":true,"dropped":-1}"#,
            r#"{"online":true,"dropped":4294967296}"#,
        ] {
            assert!(
                serde_json_core::from_str::<Status>(absurd).is_err(),
                "{absurd}"
            );
        }
    }
}
