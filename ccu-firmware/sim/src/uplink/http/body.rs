//! The request bodies and paths of the old firmware, byte for byte (compatibility spec §2.2):
//! hand-built JSON without spaces, ids as two upper-case hex digits.

use ccu_core::protocol::{OVERLOAD_MA, SensorReading};

/// `/api/devices/`.
pub const DEVICES_PATH: &str = "/api/devices/";
/// `/api/breaker-data/`.
pub const BREAKER_PATH: &str = "/api/breaker-data/";
/// `/api/focus/`.
pub const FOCUS_PATH: &str = "/api/focus/";
/// `/api/data/`.
pub const DATA_PATH: &str = "/api/data/";

/// `/api/commands/FE/`.
pub fn commands_path(device: u8) -> String {
    format!("/api/commands/{device:02X}/")
}

/// The server address as the firmware keeps it: one trailing `/` removed.
pub fn base_url(url: &str) -> &str {
    url.strip_suffix('/').unwrap_or(url)
}

/// Step 1: `{"ccu_id":"02","current_ma":4312}`.
pub fn breaker_body(ccu_id: &str, current_ma: i64) -> String {
    let id = serde_json::to_string(ccu_id).unwrap_or_else(|_| "\"\"".to_string());
    format!("{{\"ccu_id\":{id},\"current_ma\":{current_ma}}}")
}

/// Steps 3 and 4: `{"device_id":"FE","current_a":1234,"current_b":-1,"relay_a":true,
/// "relay_b":false,"is_overload":false}` (one line). Without a reading every value is the
/// firmware's "never read": currents -1, relays false.
pub fn data_body(device: u8, reading: Option<&SensorReading>) -> String {
    let current_a = reading.and_then(|r| r.current_a);
    let current_b = reading.and_then(|r| r.current_b);
    let relay_a = reading.is_some_and(|r| r.relay_a == Some(true));
    let relay_b = reading.is_some_and(|r| r.relay_b == Some(true));
    let is_overload = current_a == Some(OVERLOAD_MA) || current_b == Some(OVERLOAD_MA);
    format!(
        "{{\"device_id\":\"{device:02X}\",\"current_a\":{},\"current_b\":{},\"relay_a\":{relay_a},\
         \"relay_b\":{relay_b},\"is_overload\":{is_overload}}}",
        current_a.unwrap_or(-1),
        current_b.unwrap_or(-1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccu_core::protocol::DeviceId;

    fn reading(a: Option<i64>, b: Option<i64>, ra: Option<bool>) -> SensorReading {
        SensorReading {
            device_id: DeviceId(0xFE),
            current_a: a,
            current_b: b,
            relay_a: ra,
            relay_b: Some(false),
            is_overload: false,
            ts: None,
        }
    }

    #[test]
    fn bodies_are_the_firmware_s() {
        assert_eq!(
            breaker_body("02", 4312),
            r#"{"ccu_id":"02","current_ma":4312}"#
        );
        assert_eq!(
            data_body(0xFE, Some(&reading(Some(1234), None, Some(true)))),
            r#"{"device_id":"FE","current_a":1234,"current_b":-1,"relay_a":true,"relay_b":false,"is_overload":false}"#
        );
        assert_eq!(
            data_body(0x03, Some(&reading(Some(5), Some(65535), None))),
            r#"{"device_id":"03","current_a":5,"current_b":65535,"relay_a":false,"relay_b":false,"is_overload":true}"#
        );
        assert_eq!(
            data_body(0x0A, None),
            r#"{"device_id":"0A","current_a":-1,"current_b":-1,"relay_a":false,"relay_b":false,"is_overload":false}"#
        );
        assert_eq!(commands_path(0x0F), "/api/commands/0F/");
        assert_eq!(base_url("http://h:1/"), "http://h:1");
        assert_eq!(base_url("http://h:1//"), "http://h:1/");
    }
}
