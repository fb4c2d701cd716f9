//! The PIC model: relays, ACK and report formats, frame filtering, overload trip and retry.

use ccu_core::protocol::Socket;
use ccu_core::rf::{CommandCode, Frame, OVERLOAD_RAW};
use ccu_sim::pic::{CHECK_PERIOD_MS, LoadProfile, RETRY_AFTER_MS, SimPic};

const ID: u8 = 0xFE;
const MASTER: u8 = 0x02;

fn pic() -> SimPic {
    SimPic::new(ID, MASTER)
}

fn read(pic: &mut SimPic, now_ms: u64) -> (u16, u16) {
    let replies = pic.handle(&Frame::read_current(ID, MASTER), now_ms);
    assert_eq!(replies.len(), 2, "two REPORT_DATA frames");
    (replies[0].data, replies[1].data)
}

#[test]
fn boots_with_relays_off_and_acks_relay_commands() {
    let mut p = pic();
    assert!(!p.relay(Socket::A) && !p.relay(Socket::B));
    let cases = [
        (
            Frame::relay(ID, MASTER, true, Socket::A),
            0x01,
            (true, false),
        ),
        (
            Frame::relay(ID, MASTER, true, Socket::B),
            0x02,
            (true, true),
        ),
        (
            Frame::relay(ID, MASTER, false, Socket::A),
            0x01,
            (false, true),
        ),
    ];
    for (frame, socket_code, relays) in cases {
        let replies = p.handle(&frame, 10);
        // ACK: TARGET = master, SENDER = own id, DATA_H = socket, DATA_L = the command.
        let want = Frame::with_bytes(MASTER, ID, CommandCode::Ack, socket_code, frame.cmd.code());
        assert_eq!(replies, vec![want]);
        assert_eq!(replies[0], frame.expected_ack(), "what the core waits for");
        assert_eq!((p.relay(Socket::A), p.relay(Socket::B)), relays);
    }
}

#[test]
fn read_current_answers_two_reports_with_the_socket_in_sender() {
    let mut p = pic();
    p.set_load(Socket::A, LoadProfile::constant(1250));
    p.set_load(Socket::B, LoadProfile::constant(700));
    p.set_relay(Socket::A, true, 0);
    let replies = p.handle(&Frame::read_current(ID, MASTER), 50);
    assert_eq!(
        replies,
        vec![
            Frame::report(MASTER, Socket::A, 1250),
            Frame::report(MASTER, Socket::B, 0),
        ],
        "socket B is off, so nothing flows"
    );
    assert_eq!(replies[0].encode()[..3], [0xAA, MASTER, 0x01]);
}

#[test]
fn frames_not_for_it_or_not_from_its_master_are_dropped_silently() {
    let mut p = pic();
    let dropped = [
        Frame::relay(0xFD, MASTER, true, Socket::A),
        Frame::relay(ID, 0x01, true, Socket::A),
        Frame::ping(ID, 0x03),
        Frame::read_current(0x02, ID),
    ];
    for frame in dropped {
        assert!(p.handle(&frame, 10).is_empty(), "{frame:?}");
    }
    assert!(!p.relay(Socket::A));
    assert_eq!((p.stats().ignored, p.stats().accepted), (4, 0));

    let mut bytes = Frame::ping(ID, MASTER).encode();
    bytes[6] ^= 0xFF; // bad CRC
    assert!(p.hear(&bytes, 20).is_empty());
    assert_eq!(p.stats().bad_frames, 1);
    let good = p.hear(&Frame::ping(ID, MASTER).encode(), 30);
    assert_eq!(good, vec![Frame::ack(MASTER, ID, CommandCode::Ping, 0)]);
}

#[test]
fn overload_trips_at_the_next_check_and_retries_after_five_seconds() {
    let mut p = pic();
    p.set_relay(Socket::A, true, 0);
    p.set_load(Socket::B, LoadProfile::constant(500));
    p.set_relay(Socket::B, true, 0);
    let load = p.force_overload(Socket::A);
    assert_eq!(load, 4_000);
    assert_eq!(read(&mut p, 150), (4_000, 500), "before the first check");

    let trip_at = CHECK_PERIOD_MS;
    p.advance(trip_at);
    assert!(p.is_tripped(Socket::A) && !p.relay(Socket::A));
    assert!(!p.is_tripped(Socket::B) && p.relay(Socket::B), "per socket");
    assert_eq!(read(&mut p, trip_at + 10), (OVERLOAD_RAW, 500));

    // RELAY_ON during the trip is ACKed, but the relay stays open.
    let on = Frame::relay(ID, MASTER, true, Socket::A);
    assert_eq!(p.handle(&on, 1_000), vec![on.expected_ack()]);
    assert!(!p.relay(Socket::A));

    // Retry: closed again after 5 s, still overloaded, tripped at the following check.
    p.advance(trip_at + RETRY_AFTER_MS - 1);
    assert!(p.is_tripped(Socket::A));
    p.advance(trip_at + RETRY_AFTER_MS);
    assert!(p.relay(Socket::A) && !p.is_tripped(Socket::A));
    assert_eq!(read(&mut p, trip_at + RETRY_AFTER_MS + 10).0, 4_000);
    p.advance(trip_at + RETRY_AFTER_MS + CHECK_PERIOD_MS);
    assert!(p.is_tripped(Socket::A));
    assert_eq!(p.socket(Socket::A).trips(), 2);

    // The appliance is unplugged: the next retry sticks.
    p.set_load(Socket::A, LoadProfile::constant(900));
    p.advance(trip_at + 2 * RETRY_AFTER_MS + 2 * CHECK_PERIOD_MS);
    assert!(p.relay(Socket::A) && !p.is_tripped(Socket::A));
    assert_eq!(read(&mut p, 20_000), (900, 500));
}

#[test]
fn relay_off_cancels_the_retry_and_an_open_relay_never_trips() {
    let mut p = pic();
    p.force_overload(Socket::A);
    p.advance(10_000);
    assert_eq!(
        p.socket(Socket::A).trips(),
        0,
        "no current through an open relay"
    );
    p.set_relay(Socket::A, true, 10_000);
    p.advance(10_200);
    assert!(p.is_tripped(Socket::A));
    let off = Frame::relay(ID, MASTER, false, Socket::A);
    assert_eq!(p.handle(&off, 10_300), vec![off.expected_ack()]);
    p.advance(30_000);
    assert!(!p.relay(Socket::A) && !p.is_tripped(Socket::A));
}

#[test]
fn threshold_and_ids() {
    let mut p = pic();
    let th = Frame::set_threshold(ID, MASTER, 1_000);
    assert_eq!(p.handle(&th, 0), vec![th.expected_ack()]);
    assert_eq!(p.socket(Socket::B).threshold_ma(), 1_000);
    p.set_load(
        Socket::B,
        LoadProfile::from_fn(|t| if t < 1_000 { 900 } else { 1_100 }),
    );
    p.set_relay(Socket::B, true, 0);
    p.advance(800);
    assert!(!p.is_tripped(Socket::B));
    p.advance(1_000);
    assert!(p.is_tripped(Socket::B), "strictly above the threshold");

    // SET_DEVICE_ID needs config mode; the ACK then comes from the new id.
    let change = Frame::set_device_id(ID, MASTER, 0xFD);
    assert!(p.handle(&change, 2_000).is_empty());
    p.enter_config_mode();
    assert_eq!(p.handle(&change, 2_100), vec![change.expected_ack()]);
    assert_eq!(p.id().0, 0xFD);
    assert!(!p.in_config_mode());
}
