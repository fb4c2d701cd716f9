//! One record on disk: `len u32 | crc32c u32 | seq u64 | at i64 | topic_len u16 | topic | payload`
//! (little endian); the checksum covers everything after it, so a torn or damaged frame is
//! never taken for a record.

use super::SpoolError;

/// Bytes before the checksummed body.
const HEADER: usize = 8;
/// Fixed part of the body: seq, at, topic length.
const FIXED: usize = 8 + 8 + 2;
/// Largest body a frame may carry (a corrupt length must not allocate gigabytes).
pub const MAX_BODY: usize = 16 << 20;

const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);

/// A publish as the spool keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Position in the spool, from 1, without gaps.
    pub seq: u64,
    /// When it was received (unix ms).
    pub at: i64,
    /// MQTT topic.
    pub topic: String,
    /// MQTT payload.
    pub payload: Vec<u8>,
}

/// Appends the frame of a record to `out`; its length.
pub fn encode(
    seq: u64,
    at: i64,
    topic: &str,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<usize, SpoolError> {
    let body = FIXED + topic.len() + payload.len();
    let topic_len = u16::try_from(topic.len()).map_err(|_| SpoolError::TooLarge(body))?;
    if body > MAX_BODY {
        return Err(SpoolError::TooLarge(body));
    }
    let start = out.len();
    out.extend_from_slice(&(body as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&topic_len.to_le_bytes());
    out.extend_from_slice(topic.as_bytes());
    out.extend_from_slice(payload);
    let crc = CRC.checksum(&out[start + HEADER..]);
    out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(out.len() - start)
}

/// What is at the start of `buf`.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A whole, intact record and the bytes it took.
    Record(Record, usize),
    /// `buf` ends inside a frame (a torn write, or more is still to be read).
    Incomplete,
    /// Not a frame: bad length, checksum or topic.
    Corrupt,
}

/// Decodes the frame at the start of `buf`.
pub fn decode(buf: &[u8]) -> Decoded {
    let Some(head) = buf.get(..HEADER) else {
        return Decoded::Incomplete;
    };
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    if !(FIXED..=MAX_BODY).contains(&len) {
        return Decoded::Corrupt;
    }
    let Some(body) = buf.get(HEADER..HEADER + len) else {
        return Decoded::Incomplete;
    };
    if CRC.checksum(body) != crc {
        return Decoded::Corrupt;
    }
    let u64_at = |i: usize| u64::from_le_bytes(body[i..i + 8].try_into().unwrap_or([0; 8]));
    let seq = u64_at(0);
    let at = u64_at(8) as i64;
    let topic_len = u16::from_le_bytes([body[16], body[17]]) as usize;
    let Some(topic) = body.get(FIXED..FIXED + topic_len) else {
        return Decoded::Corrupt;
    };
    let Ok(topic) = std::str::from_utf8(topic) else {
        return Decoded::Corrupt;
    };
    let record = Record {
        seq,
        at,
        topic: topic.to_owned(),
        payload: body[FIXED + topic_len..].to_vec(),
    };
    Decoded::Record(record, HEADER + len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: u64) -> Vec<u8> {
        let mut out = Vec::new();
        encode(
            seq,
            1_700_000_000_000,
            "ccu/01/sensor",
            br#"[{"x":1}]"#,
            &mut out,
        )
        .unwrap();
        out
    }

    #[test]
    fn a_record_round_trips() {
        let f = frame(7);
        let Decoded::Record(r, n) = decode(&f) else {
            panic!("not decoded")
        };
        assert_eq!(n, f.len());
        assert_eq!((r.seq, r.at), (7, 1_700_000_000_000));
        assert_eq!(r.topic, "ccu/01/sensor");
        assert_eq!(r.payload, br#"[{"x":1}]"#);
    }

    #[test]
    fn every_truncation_is_incomplete_and_every_flipped_bit_is_caught() {
        let f = frame(3);
        for cut in 0..f.len() {
            assert_eq!(decode(&f[..cut]), Decoded::Incomplete, "cut at {cut}");
        }
        for byte in 0..f.len() {
            for bit in 0..8 {
                let mut g = f.clone();
                g[byte] ^= 1 << bit;
                assert!(
                    !matches!(decode(&g), Decoded::Record(..)),
                    "flip {byte}:{bit} taken for a record"
                );
            }
        }
    }

    #[test]
    fn a_huge_length_is_corrupt_not_an_allocation() {
        let mut f = frame(1);
        f[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&f), Decoded::Corrupt);
    }
}
