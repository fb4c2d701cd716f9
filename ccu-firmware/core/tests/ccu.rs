//! `Ccu` end to end with mock hardware: commands → RF → acks, readings → MQTT or the buffer.

mod common;

use ccu_core::ccu::Inbound;
use ccu_core::protocol::{DeviceId, Socket};
use ccu_core::rf::{CommandCode, Frame};
use common::rig::{STATUS, pairs, rig, settings};
use common::{RadioExpectation, UNIX_BASE, dropped_then, expect};

const MASTER: u8 = 0x02;

fn ack(device: u8, code: CommandCode, data_h: u8) -> Frame {
    Frame::ack(MASTER, device, code, data_h)
}

#[test]
fn commands_end_to_end() {
    let relay_on_a = Frame::relay(0xFE, MASTER, true, Socket::A);
    let relay_off_b = Frame::relay(0xFE, MASTER, false, Socket::B);
    let ping = Frame::ping(0xFE, MASTER);
    let threshold = Frame::set_threshold(0xFE, MASTER, 2500);
    let read = Frame::read_current(0xFE, MASTER);
    // (name, command JSON, what the PIC does, what is published after the status)
    type Case<'a> = (
        &'a str,
        &'a str,
        Vec<RadioExpectation>,
        Vec<(&'a str, &'a str)>,
    );
    let cases: Vec<Case> = vec![
        (
            "relay on, acked at once",
            r#"{"id":"c-1","device_id":"FE","command":"relay_on","socket":"a","value":null}"#,
            vec![expect(relay_on_a).reply(ack(0xFE, CommandCode::RelayOn, 1))],
            vec![("ccu/02/ack", r#"{"id":"c-1","status":"ok"}"#)],
        ),
        (
            "relay off, PIC drops the first two frames",
            r#"{"id":"c-2","device_id":"fe","command":"relay_off","socket":"b"}"#,
            dropped_then(2, relay_off_b, ack(0xFE, CommandCode::RelayOff, 2)),
            vec![("ccu/02/ack", r#"{"id":"c-2","status":"ok"}"#)],
        ),
        (
            "ping, PIC never answers",
            r#"{"id":"c-3","device_id":"FE","command":"ping","socket":null,"value":null}"#,
            vec![expect(ping), expect(ping), expect(ping)],
            vec![(
                "ccu/02/ack",
                r#"{"id":"c-3","status":"timeout","detail":"no answer from FE after 3 attempts"}"#,
            )],
        ),
        (
            "threshold, acked after noise on the line",
            r#"{"id":"c-4","device_id":"FE","command":"set_threshold","socket":null,"value":2500}"#,
            vec![
                expect(threshold)
                    .reply_bytes(&[0xAA, 0x13, b'C', b'f', b'g'])
                    .reply(ack(0xFE, CommandCode::SetThreshold, 0)),
            ],
            vec![("ccu/02/ack", r#"{"id":"c-4","status":"ok"}"#)],
        ),
        (
            "unknown outlet fails without RF",
            r#"{"id":"c-5","device_id":"0x03","command":"ping","socket":null,"value":null}"#,
            vec![],
            vec![(
                "ccu/02/ack",
                r#"{"id":"c-5","status":"failed","detail":"unknown outlet"}"#,
            )],
        ),
        (
            "relay without socket fails without RF",
            r#"{"id":"c-6","device_id":"FE","command":"relay_on","socket":null,"value":null}"#,
            vec![],
            vec![(
                "ccu/02/ack",
                r#"{"id":"c-6","status":"failed","detail":"socket required"}"#,
            )],
        ),
        (
            "read sensors reports an overload",
            r#"{"id":"c-7","device_id":"FE","command":"read_sensors","socket":null,"value":null}"#,
            vec![
                expect(read)
                    .reply(Frame::report(MASTER, Socket::A, 1250))
                    .reply(Frame::report(MASTER, Socket::B, 0xFFFF)),
            ],
            vec![
                (
                    "ccu/02/sensor",
                    r#"{"device_id":"FE","current_a":1250,"current_b":65535,"is_overload":true}"#,
                ),
                ("ccu/02/ack", r#"{"id":"c-7","status":"ok"}"#),
            ],
        ),
    ];
    for (name, json, radio, want) in cases {
        let mut rig = rig(settings(), radio, &[0xFE], true);
        assert_eq!(rig.command(json), Inbound::Queued, "{name}");
        rig.run_for(2_000);
        let mut full = vec![STATUS];
        full.extend(want);
        assert_eq!(rig.published(), pairs(&full), "{name}");
        rig.ccu.hal().radio.done();
        assert!(!rig.ccu.is_busy() && rig.ccu.pending_acks() == 0, "{name}");
    }
}

#[test]
fn a_command_delivered_again_after_it_ran_is_answered_again_not_run_twice() {
    // The server re-sends a command that was in flight when it restarted: the PIC must see
    // the relay frame once, the server must get the answer twice.
    let relay_on_a = Frame::relay(0xFE, MASTER, true, Socket::A);
    let radio = vec![expect(relay_on_a).reply(ack(0xFE, CommandCode::RelayOn, 1))];
    let mut rig = rig(settings(), radio, &[0xFE], true);
    let json = r#"{"id":"c-1","device_id":"FE","command":"relay_on","socket":"a","value":null}"#;
    assert_eq!(rig.command(json), Inbound::Queued);
    rig.run_for(2_000);
    assert_eq!(rig.command(json), Inbound::Duplicate);
    rig.run_for(2_000);
    let answer = ("ccu/02/ack", r#"{"id":"c-1","status":"ok"}"#);
    assert_eq!(rig.published(), pairs(&[STATUS, answer, answer]));
    rig.ccu.hal().radio.done();
    assert!(!rig.ccu.is_busy() && rig.ccu.pending_acks() == 0);
}

#[test]
fn acks_update_the_outlet_table() {
    let relay = Frame::relay(0xFE, MASTER, true, Socket::B);
    let threshold = Frame::set_threshold(0xFE, MASTER, 2500);
    let radio = vec![
        expect(relay).reply(ack(0xFE, CommandCode::RelayOn, 2)),
        expect(threshold).reply(ack(0xFE, CommandCode::SetThreshold, 0)),
    ];
    let mut rig = rig(settings(), radio, &[0xFE], true);
    rig.command(r#"{"id":"1","device_id":"FE","command":"relay_on","socket":"b","value":null}"#);
    rig.command(
        r#"{"id":"2","device_id":"FE","command":"set_threshold","socket":null,"value":2500}"#,
    );
    rig.run_for(100);
    let outlet = rig.ccu.outlets().get(DeviceId(0xFE)).unwrap();
    assert_eq!(outlet.relay(Socket::B).as_bool(), Some(true));
    assert_eq!(outlet.relay(Socket::A).as_bool(), None);
    assert_eq!(outlet.threshold_ma(), Some(2500));
    // A late, unsolicited ACK (relay A off) is still applied; a frame for another master is not.
    rig.ccu
        .hal_mut()
        .radio
        .inject(&ack(0xFE, CommandCode::RelayOff, 1).encode());
    rig.ccu
        .hal_mut()
        .radio
        .inject(&Frame::ack(0x01, 0xFE, CommandCode::RelayOn, 2).encode());
    rig.run_for(10);
    let outlet = rig.ccu.outlets().get(DeviceId(0xFE)).unwrap();
    assert_eq!(outlet.relay(Socket::A).as_bool(), Some(false));
    assert_eq!(outlet.relay(Socket::B).as_bool(), Some(true));
    assert_eq!(rig.ccu.stats().unmatched_frames, 1);
    rig.ccu.hal().radio.done();
}

#[test]
fn radio_write_errors_are_retried() {
    let relay = Frame::relay(0xFE, MASTER, true, Socket::A);
    let radio = vec![expect(relay).reply(ack(0xFE, CommandCode::RelayOn, 1))];
    let mut rig = rig(settings(), radio, &[0xFE], true);
    rig.ccu.hal_mut().radio.fail_writes = 1;
    rig.command(r#"{"id":"w","device_id":"FE","command":"relay_on","socket":"a","value":null}"#);
    rig.run_for(1_000);
    assert_eq!(
        rig.published().last().unwrap().1,
        r#"{"id":"w","status":"ok"}"#
    );
    assert_eq!(rig.ccu.stats().radio_errors, 1);
    rig.ccu.hal().radio.done();
}

/// Background reads: reply to READ_CURRENT of `device` with both sockets.
fn answered_read(device: u8, a: u16, b: u16) -> RadioExpectation {
    expect(Frame::read_current(device, MASTER))
        .reply(Frame::report(MASTER, Socket::A, a))
        .reply(Frame::report(MASTER, Socket::B, b))
}

#[test]
fn offline_readings_are_buffered_and_flushed_as_one_batch() {
    let mut settings = settings();
    settings.poll_interval_ms = 1_000;
    let radio = vec![
        answered_read(0xFE, 100, 0),
        answered_read(0xFD, 200, 0),
        answered_read(0xFE, 300, 0xFFFF),
        answered_read(0xFD, 400, 0),
    ];
    let mut rig = rig(settings, radio, &[0xFE, 0xFD], false);
    rig.run_for(3_500);
    assert!(rig.published().is_empty());
    assert_eq!(rig.ccu.buffered().len(), 3);

    rig.set_connected(true);
    rig.run_for(0);
    let batch = format!(
        concat!(
            r#"[{{"device_id":"FE","current_a":100,"current_b":0,"is_overload":false,"ts":{}}},"#,
            r#"{{"device_id":"FD","current_a":200,"current_b":0,"is_overload":false,"ts":{}}},"#,
            r#"{{"device_id":"FE","current_a":300,"current_b":65535,"is_overload":true,"ts":{}}}]"#,
        ),
        UNIX_BASE + 1_010,
        UNIX_BASE + 2_010,
        UNIX_BASE + 3_010,
    );
    let status = (STATUS.0.to_string(), STATUS.1.to_string());
    assert_eq!(
        rig.published(),
        vec![status, ("ccu/02/sensor".into(), batch)]
    );
    assert!(rig.ccu.buffered().is_empty());

    // Back online: the next reading goes out live, without `ts`.
    rig.run_for(600);
    assert_eq!(
        rig.published(),
        pairs(&[(
            "ccu/02/sensor",
            r#"{"device_id":"FD","current_a":400,"current_b":0,"is_overload":false}"#
        )])
    );
    rig.ccu.hal().radio.done();
}

#[test]
fn buffer_overflow_keeps_the_newest_and_counts_drops() {
    let mut settings = settings();
    settings.poll_interval_ms = 100;
    let radio = (0..11).map(|i| answered_read(0xFE, i, 0)).collect();
    let mut rig = rig(settings, radio, &[0xFE], false);
    rig.run_for(1_110);
    let buffered = rig.ccu.buffered();
    assert_eq!((buffered.len(), buffered.dropped()), (8, 3));
    assert_eq!(buffered.front().unwrap().current_a, Some(3));
    rig.set_connected(true);
    rig.run_for(0);
    let published = rig.published();
    let batch: Vec<serde_json::Value> = serde_json::from_str(&published[2].1).unwrap();
    let currents: Vec<i64> = batch
        .iter()
        .map(|r| r["current_a"].as_i64().unwrap())
        .collect();
    assert_eq!(currents, (3..11).collect::<Vec<_>>());
}

/// A CCU offline for `offline_ms`, reading an outlet every `poll_ms` (buffer of 8) and the
/// breaker every `breaker_ms` (buffer of 16), reports exactly what it dropped once it is back,
/// in one drop report (not retained) after its presence and before the batches; a failed
/// report keeps the count for the next try, and a report is never repeated.
#[test]
fn dropped_readings_are_reported_once_after_reconnecting() {
    struct Case {
        offline_ms: u64,
        poll_ms: u32,
        breaker_ms: u32,
        fail_reports: usize,
        dropped: u32,
    }
    #[rustfmt::skip]
    let cases = [
        Case { offline_ms: 500, poll_ms: 100, breaker_ms: 0, fail_reports: 0, dropped: 0 },
        Case { offline_ms: 800, poll_ms: 100, breaker_ms: 0, fail_reports: 0, dropped: 0 },
        Case { offline_ms: 1_100, poll_ms: 100, breaker_ms: 0, fail_reports: 0, dropped: 3 },
        Case { offline_ms: 3_000, poll_ms: 100, breaker_ms: 0, fail_reports: 0, dropped: 22 },
        Case { offline_ms: 2_000, poll_ms: 0, breaker_ms: 100, fail_reports: 0, dropped: 4 },
        Case { offline_ms: 1_700, poll_ms: 170, breaker_ms: 100, fail_reports: 0, dropped: 3 },
        // The status goes out, the drop report fails: the count waits for the next poll.
        Case { offline_ms: 1_100, poll_ms: 100, breaker_ms: 0, fail_reports: 1, dropped: 3 },
    ];
    for (i, case) in cases.iter().enumerate() {
        let mut settings = settings();
        settings.poll_interval_ms = case.poll_ms;
        settings.breaker_interval_ms = case.breaker_ms;
        let reads = case
            .offline_ms
            .checked_div(u64::from(case.poll_ms))
            .unwrap_or(0);
        let radio = (0..reads as u16)
            .map(|i| answered_read(0xFE, i, 0))
            .collect();
        let mut rig = rig(settings, radio, &[0xFE], false);
        rig.run_for(case.offline_ms + 10);
        assert_eq!(
            rig.ccu.dropped_readings(),
            case.dropped,
            "case {i}: counted"
        );

        // Back online with nothing due: the first poll reports.
        rig.ccu.hal_mut().mqtt.fail_containing = vec!["dropped"; case.fail_reports];
        rig.set_connected(true);
        rig.ccu.hal_mut().radio.done();
        let mut published = Vec::new();
        for attempt in 0..=case.fail_reports {
            rig.ccu.poll();
            published.extend(rig.ccu.hal_mut().mqtt.take());
            if attempt < case.fail_reports {
                let count = rig.ccu.dropped_readings();
                assert_eq!(
                    count, case.dropped,
                    "case {i}: a failed report keeps the count"
                );
                assert_eq!(published.len(), 1, "case {i}: no batch before the report");
            }
        }
        let reports: Vec<_> = published
            .iter()
            .filter(|p| p.topic == "ccu/02/status" && p.payload.contains("dropped"))
            .collect();
        assert_eq!(published[0].payload, STATUS.1, "case {i}: presence first");
        if case.dropped == 0 {
            assert!(reports.is_empty(), "case {i}: nothing dropped, no report");
        } else {
            assert_eq!(reports.len(), 1, "case {i}: one report");
            let want = format!(r#"{{"online":true,"dropped":{}}}"#, case.dropped);
            assert_eq!(reports[0].payload, want, "case {i}");
            assert!(
                !reports[0].retain,
                "case {i}: a drop report is not retained"
            );
            assert_eq!(published[1].payload, want, "case {i}: before the batches");
            assert_eq!(rig.ccu.stats().publish_errors as usize, case.fail_reports);
        }
        assert_eq!(
            rig.ccu.dropped_readings(),
            0,
            "case {i}: taken once reported"
        );

        // A reconnection with nothing dropped since reports nothing again.
        rig.set_connected(false);
        rig.ccu.poll();
        rig.set_connected(true);
        rig.ccu.poll();
        let again = rig.ccu.hal_mut().mqtt.take();
        assert!(
            again.iter().all(|p| !p.payload.contains("dropped")),
            "case {i}: reported twice: {again:?}"
        );
    }
}

#[test]
fn silent_outlets_and_failed_publishes() {
    let mut settings = settings();
    settings.poll_interval_ms = 1_000;
    let radio = vec![
        expect(Frame::read_current(0xFE, MASTER)),
        answered_read(0xFD, 5, 6),
        answered_read(0xFE, 7, 8),
    ];
    let mut rig = rig(settings, radio, &[0xFE, 0xFD], true);
    rig.run_for(1_500);
    assert_eq!(rig.ccu.stats().silent_reads, 1);
    assert_eq!(rig.published(), pairs(&[STATUS]));
    // A failed publish buffers the reading with its `ts`; the flush at the end of the same poll
    // retries it as a batch, and the next reading goes out live again.
    rig.ccu.hal_mut().mqtt.fail_publishes = 1;
    rig.run_for(1_000);
    rig.run_for(1_000);
    let payloads: Vec<String> = rig.published().into_iter().map(|(_, p)| p).collect();
    let ts = UNIX_BASE + 2_010;
    assert_eq!(
        payloads,
        [
            format!(
                r#"[{{"device_id":"FD","current_a":5,"current_b":6,"is_overload":false,"ts":{ts}}}]"#
            ),
            r#"{"device_id":"FE","current_a":7,"current_b":8,"is_overload":false}"#.to_string(),
        ]
    );
    assert_eq!(rig.ccu.stats().publish_errors, 1);
    rig.ccu.hal().radio.done();
}
