//! Fuzz target: rumqttd's MQTT 5 decoder on arbitrary bytes, as a listener reads them.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rumqttd::protocol::{v4::V4, v5::V5, Protocol};

fuzz_target!(|data: &[u8]| {
    let mut codec = V5;
    let mut stream = BytesMut::from(data);
    // Read packets until the stream is exhausted or invalid, like `Network::readv` does;
    // every decoded packet is encoded again (the router echoes parts of it back).
    for _ in 0..64 {
        match codec.read_mut(&mut stream, 4096) {
            Ok(packet) => {
                // The broker forwards what one listener decoded to clients of both.
                let mut out = BytesMut::new();
                let _ = codec.write(packet.clone(), &mut out);
                let _ = V4.write(packet, &mut out);
            }
            Err(_) => break,
        }
    }
});
