//! Streaming frame reader: resynchronisation on noise, stray start bytes and damaged frames.

use ccu_core::protocol::Socket;
use ccu_core::rf::{CommandCode, Frame, FrameError, FrameReader};

type Event = Result<Frame, FrameError>;

fn ack_a() -> Frame {
    Frame::ack(0x02, 0xFE, CommandCode::RelayOn, 0x01)
}

fn report_b() -> Frame {
    Frame::report(0x02, Socket::B, 1234)
}

fn bytes(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Feeds `input` in one go and byte by byte; both must give `want`.
fn check(name: &str, input: &[u8], want: &[Event]) {
    let mut reader = FrameReader::new();
    let got: Vec<Event> = reader.feed(input).collect();
    assert_eq!(got, want, "{name}: whole");
    let mut reader = FrameReader::new();
    let got: Vec<Event> = input.iter().filter_map(|&b| reader.push(b)).collect();
    assert_eq!(got, want, "{name}: byte by byte");
}

#[test]
fn resync_table() {
    let a = ack_a().encode();
    let b = report_b().encode();
    let mut bad_crc = a;
    bad_crc[6] ^= 0x40;
    let unknown = [0xAA, 0xFE, 0x02, 0x0A, 0x00, 0x00, 0xFE ^ 0x02 ^ 0x0A, 0xBB];
    let cases: Vec<(&str, Vec<u8>, Vec<Event>)> = vec![
        ("one frame", a.to_vec(), vec![Ok(ack_a())]),
        (
            "back to back",
            bytes(&[&a, &b]),
            vec![Ok(ack_a()), Ok(report_b())],
        ),
        (
            "PIC debug text and nulls before a frame",
            bytes(&[b"CRC!\r\n", &[0x00, 0xFF], &a]),
            vec![Ok(ack_a())],
        ),
        (
            "truncated frame (stray 0xAA) right before a good one",
            bytes(&[&[0xAA, 0xFE], &b]),
            vec![Err(FrameError::BadEnd(b[5])), Ok(report_b())],
        ),
        (
            "lone 0xAA between two frames",
            bytes(&[&a, &[0xAA], &b]),
            vec![Ok(ack_a()), Err(FrameError::BadEnd(b[6])), Ok(report_b())],
        ),
        (
            "checksum error then a good frame",
            bytes(&[&bad_crc, &b]),
            vec![
                Err(FrameError::Checksum {
                    expected: a[6],
                    found: bad_crc[6],
                }),
                Ok(report_b()),
            ],
        ),
        (
            "unknown command is consumed whole",
            bytes(&[&unknown, &a]),
            vec![Err(FrameError::UnknownCommand(0x0A)), Ok(ack_a())],
        ),
        (
            "doubled start byte: the frame behind it is recovered",
            bytes(&[&[0xAA], &a]),
            vec![Err(FrameError::BadEnd(a[6])), Ok(ack_a())],
        ),
        ("noise only", vec![0x00, 0x55, 0xBB, 0x31], vec![]),
        ("incomplete frame waits", a[..7].to_vec(), vec![]),
    ];
    for (name, input, want) in &cases {
        check(name, input, want);
    }
}

/// Whatever single byte is turned into 0xAA, or inserted as 0xAA, the next good frame survives.
#[test]
fn stray_start_byte_never_loses_the_next_frame() {
    let damaged = ack_a().encode();
    let good = report_b().encode();
    for i in 1..8 {
        let mut replaced = damaged;
        replaced[i] = 0xAA;
        let mut inserted = damaged.to_vec();
        inserted.insert(i, 0xAA);
        for (how, input) in [
            ("replaced", bytes(&[&replaced, &good])),
            ("inserted", bytes(&[&inserted, &good])),
        ] {
            let mut reader = FrameReader::new();
            let frames: Vec<Frame> = reader.feed(&input).filter_map(Result::ok).collect();
            assert_eq!(
                frames.last(),
                Some(&report_b()),
                "{how} at byte {i}: {frames:?}"
            );
            assert_eq!(reader.buffered(), 0, "{how} at {i}: nothing left over");
        }
    }
}

/// Splitting the stream anywhere gives the same frames as feeding it whole.
#[test]
fn chunk_boundaries_do_not_matter() {
    let input = bytes(&[
        b"xx",
        &[0xAA, 0x01],
        &ack_a().encode(),
        &[0xAA],
        &report_b().encode(),
    ]);
    let mut whole = FrameReader::new();
    let want: Vec<Event> = whole.feed(&input).collect();
    assert_eq!(want.iter().filter(|e| e.is_ok()).count(), 2);
    for split in 0..=input.len() {
        let mut reader = FrameReader::new();
        let mut got: Vec<Event> = reader.feed(&input[..split]).collect();
        got.extend(reader.feed(&input[split..]));
        assert_eq!(got, want, "split at {split}");
    }
}

#[test]
fn stats_count_frames_errors_and_discarded_bytes() {
    let mut reader = FrameReader::new();
    let mut bad = ack_a().encode();
    bad[6] ^= 1;
    let input = bytes(&[b"ab", &bad, &report_b().encode()]);
    assert_eq!(reader.feed(&input).count(), 2);
    let stats = reader.stats();
    assert_eq!((stats.frames, stats.errors, stats.discarded), (1, 1, 2 + 8));
    reader.feed(&[0xAA, 0x02]).for_each(drop);
    assert_eq!(reader.buffered(), 2);
    reader.reset();
    assert_eq!(reader.buffered(), 0);
}
