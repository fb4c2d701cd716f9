//! The CCU id: also its MQTT username, client id and topic level.

use std::fmt;

/// A registered CCU id: 1 to 32 of `A-Z 0-9 _ -`, stored upper-case (`02`, `HOME-1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct CcuId(String);

impl CcuId {
    /// Validates and upper-cases.
    pub fn parse(s: &str) -> Result<CcuId, String> {
        let s = s.trim();
        if s.is_empty() || s.len() > 32 {
            return Err("CCU id must be 1 to 32 characters".into());
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("CCU id may contain only letters, digits, '-' and '_'".into());
        }
        Ok(CcuId(s.to_ascii_uppercase()))
    }

    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CcuId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        for (input, want) in [
            ("02", Some("02")),
            (" home-1 ", Some("HOME-1")),
            ("a_b", Some("A_B")),
            ("", None),
            ("a/b", None),
            ("+", None),
            ("#", None),
            ("x y", None),
        ] {
            assert_eq!(
                CcuId::parse(input).ok().as_ref().map(CcuId::as_str),
                want,
                "{input:?}"
            );
        }
        assert!(CcuId::parse(&"A".repeat(33)).is_err());
    }
}
