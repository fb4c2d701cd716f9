//! The simulated air: 8.3 ms per frame, serialised answers, seeded and reproducible loss.

use ccu_core::protocol::{DeviceId, Socket};
use ccu_core::rf::{Frame, FrameReader};
use ccu_sim::pic::{LoadProfile, SimPic};
use ccu_sim::rf::{FRAME_AIR_US, FrameLoss, RfMedium, RfSettings};

const MASTER: u8 = 0x02;

fn medium(loss_rate: f64, seed: u64, ids: &[u8]) -> RfMedium {
    let settings = RfSettings {
        loss_rate,
        seed,
        pic_turnaround_us: 2_000,
    };
    let mut m = RfMedium::new(&settings).unwrap();
    for &id in ids {
        m.add_pic(SimPic::new(id, MASTER)).unwrap();
    }
    m
}

fn frames(bytes: &[u8]) -> Vec<Frame> {
    FrameReader::new().feed(bytes).map(Result::unwrap).collect()
}

#[test]
fn a_frame_takes_8_3_ms_and_answers_follow_each_other() {
    assert_eq!(FRAME_AIR_US, 8_333);
    let mut m = medium(0.0, 0, &[0xFE, 0xFD]);
    let pic = m.pic_at(DeviceId(0xFE), 0).unwrap();
    pic.set_load(Socket::A, LoadProfile::constant(800));
    pic.set_relay(Socket::A, true, 0);
    m.transmit(0, &Frame::read_current(0xFE, MASTER).encode());
    assert_eq!(m.next_event_us(), Some(8_333), "on the air until then");

    let mut buf = [0u8; 64];
    // The PIC hears it at 8.333 ms, answers after 2 ms; each report takes 8.333 ms.
    let first = 8_333 + 2_000 + 8_333;
    assert_eq!(m.receive(first - 1, &mut buf), 0);
    assert_eq!(m.next_event_us(), Some(first));
    let n = m.receive(first, &mut buf);
    assert_eq!(
        frames(&buf[..n]),
        vec![Frame::report(MASTER, Socket::A, 800)]
    );
    let n = m.receive(first + 8_333, &mut buf);
    assert_eq!(frames(&buf[..n]), vec![Frame::report(MASTER, Socket::B, 0)]);
    assert_eq!(m.next_event_us(), None);
    assert_eq!(m.stats().pic_frames, 2);
    assert_eq!(
        m.pics()[1].stats().ignored,
        1,
        "the other PIC heard it and dropped it"
    );
}

#[test]
fn the_air_carries_one_transmission_at_a_time() {
    let mut m = medium(0.0, 0, &[0xFE]);
    m.transmit(0, &Frame::ping(0xFE, MASTER).encode());
    m.transmit(1_000, &Frame::ping(0xFE, MASTER).encode());
    // Second ping from 8.333 to 16.666 ms; the first ACK waits for the air until then.
    let mut buf = [0u8; 64];
    assert_eq!(m.receive(8_333 + 2_000 + 8_333, &mut buf), 0);
    assert_eq!(m.receive(16_666 + 8_333, &mut buf), 8);
    assert_eq!(m.receive(16_666 + 8_333 * 2, &mut buf), 8);
}

/// Which of `n` pings (one at a time, with time to answer) got an ACK back.
fn answered(loss_rate: f64, seed: u64, n: usize) -> Vec<bool> {
    let mut m = medium(loss_rate, seed, &[0xFE]);
    let mut buf = [0u8; 64];
    (0..n as u64)
        .map(|i| {
            let t = i * 100_000;
            m.transmit(t, &Frame::ping(0xFE, MASTER).encode());
            m.receive(t + 50_000, &mut buf) == 8
        })
        .collect()
}

#[test]
fn loss_is_reproducible_from_the_seed() {
    let a = answered(0.3, 42, 400);
    assert_eq!(a, answered(0.3, 42, 400), "same seed, same losses");
    assert_ne!(a, answered(0.3, 43, 400), "another seed, other losses");
    // A round trip survives with probability 0.7² = 0.49.
    let ok = a.iter().filter(|&&x| x).count();
    assert!((150..=250).contains(&ok), "{ok} of 400 answered");
    assert!(answered(0.0, 1, 50).iter().all(|&x| x));
    assert!(answered(1.0, 1, 50).iter().all(|&x| !x));
}

#[test]
fn loss_draws_once_per_transmission() {
    let mut loss = FrameLoss::new(0.5, 7).unwrap();
    let pattern: Vec<bool> = (0..64).map(|_| loss.lose()).collect();
    let mut again = FrameLoss::new(0.5, 7).unwrap();
    assert_eq!(pattern, (0..64).map(|_| again.lose()).collect::<Vec<_>>());
    assert_eq!(loss.drawn(), 64);
    assert_eq!(loss.lost(), pattern.iter().filter(|&&x| x).count() as u64);
    assert!(FrameLoss::new(1.5, 0).is_err());
    assert!(FrameLoss::new(-0.1, 0).is_err());
}

#[test]
fn duplicate_and_unknown_outlets_are_errors() {
    let mut m = medium(0.0, 0, &[0xFE]);
    assert!(m.add_pic(SimPic::new(0xFE, MASTER)).is_err());
    assert!(m.pic_at(DeviceId(0x10), 0).is_err());
}
