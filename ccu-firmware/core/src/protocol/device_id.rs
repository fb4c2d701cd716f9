//! The outlet (PIC) id: one byte, written as two upper-case hex digits (`FE`).

use core::fmt;

/// An outlet id. Parsing accepts `fe`, `FE`, `0xFE` and `e` (= `0E`); display is always `FE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(pub u8);

impl DeviceId {
    /// Parses 1 or 2 hex digits with an optional `0x`/`0X` prefix and surrounding spaces.
    pub fn parse(s: &str) -> Option<DeviceId> {
        let s = s.trim();
        let digits = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .unwrap_or(s);
        if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u8::from_str_radix(digits, 16).ok().map(DeviceId)
    }

    /// The two upper-case hex digits.
    pub fn to_hex(self) -> [u8; 2] {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        [HEX[(self.0 >> 4) as usize], HEX[(self.0 & 0xF) as usize]]
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02X}", self.0)
    }
}

impl serde::Serialize for DeviceId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let hex = self.to_hex();
        // Both bytes are ASCII hex digits.
        serializer.serialize_str(core::str::from_utf8(&hex).unwrap_or("00"))
    }
}

impl<'de> serde::Deserialize<'de> for DeviceId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = DeviceId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a 1-2 digit hex outlet id such as \"FE\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DeviceId, E> {
                DeviceId::parse(v)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let cases: &[(&str, Option<u8>)] = &[
            ("FE", Some(0xFE)),
            ("fe", Some(0xFE)),
            ("0xFE", Some(0xFE)),
            ("0Xfe", Some(0xFE)),
            (" 3 ", Some(0x03)),
            ("00", Some(0)),
            ("", None),
            ("0x", None),
            ("1FF", None),
            ("-1", None),
            ("ZZ", None),
        ];
        for (s, want) in cases {
            assert_eq!(DeviceId::parse(s).map(|d| d.0), *want, "{s:?}");
        }
    }

    #[test]
    fn display_is_two_upper_hex_digits() {
        assert_eq!(std::format!("{}", DeviceId(0x0A)), "0A");
        assert_eq!(&DeviceId(0xFE).to_hex(), b"FE");
    }
}
