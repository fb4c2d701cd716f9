//! The firmware's reading of the shim's answers: string searches, not a JSON parser, so they
//! depend on the old app's Python spacing (`", "` and `": "`) as the firmware did.

/// A relay command as the firmware parsed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// `relay_on`, …
    pub command: String,
    /// `a`, `b` or empty.
    pub socket: String,
}

fn succeeded(body: &str) -> bool {
    body.contains("\"success\": true") || body.contains("\"success\":true")
}

/// `GET /api/commands/<id>/`: the commands, in order.
pub fn parse_commands(body: &str) -> Vec<Parsed> {
    if !succeeded(body) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{\"command\":") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let obj = &rest[start..=start + len];
        let field = |key: &str| {
            let i = obj.find(key)? + key.len();
            let j = obj[i..].find('"')? + i;
            Some(obj[i..j].to_string())
        };
        if let Some(command) = field("\"command\": \"") {
            out.push(Parsed {
                command,
                socket: field("\"socket\": \"").unwrap_or_default(),
            });
        }
        rest = &rest[start + len + 1..];
    }
    out
}

/// `GET /api/focus/`: the text after `"device_id":"` (spaces removed) up to the next quote;
/// `None` for `null`, a missing key or an empty id.
pub fn parse_focus(body: &str) -> Option<String> {
    const KEY: &str = "\"device_id\":\"";
    let body = body.replace(' ', "");
    let start = body.find(KEY)? + KEY.len();
    let id = &body[start..start + body[start..].find('"')?];
    (!id.is_empty()).then(|| id.to_string())
}

/// `GET /api/devices/`: the listed device ids; `None` when the answer is not a success.
pub fn parse_devices(body: &str) -> Option<Vec<String>> {
    if !succeeded(body) {
        return None;
    }
    let i = body.find("\"devices\"")?;
    let open = body[i..].find('[')? + i + 1;
    let close = body[open..].find(']')? + open;
    // Between the brackets: `"FE", "FD"`; every second piece between quotes is an id.
    Some(
        body[open..close]
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_in_python_spacing() {
        let body = r#"{"success": true, "commands": [{"command": "relay_on", "socket": "a", "value": null}, {"command": "relay_off", "socket": "b", "value": null}]}"#;
        let c = parse_commands(body);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].command.as_str(), c[0].socket.as_str()),
            ("relay_on", "a")
        );
        assert_eq!(
            (c[1].command.as_str(), c[1].socket.as_str()),
            ("relay_off", "b")
        );
        assert!(parse_commands(r#"{"success": false, "message": "x"}"#).is_empty());
    }

    #[test]
    fn focus_set_null_or_failed() {
        assert_eq!(
            parse_focus(r#"{"success": true, "device_id": "FE"}"#).as_deref(),
            Some("FE")
        );
        assert_eq!(
            parse_focus(r#"{"success":true,"device_id":"A0"}"#).as_deref(),
            Some("A0")
        );
        assert_eq!(parse_focus(r#"{"success": true, "device_id": null}"#), None);
        assert_eq!(parse_focus(r#"{"success": true, "device_id": ""}"#), None);
        assert_eq!(parse_focus(r#"{"success": false, "message": "x"}"#), None);
    }

    #[test]
    fn devices_listed_or_empty() {
        assert_eq!(
            parse_devices(r#"{"success": true, "devices": ["FE", "FD"]}"#),
            Some(vec!["FE".to_string(), "FD".to_string()])
        );
        assert_eq!(
            parse_devices(r#"{"success": true, "devices": []}"#),
            Some(Vec::new())
        );
        assert_eq!(parse_devices(r#"{"success": false}"#), None);
    }
}
