//! The old firmware's string searches over the server's replies, quirk for quirk (compatibility
//! spec §2.2 steps 0 and 2, §2.3); pure functions, no I/O.
//!
//! The firmware does not parse JSON. It searches for fixed substrings, so its behaviour depends
//! on the server's spacing: `/api/devices/` and `/api/focus/` are searched with every space
//! removed, but `/api/commands/<id>/` is searched as is, and the command name and socket are
//! found only with Python's `": "` separator. Numbers go through C's `strtol(…, 16)` (device ids,
//! truncated to a byte) and Arduino's `String::toInt()` (command values).

use ccu_core::protocol::Socket;

/// Most outlets the old firmware keeps (its device table has 8 slots).
pub const MAX_LEGACY_DEVICES: usize = 8;

/// The body with every space removed (the firmware's `replace(" ", "")`; tabs and newlines stay).
pub fn remove_spaces(body: &str) -> String {
    body.replace(' ', "")
}

/// The command fetch's success test: `"success": true` or `"success":true`, searched as is.
pub fn has_success(body: &str) -> bool {
    body.contains("\"success\": true") || body.contains("\"success\":true")
}

/// Step 0, `GET /api/devices/`: every quoted string between the first `[` and the first `]`
/// (spaces removed), each parsed with [`strtol16`]. `None` unless the body has
/// `"success":true`; an empty list when there is no `[…]`.
pub fn parse_devices(body: &str) -> Option<Vec<u8>> {
    let body = remove_spaces(body);
    if !body.contains("\"success\":true") {
        return None;
    }
    let (Some(open), Some(close)) = (body.find('['), body.find(']')) else {
        return Some(Vec::new());
    };
    let Some(list) = body.get(open + 1..close) else {
        return Some(Vec::new());
    };
    let mut ids = Vec::new();
    let mut rest = list;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else {
            break;
        };
        ids.push(strtol16(&after[..end]));
        rest = &after[end + 1..];
    }
    Some(ids)
}

/// Adds newly listed ids to the firmware's device table: in order, no duplicates, at most
/// [`MAX_LEGACY_DEVICES`], never removing one. Returns true when the table grew.
pub fn add_devices(known: &mut Vec<u8>, listed: &[u8]) -> bool {
    let before = known.len();
    for &id in listed {
        if known.len() >= MAX_LEGACY_DEVICES {
            break;
        }
        if !known.contains(&id) {
            known.push(id);
        }
    }
    known.len() != before
}

/// Step 2, `GET /api/focus/`: the text after `"device_id":"` up to the next quote (spaces
/// removed). `None` for `"device_id":null`, a missing key or an empty id.
pub fn parse_focus(body: &str) -> Option<String> {
    const KEY: &str = "\"device_id\":\"";
    let body = remove_spaces(body);
    let start = body.find(KEY)? + KEY.len();
    let len = body[start..].find('"')?;
    let id = &body[start..start + len];
    (!id.is_empty()).then(|| id.to_string())
}

/// One object of a command fetch as the firmware sees it (before it decides what to do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyCommand {
    /// Found after `"command": "` (with the space); empty when not found.
    pub command: String,
    /// Found after `"socket": "` (with the space); empty when not found.
    pub socket: String,
    /// The text after `"value":` up to the next comma or the object's end, trimmed, through
    /// `toInt()`; `null` (or no `"value":`) is 0.
    pub value: i64,
}

/// What the firmware does with a [`LegacyCommand`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `relay_on` / `relay_off` on a socket.
    Relay {
        /// True for `relay_on`.
        on: bool,
        /// `"a"` is socket A; anything else, `""` included, is socket B.
        socket: Socket,
    },
    /// `set_threshold` with a value > 0 (the PIC gets its low 16 bits).
    SetThreshold(u16),
}

impl LegacyCommand {
    /// The action, or `None` for what the firmware ignores: `read_sensors`, `ping`,
    /// `set_threshold` with a value ≤ 0, and unknown names.
    pub fn action(&self) -> Option<Action> {
        let socket = if self.socket == "a" {
            Socket::A
        } else {
            Socket::B
        };
        match self.command.as_str() {
            "relay_on" => Some(Action::Relay { on: true, socket }),
            "relay_off" => Some(Action::Relay { on: false, socket }),
            // The firmware splits the value into a high and a low byte.
            "set_threshold" if self.value > 0 => Some(Action::SetThreshold(self.value as u16)),
            _ => None,
        }
    }
}

/// Step 3, `GET /api/commands/<id>/`: `None` without the success marker (the firmware counts
/// that as a failure); else every object that starts with the literal `{"command":`, each
/// ending at the first `}` after it.
pub fn parse_commands(body: &str) -> Option<Vec<LegacyCommand>> {
    const START: &str = "{\"command\":";
    if !has_success(body) {
        return None;
    }
    let mut commands = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find(START) {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let object = &rest[start..start + len];
        commands.push(LegacyCommand {
            command: quoted_after(object, "\"command\": \""),
            socket: quoted_after(object, "\"socket\": \""),
            value: value_of(object),
        });
        rest = &rest[start + len + 1..];
    }
    Some(commands)
}

/// The text after `key` up to the next quote; empty when the key or the quote is missing.
fn quoted_after(object: &str, key: &str) -> String {
    let Some(start) = object.find(key).map(|i| i + key.len()) else {
        return String::new();
    };
    object[start..]
        .find('"')
        .map(|len| object[start..start + len].to_string())
        .unwrap_or_default()
}

fn value_of(object: &str) -> i64 {
    const KEY: &str = "\"value\":";
    let Some(start) = object.find(KEY).map(|i| i + KEY.len()) else {
        return 0;
    };
    let raw = object[start..].split(',').next().unwrap_or_default().trim();
    if raw == "null" { 0 } else { to_int(raw) }
}

/// C's `strtol(s, NULL, 16)` on a 32-bit `long`, truncated to a byte as the firmware stores it:
/// leading white space, a sign and a `0x`/`0X` prefix are accepted, parsing stops at the first
/// non-hex character, no digits give 0, overflow saturates.
pub fn strtol16(s: &str) -> u8 {
    let (negative, digits) = sign(s);
    let digits = match digits.get(..2) {
        Some("0x" | "0X") if digits[2..].starts_with(|c: char| c.is_ascii_hexdigit()) => {
            &digits[2..]
        }
        _ => digits,
    };
    accumulate(negative, digits, 16) as u8
}

/// Arduino's `String::toInt()` (`atol` on a 32-bit `long`): an optional sign and leading
/// decimal digits; anything else gives 0.
pub fn to_int(s: &str) -> i64 {
    let (negative, digits) = sign(s);
    accumulate(negative, digits, 10)
}

fn sign(s: &str) -> (bool, &str) {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

/// Leading digits in `radix`, saturated to the range of a 32-bit `long`.
fn accumulate(negative: bool, digits: &str, radix: u32) -> i64 {
    let limit = i64::from(i32::MAX) + 1;
    let magnitude = digits
        .chars()
        .map_while(|c| c.to_digit(radix))
        .fold(0i64, |acc, d| {
            (acc * i64::from(radix) + i64::from(d)).min(limit)
        });
    let value = if negative { -magnitude } else { magnitude };
    value.clamp(i64::from(i32::MIN), i64::from(i32::MAX))
}
