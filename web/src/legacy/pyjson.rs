//! JSON as Python's `json.dumps` writes it (`", "` and `": "` separators, non-ASCII escaped):
//! the old CCU firmware finds commands by plain string search in this exact text.

use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

/// A serde_json formatter producing Python's default `json.dumps` layout.
pub struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { w.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if fragment.is_ascii() {
            return w.write_all(fragment.as_bytes());
        }
        for c in fragment.chars() {
            if c.is_ascii() {
                w.write_all(&[c as u8])?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(w, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

/// Serialises `value` the way Django's `JsonResponse` did.
pub fn to_string<T: Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    if value.serialize(&mut ser).is_err() {
        return "{}".to_string();
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_json_dumps() {
        let v = serde_json::json!({"success": true, "commands": [{"command": "relay_on", "socket": "a", "value": null}]});
        // serde_json::Value sorts keys; structs keep declaration order (see the handlers).
        assert_eq!(
            to_string(&v),
            r#"{"commands": [{"command": "relay_on", "socket": "a", "value": null}], "success": true}"#
        );
        assert_eq!(
            to_string(&"Command queued \u{2014} will execute"),
            r#""Command queued \u2014 will execute""#
        );
        assert_eq!(to_string(&"😀"), r#""\ud83d\ude00""#);
        assert_eq!(to_string(&Vec::<i32>::new()), "[]");
        assert_eq!(to_string(&serde_json::json!({})), "{}");
    }
}
