//! Fuzz target: the CCU's RF frame codec (`ccu-core` `rf`): arbitrary bytes through the
//! resynchronising reader, fed whole and in chunks; every window and frame round-trips.
#![no_main]

use ccu_core::rf::{checksum, Frame, FrameError, FrameReader, FRAME_LEN, SOF};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, stream)) = data.split_first() else {
        return;
    };
    // Fed byte by byte.
    let mut one = FrameReader::new();
    let results: Vec<_> = stream.iter().filter_map(|&b| one.push(b)).collect();
    for r in &results {
        match r {
            Ok(f) => {
                // A decoded frame encodes to bytes that decode to it again.
                let bytes = f.encode();
                assert_eq!(Frame::decode(&bytes), Ok(*f));
                assert_eq!(bytes[0], SOF);
                // The ACK a CCU waits for is itself a valid frame.
                let ack = f.expected_ack();
                assert_eq!(Frame::decode(&ack.encode()), Ok(ack));
            }
            Err(FrameError::Checksum { expected, found }) => assert_ne!(expected, found),
            Err(_) => {}
        }
    }
    // Every byte is accounted for: in a frame, discarded, or buffered.
    let st = one.stats();
    assert_eq!(
        st.frames as usize,
        results.iter().filter(|r| r.is_ok()).count()
    );
    assert_eq!(
        st.errors as usize,
        results.iter().filter(|r| r.is_err()).count()
    );
    assert_eq!(
        st.frames as usize * FRAME_LEN + st.discarded as usize + one.buffered(),
        stream.len(),
        "{st:?} buffered {}",
        one.buffered()
    );
    assert!(one.buffered() < FRAME_LEN);

    // Fed in chunks: the same results (chunking is how the UART delivers bytes).
    let size = usize::from(chunk % 16) + 1;
    let mut chunked = FrameReader::new();
    let mut again = Vec::new();
    for part in stream.chunks(size) {
        again.extend(chunked.feed(part));
    }
    assert_eq!(again, results);
    assert_eq!(chunked.stats(), st);

    // Any 8 bytes: decode and encode agree.
    for w in stream.windows(FRAME_LEN).take(64) {
        let w: [u8; FRAME_LEN] = w.try_into().expect("8 bytes");
        match Frame::decode(&w) {
            Ok(f) => assert_eq!(f.encode(), w),
            Err(FrameError::BadStart(b)) => assert_eq!((b, b != SOF), (w[0], true)),
            Err(FrameError::BadEnd(b)) => assert_eq!(b, w[7]),
            Err(FrameError::Checksum { expected, found }) => {
                assert_eq!(expected, checksum(w[1], w[2], w[3], w[4], w[5]));
                assert_eq!(found, w[6]);
            }
            Err(FrameError::UnknownCommand(c)) => assert_eq!(c, w[3]),
        }
    }

    // A valid frame after noise that holds no start byte is always found.
    if let Some(f) = results.iter().find_map(|r| r.ok()) {
        let mut r = FrameReader::new();
        let noise = stream.iter().copied().filter(|&b| b != SOF).take(32);
        let got: Vec<_> = noise.chain(f.encode()).filter_map(|b| r.push(b)).collect();
        assert_eq!(got, vec![Ok(f)]);
    }
});
