//! RF frame codec: every command code round-trips; framing and checksum errors are values.

use ccu_core::protocol::Socket;
use ccu_core::rf::{CommandCode, FRAME_LEN, Frame, FrameError, socket_code, socket_from_code};

/// Encodes `frame`, compares with `bytes`, and decodes the bytes back.
fn check(frame: Frame, bytes: [u8; FRAME_LEN]) {
    assert_eq!(frame.encode(), bytes, "encode {frame:?}");
    assert_eq!(Frame::decode(&bytes), Ok(frame), "decode {bytes:02X?}");
}

#[test]
fn every_command_round_trips() {
    let cases: &[(Frame, [u8; FRAME_LEN])] = &[
        (
            Frame::ping(0xFE, 0x02),
            [0xAA, 0xFE, 0x02, 0x01, 0x00, 0x00, 0xFD, 0xBB],
        ),
        (
            Frame::relay(0xFE, 0x02, true, Socket::A),
            [0xAA, 0xFE, 0x02, 0x02, 0x00, 0x01, 0xFF, 0xBB],
        ),
        (
            Frame::relay(0xFE, 0x02, false, Socket::B),
            [0xAA, 0xFE, 0x02, 0x03, 0x00, 0x02, 0xFD, 0xBB],
        ),
        (
            Frame::read_current(0xFD, 0x02),
            [0xAA, 0xFD, 0x02, 0x04, 0x00, 0x00, 0xFB, 0xBB],
        ),
        // The documented example: socket A, 49 mA, to master 0x01.
        (
            Frame::report(0x01, Socket::A, 49),
            [0xAA, 0x01, 0x01, 0x05, 0x00, 0x31, 0x34, 0xBB],
        ),
        (
            Frame::report(0x02, Socket::B, 0xFFFF),
            [0xAA, 0x02, 0x02, 0x05, 0xFF, 0xFF, 0x05, 0xBB],
        ),
        (
            Frame::ack(0x02, 0xFE, CommandCode::RelayOn, 0x01),
            [0xAA, 0x02, 0xFE, 0x06, 0x01, 0x02, 0xF9, 0xBB],
        ),
        (
            Frame::set_threshold(0xFE, 0x02, 3000),
            [0xAA, 0xFE, 0x02, 0x07, 0x0B, 0xB8, 0x48, 0xBB],
        ),
        (
            Frame::set_device_id(0x01, 0x02, 0xFE),
            [0xAA, 0x01, 0x02, 0x08, 0x00, 0xFE, 0xF5, 0xBB],
        ),
        (
            Frame::set_master_id(0xFE, 0x01, 0x02),
            [0xAA, 0xFE, 0x01, 0x09, 0x00, 0x02, 0xF4, 0xBB],
        ),
    ];
    for &(frame, bytes) in cases {
        check(frame, bytes);
    }
    let covered: Vec<_> = cases.iter().map(|(f, _)| f.cmd).collect();
    for code in CommandCode::ALL {
        assert!(covered.contains(&code), "{} not covered", code.name());
    }
}

#[test]
fn every_code_and_data_value_round_trips() {
    for code in CommandCode::ALL {
        assert_eq!(CommandCode::from_code(code.code()), Some(code));
        assert_eq!(CommandCode::try_from(code.code()), Ok(code));
        for data in [0x0000, 0x0001, 0x00AA, 0xAA00, 0xBBBB, 0x1234, 0xFFFF] {
            let frame = Frame::new(0xAA, 0xBB, code, data);
            assert_eq!(Frame::decode(&frame.encode()), Ok(frame));
            assert_eq!(frame.data_h(), (data >> 8) as u8);
            assert_eq!(frame.data_l(), data as u8);
        }
    }
    for byte in [0x00, 0x0A, 0x10, 0xAA, 0xFF] {
        assert_eq!(CommandCode::from_code(byte), None, "{byte:#04x}");
        assert_eq!(CommandCode::try_from(byte), Err(byte));
    }
}

#[test]
fn decode_errors_are_values() {
    let good = Frame::ping(0xFE, 0x02).encode();
    let with = |i: usize, b: u8| {
        let mut bytes = good;
        bytes[i] = b;
        bytes
    };
    let cases: &[([u8; FRAME_LEN], FrameError)] = &[
        (with(0, 0x00), FrameError::BadStart(0x00)),
        (with(7, 0xBC), FrameError::BadEnd(0xBC)),
        (
            with(6, 0x00),
            FrameError::Checksum {
                expected: 0xFD,
                found: 0x00,
            },
        ),
        (
            with(1, 0xFF),
            FrameError::Checksum {
                expected: 0xFC,
                found: 0xFD,
            },
        ),
        (
            with(4, 0x01),
            FrameError::Checksum {
                expected: 0xFC,
                found: 0xFD,
            },
        ),
        // Well-formed but unknown: CMD 0x0A with a matching CRC.
        (
            [0xAA, 0xFE, 0x02, 0x0A, 0x00, 0x00, 0xFE ^ 0x02 ^ 0x0A, 0xBB],
            FrameError::UnknownCommand(0x0A),
        ),
    ];
    for (bytes, want) in cases {
        assert_eq!(Frame::decode(bytes), Err(*want), "{bytes:02X?}");
    }
}

#[test]
fn expected_acks_follow_the_pic_docs() {
    let cases: &[(Frame, Frame)] = &[
        (
            Frame::relay(0xFE, 0x02, true, Socket::A),
            Frame::with_bytes(0x02, 0xFE, CommandCode::Ack, 0x01, 0x02),
        ),
        (
            Frame::relay(0xFE, 0x02, false, Socket::B),
            Frame::with_bytes(0x02, 0xFE, CommandCode::Ack, 0x02, 0x03),
        ),
        (
            Frame::set_threshold(0xFE, 0x02, 2500),
            Frame::with_bytes(0x02, 0xFE, CommandCode::Ack, 0x00, 0x07),
        ),
        (
            Frame::ping(0xFE, 0x02),
            Frame::with_bytes(0x02, 0xFE, CommandCode::Ack, 0x00, 0x01),
        ),
        // SET_DEVICE_ID is acknowledged by the new id.
        (
            Frame::set_device_id(0x01, 0x02, 0xFD),
            Frame::with_bytes(0x02, 0xFD, CommandCode::Ack, 0x00, 0x08),
        ),
        (
            Frame::set_master_id(0xFE, 0x01, 0x02),
            Frame::with_bytes(0x01, 0xFE, CommandCode::Ack, 0x00, 0x09),
        ),
    ];
    for (command, ack) in cases {
        assert_eq!(command.expected_ack(), *ack, "{command:?}");
    }
}

#[test]
fn socket_codes() {
    for socket in [Socket::A, Socket::B] {
        assert_eq!(socket_from_code(socket_code(socket)), Some(socket));
    }
    assert_eq!(socket_code(Socket::A), 0x01);
    assert_eq!(socket_code(Socket::B), 0x02);
    for byte in [0x00, 0x03, 0xFF] {
        assert_eq!(socket_from_code(byte), None);
    }
}
