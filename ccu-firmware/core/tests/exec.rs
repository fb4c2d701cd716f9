//! Command execution: planning, ACK matching, time-outs and bounded retries.

mod common;

use ccu_core::exec::{
    Exchange, ExecSettings, Outcome, Rejection, Step, outcome_ack, plan, rejection_ack,
};
use ccu_core::hal::{Clock, Radio};
use ccu_core::outlet::OutletTable;
use ccu_core::protocol::{Command, CommandKind, DeviceId, Socket, encode};
use ccu_core::rf::{CommandCode, Frame, FrameReader};
use common::{MockClock, MockRadio, dropped_then, expect};

const MASTER: u8 = 0x02;
const FE: DeviceId = DeviceId(0xFE);

#[derive(Debug, Clone, Copy)]
enum In {
    Poll(u64),
    Rx(Frame),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    Sent(u64),
    Filed(Socket, u16),
    Done(u64, Outcome),
}

/// Runs `script` against `exchange` and compares what happened with `want`.
fn check(name: &str, mut exchange: Exchange, script: &[In], want: &[Ev]) {
    let sent = exchange.frame();
    let mut got = Vec::new();
    for input in script {
        match *input {
            In::Poll(t) => match exchange.poll(t) {
                Step::Send(frame) => {
                    assert_eq!(frame, sent, "{name}: resends the same frame");
                    got.push(Ev::Sent(t));
                }
                Step::Wait => {}
                Step::Done(outcome) => got.push(Ev::Done(t, outcome)),
            },
            In::Rx(frame) => {
                if let Some(report) = exchange.on_frame(&frame) {
                    assert_eq!(report.device, exchange.device(), "{name}");
                    got.push(Ev::Filed(report.socket, report.current_ma));
                }
            }
        }
    }
    assert_eq!(got, want, "{name}");
}

fn relay_a_on() -> Frame {
    Frame::relay(0xFE, MASTER, true, Socket::A)
}

fn ack_a_on() -> Frame {
    Frame::ack(MASTER, 0xFE, CommandCode::RelayOn, 0x01)
}

#[test]
fn ack_timeouts_and_retries() {
    use Ev::{Done, Sent};
    use In::{Poll, Rx};
    let relay = |retries| Exchange::ack(relay_a_on(), 300, retries);
    let timed_out = |attempts| Outcome::TimedOut { attempts };
    let cases: Vec<(&str, Exchange, Vec<In>, Vec<Ev>)> = vec![
        (
            "answered at once",
            relay(2),
            vec![Poll(0), Rx(ack_a_on()), Poll(12)],
            vec![Sent(0), Done(12, Outcome::Acked)],
        ),
        (
            "first frame lost",
            relay(2),
            vec![Poll(0), Poll(299), Poll(300), Rx(ack_a_on()), Poll(320)],
            vec![Sent(0), Sent(300), Done(320, Outcome::Acked)],
        ),
        (
            "two lost, third answered",
            relay(2),
            vec![Poll(0), Poll(300), Poll(600), Rx(ack_a_on()), Poll(601)],
            vec![Sent(0), Sent(300), Sent(600), Done(601, Outcome::Acked)],
        ),
        (
            "never answers",
            relay(2),
            vec![
                Poll(0),
                Poll(300),
                Poll(600),
                Poll(899),
                Poll(900),
                Poll(5000),
            ],
            vec![
                Sent(0),
                Sent(300),
                Sent(600),
                Done(900, timed_out(3)),
                Done(5000, timed_out(3)),
            ],
        ),
        (
            "no retries",
            relay(0),
            vec![Poll(0), Poll(300)],
            vec![Sent(0), Done(300, timed_out(1))],
        ),
        (
            "wrong ACKs are not ours",
            relay(0),
            vec![
                Poll(0),
                Rx(Frame::ack(MASTER, 0xFE, CommandCode::RelayOn, 0x02)), // socket B
                Rx(Frame::ack(MASTER, 0xFD, CommandCode::RelayOn, 0x01)), // other outlet
                Rx(Frame::ack(0x01, 0xFE, CommandCode::RelayOn, 0x01)),   // other master
                Rx(Frame::ack(MASTER, 0xFE, CommandCode::RelayOff, 0x01)), // other command
                Poll(300),
            ],
            vec![Sent(0), Done(300, timed_out(1))],
        ),
        (
            "an ACK before the first send is ignored",
            relay(0),
            vec![Rx(ack_a_on()), Poll(0), Poll(300)],
            vec![Sent(0), Done(300, timed_out(1))],
        ),
        (
            "threshold ACK",
            Exchange::ack(Frame::set_threshold(0xFE, MASTER, 2500), 300, 1),
            vec![
                Poll(0),
                Rx(Frame::ack(MASTER, 0xFE, CommandCode::SetThreshold, 0)),
                Poll(1),
            ],
            vec![Sent(0), Done(1, Outcome::Acked)],
        ),
    ];
    for (name, exchange, script, want) in cases {
        check(name, exchange, &script, &want);
    }
}

#[test]
fn read_windows() {
    use Ev::{Done, Filed, Sent};
    use In::{Poll, Rx};
    let read = |retries| Exchange::read(FE, MASTER, 350, retries);
    let report = |s, v| Rx(Frame::report(MASTER, s, v));
    let cases: Vec<(&str, Exchange, Vec<In>, Vec<Ev>)> = vec![
        (
            "both sockets end the read early",
            read(0),
            vec![
                Poll(0),
                report(Socket::A, 49),
                report(Socket::B, 0xFFFF),
                Poll(20),
            ],
            vec![
                Sent(0),
                Filed(Socket::A, 49),
                Filed(Socket::B, 0xFFFF),
                Done(20, Outcome::Reported { n_reports: 2 }),
            ],
        ),
        (
            "one socket is enough at the end of the window",
            read(2),
            vec![Poll(0), report(Socket::B, 98), Poll(349), Poll(350)],
            vec![
                Sent(0),
                Filed(Socket::B, 98),
                Done(350, Outcome::Reported { n_reports: 1 }),
            ],
        ),
        (
            "silence is retried, then times out",
            read(1),
            vec![Poll(0), Poll(350), Poll(700)],
            vec![
                Sent(0),
                Sent(350),
                Done(700, Outcome::TimedOut { attempts: 2 }),
            ],
        ),
        (
            "foreign reports are not filed",
            read(0),
            vec![Poll(0), Rx(Frame::report(0x01, Socket::A, 5)), Poll(350)],
            vec![Sent(0), Done(350, Outcome::TimedOut { attempts: 1 })],
        ),
        (
            "reports after the end are ignored",
            read(0),
            vec![Poll(0), Poll(350), report(Socket::A, 1)],
            vec![Sent(0), Done(350, Outcome::TimedOut { attempts: 1 })],
        ),
    ];
    for (name, exchange, script, want) in cases {
        check(name, exchange, &script, &want);
    }
}

/// Drives an exchange against a scripted radio, one millisecond at a time.
fn drive(mut exchange: Exchange, radio: &mut MockRadio, clock: &MockClock) -> (Outcome, u64) {
    let mut reader = FrameReader::new();
    loop {
        let mut buf = [0u8; 16];
        let n = radio.read(&mut buf).unwrap();
        for frame in reader.feed(&buf[..n]).flatten() {
            exchange.on_frame(&frame);
        }
        match exchange.poll(clock.now_ms()) {
            Step::Send(frame) => radio.write(&frame.encode()).unwrap(),
            Step::Wait => clock.advance(1),
            Step::Done(outcome) => return (outcome, clock.now_ms()),
        }
    }
}

#[test]
fn mock_radio_dropping_the_first_frames() {
    // (frames the PIC drops, outcome, finished at ms) with 2 retries and a 300 ms time-out.
    let cases = [
        (0, Outcome::Acked, 0),
        (1, Outcome::Acked, 300),
        (2, Outcome::Acked, 600),
        (3, Outcome::TimedOut { attempts: 3 }, 900),
    ];
    for (n_dropped, want, at) in cases {
        let script = if n_dropped < 3 {
            dropped_then(n_dropped, relay_a_on(), ack_a_on())
        } else {
            (0..3).map(|_| expect(relay_a_on())).collect()
        };
        let mut radio = MockRadio::new(script);
        let clock = MockClock::new();
        let got = drive(Exchange::ack(relay_a_on(), 300, 2), &mut radio, &clock);
        assert_eq!(got, (want, at), "{n_dropped} dropped");
        radio.done();
    }
}

fn command(kind: CommandKind, device: u8, socket: Option<Socket>, value: Option<u16>) -> Command {
    Command {
        id: "c-1".try_into().unwrap(),
        device_id: DeviceId(device),
        command: kind,
        socket,
        value,
    }
}

#[test]
fn plan_table() {
    use CommandKind::*;
    let cases: &[(Command, Result<Frame, Rejection>)] = &[
        (
            command(RelayOn, 0xFE, Some(Socket::A), None),
            Ok(relay_a_on()),
        ),
        (
            command(RelayOff, 0xFE, Some(Socket::B), None),
            Ok(Frame::relay(0xFE, MASTER, false, Socket::B)),
        ),
        (
            command(RelayOn, 0xFE, None, None),
            Err(Rejection::MissingSocket),
        ),
        (
            command(SetThreshold, 0xFE, None, Some(2500)),
            Ok(Frame::set_threshold(0xFE, MASTER, 2500)),
        ),
        (
            command(SetThreshold, 0xFE, None, None),
            Err(Rejection::MissingValue),
        ),
        (
            command(SetThreshold, 0xFE, None, Some(0)),
            Err(Rejection::ZeroThreshold),
        ),
        (
            command(Ping, 0xFE, None, None),
            Ok(Frame::ping(0xFE, MASTER)),
        ),
        (
            command(ReadSensors, 0xFE, None, None),
            Ok(Frame::read_current(0xFE, MASTER)),
        ),
        (
            command(Ping, 0xFD, None, None),
            Err(Rejection::UnknownOutlet),
        ),
    ];
    for (cmd, want) in cases {
        let mut table = OutletTable::new();
        table.insert(FE).unwrap();
        let got = plan(cmd, MASTER, &mut table, &ExecSettings::DEFAULT).map(|e| e.frame());
        assert_eq!(got, *want, "{cmd:?}");
        let staged = table.get(FE).unwrap().pending_threshold_ma();
        let want_staged = (cmd.command == SetThreshold && want.is_ok()).then_some(2500);
        assert_eq!(staged, want_staged, "{cmd:?}");
    }
}

#[test]
fn acks_on_the_wire() {
    let id = "c-1".try_into().unwrap();
    let cases = [
        (
            outcome_ack(&id, FE, Outcome::Acked),
            r#"{"id":"c-1","status":"ok"}"#,
        ),
        (
            outcome_ack(&id, FE, Outcome::Reported { n_reports: 1 }),
            r#"{"id":"c-1","status":"ok"}"#,
        ),
        (
            outcome_ack(&id, FE, Outcome::TimedOut { attempts: 3 }),
            r#"{"id":"c-1","status":"timeout","detail":"no answer from FE after 3 attempts"}"#,
        ),
        (
            rejection_ack(&id, Rejection::UnknownOutlet),
            r#"{"id":"c-1","status":"failed","detail":"unknown outlet"}"#,
        ),
    ];
    for (ack, want) in cases {
        let mut buf = [0u8; 256];
        let n = encode(&ack, &mut buf).unwrap();
        assert_eq!(std::str::from_utf8(&buf[..n]).unwrap(), want);
    }
}
