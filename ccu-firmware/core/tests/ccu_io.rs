//! `Ccu` at its edges: inbound messages, presence, the breaker, persistence and the poll schedule.

mod common;

use ccu_core::Error;
use ccu_core::ccu::{COMMAND_QUEUE_LEN, CcuSettings, Inbound};
use ccu_core::hal::{Credentials, StorageKey, load_credentials, save_credentials};
use ccu_core::protocol::Socket;
use ccu_core::rf::Frame;
use common::rig::{Rig, STATUS, pairs, rig, settings};
use common::{MockAdc, MockStorage, UNIX_BASE, expect};

fn cmd(id: &str) -> String {
    format!(r#"{{"id":"{id}","device_id":"FE","command":"ping","socket":null,"value":null}}"#)
}

#[test]
fn inbound_message_table() {
    let cases: Vec<(&str, String, Result<Inbound, Error>)> = vec![
        ("ccu/02/cmd", cmd("a"), Ok(Inbound::Queued)),
        ("ccu/02/cmd", cmd("a"), Ok(Inbound::Duplicate)),
        ("ccu/02/cmd", cmd("b"), Ok(Inbound::Queued)),
        ("ccu/03/cmd", cmd("c"), Ok(Inbound::Ignored)),
        ("ccu/02/status", r#"{"online":true}"#.into(), Ok(Inbound::Ignored)),
        ("ccu/02/cmd/x", cmd("d"), Ok(Inbound::Ignored)),
        ("ccu/02/cmd", r#"{"id":"e","command":"ping"}"#.into(), Err(Error::Decode)),
        ("ccu/02/cmd", r#"{"id":"f","device_id":"FE","command":"reboot","socket":null,"value":null}"#.into(), Err(Error::Decode)),
        ("ccu/02/devices", r#"{"devices":[{"device_id":"FE","threshold_ma":3000},{"device_id":"fd","threshold_ma":0}]}"#.into(), Ok(Inbound::DevicesUpdated { n_outlets: 2 })),
        ("ccu/02/devices", "not json".into(), Err(Error::Decode)),
    ];
    let mut rig = rig(settings(), vec![], &[], true);
    for (topic, payload, want) in &cases {
        let got = rig.ccu.handle_message(topic, payload.as_bytes());
        assert_eq!(got, *want, "{topic} {payload}");
    }
    assert_eq!(rig.ccu.pending_commands(), 2);
    assert_eq!(rig.ccu.stats().bad_messages, 3);
}

#[test]
fn a_full_command_queue_answers_failed() {
    // No outlets: the queued pings are rejected at poll time, after the queue-full answer.
    let mut rig = rig(settings(), vec![], &[], true);
    for i in 0..COMMAND_QUEUE_LEN {
        assert_eq!(rig.command(&cmd(&i.to_string())), Inbound::Queued);
    }
    assert_eq!(rig.command(&cmd("late")), Inbound::Rejected);
    rig.ccu.poll();
    let published = rig.published();
    assert_eq!(
        published.len(),
        1 + COMMAND_QUEUE_LEN + 1,
        "status and one ack per command"
    );
    assert_eq!(
        published[1],
        (
            "ccu/02/ack".into(),
            r#"{"id":"late","status":"failed","detail":"command queue full"}"#.into()
        )
    );
    assert_eq!(rig.ccu.stats().acks_dropped, 0);
}

#[test]
fn presence_is_published_once_per_connection() {
    let mut rig = rig(settings(), vec![], &[], false);
    rig.run_for(50);
    assert!(rig.published().is_empty());
    rig.set_connected(true);
    rig.run_for(50);
    assert_eq!(rig.published(), pairs(&[STATUS]));
    assert!(rig.ccu.hal().mqtt.published.is_empty());
    rig.set_connected(false);
    rig.run_for(10);
    rig.set_connected(true);
    rig.run_for(10);
    let published = rig.ccu.hal().mqtt.published.clone();
    assert_eq!(published.len(), 1);
    assert!(published[0].retain, "status is retained");
}

#[test]
fn breaker_readings_live_and_buffered() {
    let mut settings = settings();
    settings.breaker_interval_ms = 1_500;
    let mut rig = rig(settings, vec![], &[], true);
    // A square wave of ±100 counts: about 7 A RMS.
    let square = (0..320)
        .map(|k| if (k / 16) % 2 == 0 { 2148 } else { 1948 })
        .collect();
    rig.ccu.hal_mut().adc = MockAdc {
        samples: square,
        ..MockAdc::default()
    };
    rig.run_for(1_500);
    let ma = rig.ccu.last_breaker_ma().unwrap();
    assert!((6_990..=7_010).contains(&ma), "{ma}");
    let live = format!(r#"{{"current_ma":{ma}}}"#);
    assert_eq!(rig.published(), pairs(&[STATUS, ("ccu/02/breaker", &live)]));

    rig.set_connected(false);
    rig.run_for(1_500);
    assert_eq!(rig.ccu.buffered_breaker().len(), 1);
    rig.ccu.hal_mut().adc.fail = true;
    rig.run_for(1_500);
    assert_eq!(rig.ccu.stats().adc_errors, 1);
    rig.set_connected(true);
    rig.run_for(0);
    let second = rig.ccu.last_breaker_ma().unwrap();
    let buffered = format!(r#"{{"current_ma":{second},"ts":{}}}"#, UNIX_BASE + 3_000);
    assert_eq!(
        rig.published(),
        pairs(&[STATUS, ("ccu/02/breaker", &buffered)])
    );
}

#[test]
fn the_buffer_survives_a_reboot() {
    let mut settings = settings();
    settings.poll_interval_ms = 1_000;
    let read = Frame::read_current(0xFE, 0x02);
    let report = |socket, ma| Frame::report(0x02, socket, ma);
    let radio = (0..3)
        .map(|i| {
            expect(read)
                .reply(report(Socket::A, i))
                .reply(report(Socket::B, 0))
        })
        .collect();
    let mut before = rig(settings.clone(), radio, &[0xFE], false);
    before.run_for(3_100);
    assert_eq!(before.ccu.buffered().len(), 3);
    let mut storage = MockStorage::default();
    let mut scratch = [0u8; 2048];
    assert_eq!(before.ccu.persist_buffer(&mut storage, &mut scratch), Ok(3));
    assert_eq!(
        before.ccu.persist_buffer(&mut storage, &mut [0u8; 64]),
        Err(Error::BufferTooSmall),
        "a scratch buffer too small for everything is an error, not a partial save"
    );

    let mut after = rig(settings, vec![], &[0xFE], true);
    assert_eq!(after.ccu.restore_buffer(&mut storage, &mut scratch), Ok(3));
    assert!(
        !storage.records.contains_key(&StorageKey::Buffer),
        "erased once restored"
    );
    assert_eq!(after.ccu.restore_buffer(&mut storage, &mut scratch), Ok(0));
    after.run_for(0);
    let published = after.published();
    let batch: Vec<serde_json::Value> = serde_json::from_str(&published[1].1).unwrap();
    let ts: Vec<u64> = batch.iter().map(|r| r["ts"].as_u64().unwrap()).collect();
    assert_eq!(
        ts,
        [UNIX_BASE + 1_010, UNIX_BASE + 2_010, UNIX_BASE + 3_010]
    );

    storage.records.insert(StorageKey::Buffer, b"[{]".to_vec());
    assert_eq!(
        after.ccu.restore_buffer(&mut storage, &mut scratch),
        Err(Error::Decode)
    );
}

#[test]
fn credentials_round_trip() {
    let mut storage = MockStorage::default();
    assert_eq!(load_credentials(&mut storage), Ok(None));
    let credentials = Credentials {
        ssid: "home \"net\"".try_into().unwrap(),
        password: r"p\ss".try_into().unwrap(),
        broker_url: "mqtt://192.168.1.6:1883".try_into().unwrap(),
        ccu_id: "02".try_into().unwrap(),
        secret: "s3cret".try_into().unwrap(),
    };
    save_credentials(&mut storage, &credentials).unwrap();
    assert_eq!(load_credentials(&mut storage), Ok(Some(credentials)));
    storage
        .records
        .insert(StorageKey::Credentials, b"{\"ssid\":1}".to_vec());
    assert_eq!(load_credentials(&mut storage), Err(Error::Decode));
}

/// Settings that poll outlets every `poll_ms` and measure the breaker every `breaker_ms`.
fn intervals(poll_ms: u32, breaker_ms: u32) -> CcuSettings {
    let mut settings = settings();
    settings.poll_interval_ms = poll_ms;
    settings.breaker_interval_ms = breaker_ms;
    settings
}

/// A rig with outlet FE, whose first read the PIC never answers.
fn rig_reading_fe(settings: CcuSettings) -> Rig {
    rig(
        settings,
        vec![expect(Frame::read_current(0xFE, 0x02))],
        &[0xFE],
        true,
    )
}

/// Advances the clock by `ms`, polls, and checks the tick: (now, next due).
fn assert_tick_after(rig: &mut Rig, ms: u64, want: (u64, u64), why: &str) {
    rig.clock.advance(ms);
    let tick = rig.ccu.poll();
    assert_eq!((tick.now_ms, tick.next_due_ms), want, "{why}");
}

#[test]
fn tick_says_when_to_poll_next() {
    let mut rig = rig_reading_fe(intervals(2_000, 1_500));
    assert_eq!(rig.ccu.poll().next_due_ms, 1_500);
    assert_tick_after(
        &mut rig,
        2_000,
        (2_000, 2_350),
        "the read window ends first",
    );
    rig.ccu.hal().radio.done();
}

#[test]
fn tick_never_points_into_the_past() {
    // A read outlasting the poll interval, and a CCU with no outlets: in both cases a due
    // read cannot start, so it must not be what the next tick waits for (the port would spin).
    let settings = intervals(100, 10_000);
    let mut reading = rig_reading_fe(settings.clone());
    assert_eq!(reading.ccu.poll().next_due_ms, 100);
    assert_tick_after(&mut reading, 100, (100, 450), "the read window ends first");
    assert_tick_after(&mut reading, 150, (250, 450), "the read due at 200 waits");

    let mut empty = rig(settings, vec![], &[], true);
    assert_eq!(empty.ccu.poll().next_due_ms, 10_000);
    assert_tick_after(&mut empty, 500, (500, 10_000), "nothing to read");
}
