//! Names and locations people give CCUs, outlets and API tokens: trimmed, at most 100
//! characters (a name at least one, a location may be empty), and no control characters,
//! which would break log lines and CSV rows, and which PostgreSQL refuses (NUL) where SQLite
//! takes them: the same input must get the same answer on either database.

use crate::{Error, Result};

/// Longest name or location, in characters.
pub const MAX_CHARS: usize = 100;

/// A name (`what`: "name", "token name"): 1 to [`MAX_CHARS`] characters once trimmed.
pub fn name(what: &str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > MAX_CHARS {
        return Err(Error::invalid(format!(
            "{what} must be 1 to {MAX_CHARS} characters"
        )));
    }
    printable(what, v)
}

/// A location: at most [`MAX_CHARS`] characters once trimmed (empty: none).
pub fn location(value: &str) -> Result<String> {
    let v = value.trim();
    if v.chars().count() > MAX_CHARS {
        return Err(Error::invalid(format!(
            "location must be at most {MAX_CHARS} characters"
        )));
    }
    printable("location", v)
}

fn printable(what: &str, v: &str) -> Result<String> {
    if v.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_locations() {
        assert_eq!(name("name", "  Desk lamp ").unwrap(), "Desk lamp");
        assert_eq!(name("name", "Küche ☕").unwrap(), "Küche ☕");
        assert!(name("name", "   ").is_err());
        assert!(
            name("name", &"é".repeat(100)).is_ok(),
            "characters, not bytes"
        );
        assert!(name("name", &"é".repeat(101)).is_err());
        for bad in ["a\0b", "a\nb", "a\u{1b}[31mb", "a\u{7f}b", "a\u{85}b"] {
            let e = name("name", bad).unwrap_err().to_string();
            assert!(e.contains("control characters"), "{bad:?}: {e}");
            assert!(location(bad).is_err(), "{bad:?}");
        }
        assert_eq!(location("").unwrap(), "");
        assert!(location(&"x".repeat(101)).is_err());
    }
}
