//! The body of the `v4_decode` and `v5_decode` targets: one listener's decoder on arbitrary
//! bytes, every packet it decodes encoded again for clients of both protocol versions.

use bytes::BytesMut;
use rumqttd::protocol::Protocol;

/// Reads packets from `data` with `codec` until the stream is exhausted or invalid, like
/// `Network::readv` does; every decoded packet is encoded again (the router echoes parts of
/// it back) with `codec` and with `other`, since the broker forwards what one listener
/// decoded to clients of both.
pub fn decode_and_reencode(mut codec: impl Protocol, other: impl Protocol, data: &[u8]) {
    let mut stream = BytesMut::from(data);
    for _ in 0..64 {
        match codec.read_mut(&mut stream, 4096) {
            Ok(packet) => {
                let mut out = BytesMut::new();
                let _ = codec.write(packet.clone(), &mut out);
                let _ = other.write(packet, &mut out);
            }
            Err(_) => break,
        }
    }
}
