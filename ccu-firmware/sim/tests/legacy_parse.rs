//! The legacy HTTP uplink's string searches, table-driven, quirk by quirk (spec §2.2, §2.3).

use ccu_sim::Socket;
use ccu_sim::uplink::http::parse::{
    Action, LegacyCommand, add_devices, has_success, parse_commands, parse_devices, parse_focus,
    strtol16, to_int,
};

fn cmd(command: &str, socket: &str, value: i64) -> LegacyCommand {
    LegacyCommand {
        command: command.to_string(),
        socket: socket.to_string(),
        value,
    }
}

#[test]
fn device_lists() {
    let cases: &[(&str, Option<&[u8]>)] = &[
        (
            r#"{"success": true, "devices": ["0X1F", "03", "FE"]}"#,
            Some(&[0x1F, 0x03, 0xFE]),
        ),
        (
            r#"{"success":true,"devices":["fe","0x3","e"]}"#,
            Some(&[0xFE, 0x03, 0x0E]),
        ),
        (r#"{"success": true, "devices": []}"#, Some(&[])),
        // strtol stops at the first non-hex character; no digits is 0; overflow saturates
        // at LONG_MAX and truncates to 0xFF.
        (
            r#"{"success": true, "devices": ["1G", "ZZ", "", "123", "FFFFFFFFF"]}"#,
            Some(&[0x01, 0x00, 0x00, 0x23, 0xFF]),
        ),
        (r#"{"success": false, "devices": ["FE"]}"#, None),
        (r#"{"devices": ["FE"]}"#, None),
        ("", None),
        (r#"{"success": true}"#, Some(&[])),
        // Only the first [...] counts.
        (
            r#"{"success": true, "devices": ["01"], "more": ["02"]}"#,
            Some(&[0x01]),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(parse_devices(body).as_deref(), *want, "{body}");
    }
}

#[test]
fn device_table_grows_to_eight_and_never_shrinks() {
    let mut known = vec![0xFE];
    assert!(!add_devices(&mut known, &[]), "nothing removed");
    assert_eq!(known, [0xFE]);
    assert!(add_devices(&mut known, &[0x03, 0xFE, 0x03, 0x1F]));
    assert_eq!(known, [0xFE, 0x03, 0x1F]);
    assert!(!add_devices(&mut known, &[0x1F]));
    assert!(add_devices(&mut known, &(1..=10).collect::<Vec<u8>>()));
    assert_eq!(known, [0xFE, 0x03, 0x1F, 1, 2, 4, 5, 6], "3 was known");
}

#[test]
fn focus() {
    let cases: &[(&str, Option<&str>)] = &[
        (r#"{"success": true, "device_id": "FE"}"#, Some("FE")),
        (r#"{"success":true,"device_id":"0X1F"}"#, Some("0X1F")),
        (r#"{"success": true, "device_id": null}"#, None),
        (r#"{"success": true, "device_id": ""}"#, None),
        (r#"{"success": true}"#, None),
        ("", None),
    ];
    for (body, want) in cases {
        assert_eq!(parse_focus(body).as_deref(), *want, "{body}");
    }
    assert_eq!(strtol16("0X1F"), 0x1F);
    assert_eq!(strtol16("-1"), 0xFF);
}

#[test]
fn success_test_accepts_both_spacings_only() {
    let cases: &[(&str, bool)] = &[
        (r#"{"success": true, "commands": []}"#, true),
        (r#"{"success":true,"commands":[]}"#, true),
        (r#"{"success":  true}"#, false),
        (r#"{"success": false, "message": "x"}"#, false),
        (r#"{"commands": []}"#, false),
    ];
    for (body, want) in cases {
        assert_eq!(has_success(body), *want, "{body}");
    }
}

#[test]
fn command_fetches() {
    let cases: &[(&str, Option<Vec<LegacyCommand>>)] = &[
        // The server's exact layout (Python separators).
        (
            r#"{"success": true, "commands": [{"command": "relay_off", "socket": "b", "value": null}, {"command": "relay_on", "socket": "a", "value": null}, {"command": "set_threshold", "socket": "", "value": 5000}]}"#,
            Some(vec![
                cmd("relay_off", "b", 0),
                cmd("relay_on", "a", 0),
                cmd("set_threshold", "", 5000),
            ]),
        ),
        (r#"{"success": true, "commands": []}"#, Some(vec![])),
        // Missing success: a failure, nothing executed.
        (
            r#"{"commands": [{"command": "relay_on", "socket": "a", "value": null}]}"#,
            None,
        ),
        (
            r#"{"success": false, "message": "Outlet with device_id FE not found"}"#,
            None,
        ),
        // Without spaces the object is found, but name and socket are not ("command": " with
        // the space); the value is found either way.
        (
            r#"{"success":true,"commands":[{"command":"relay_on","socket":"a","value":7}]}"#,
            Some(vec![cmd("", "", 7)]),
        ),
        // `command` must be the first key, right after `{`.
        (
            r#"{"success": true, "commands": [{"socket": "a", "command": "relay_on", "value": null}, { "command": "relay_on"}]}"#,
            Some(vec![]),
        ),
        // The value runs to the next comma or the object's end, trimmed; toInt() semantics.
        (
            r#"{"success": true, "commands": [{"command": "set_threshold", "socket": "", "value":  250 }, {"command": "set_threshold", "value": "5000", "socket": "a"}, {"command": "set_threshold", "socket": "a"}, {"command": "set_threshold", "value": -3}]}"#,
            Some(vec![
                cmd("set_threshold", "", 250),
                cmd("set_threshold", "a", 0),
                cmd("set_threshold", "a", 0),
                cmd("set_threshold", "", -3),
            ]),
        ),
        // Each object ends at the first `}`: no nesting.
        (
            r#"{"success": true, "commands": [{"command": "relay_on", "extra": {"x": 1}, "socket": "a"}]}"#,
            Some(vec![cmd("relay_on", "", 0)]),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(parse_commands(body).as_ref(), want.as_ref(), "{body}");
    }
}

#[test]
fn command_actions() {
    let relay = |on, socket| Some(Action::Relay { on, socket });
    let cases: &[(LegacyCommand, Option<Action>)] = &[
        (cmd("relay_on", "a", 0), relay(true, Socket::A)),
        (cmd("relay_on", "b", 0), relay(true, Socket::B)),
        (cmd("relay_off", "a", 0), relay(false, Socket::A)),
        // Anything but "a" is socket B, the empty socket and "A" included.
        (cmd("relay_on", "", 0), relay(true, Socket::B)),
        (cmd("relay_off", "A", 0), relay(false, Socket::B)),
        (
            cmd("set_threshold", "", 5000),
            Some(Action::SetThreshold(5000)),
        ),
        (cmd("set_threshold", "", 0), None),
        (cmd("set_threshold", "", -5), None),
        // The PIC gets the value's low 16 bits.
        (
            cmd("set_threshold", "", 70_000),
            Some(Action::SetThreshold(4464)),
        ),
        (cmd("read_sensors", "", 0), None),
        (cmd("ping", "", 0), None),
        (cmd("explode", "a", 0), None),
        (cmd("", "a", 0), None),
        (cmd("RELAY_ON", "a", 0), None),
    ];
    for (command, want) in cases {
        assert_eq!(command.action(), *want, "{command:?}");
    }
}

#[test]
fn c_number_parsing() {
    let hex: &[(&str, u8)] = &[
        ("FE", 0xFE),
        ("fe", 0xFE),
        (" 0xfe", 0xFE),
        ("0x", 0),
        ("0xG", 0),
        ("+10", 0x10),
        ("-2", 0xFE),
        ("100", 0x00),
    ];
    for (s, want) in hex {
        assert_eq!(strtol16(s), *want, "{s:?}");
    }
    let dec: &[(&str, i64)] = &[
        ("5000", 5000),
        ("-3", -3),
        ("12abc", 12),
        ("abc", 0),
        ("\"5000\"", 0),
        ("99999999999", i64::from(i32::MAX)),
        ("", 0),
    ];
    for (s, want) in dec {
        assert_eq!(to_int(s), *want, "{s:?}");
    }
}
