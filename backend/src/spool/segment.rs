//! Segment files: `<first seq, 20 digits>.seg` in the spool directory, each a run of frames
//! with consecutive sequence numbers. A segment is scanned when the spool opens: it ends at
//! its first torn or damaged frame.

use super::frame::{self, Decoded, Record};
use std::path::{Path, PathBuf};

/// A segment as the spool tracks it.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Sequence number of its first record.
    pub first_seq: u64,
    /// Its file.
    pub path: PathBuf,
    /// Bytes of whole, durable frames (readers stop here).
    pub len: u64,
    /// Sequence number after its last record.
    pub end_seq: u64,
}

/// The file name of a segment starting at `first_seq`.
pub fn file_name(first_seq: u64) -> String {
    format!("{first_seq:020}.seg")
}

/// The first sequence number a segment file name stands for.
pub fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".seg")?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// What a scan found.
#[derive(Debug)]
pub struct Scan {
    /// The segment up to its last good frame.
    pub segment: Segment,
    /// Bytes after the last good frame (torn tail or damage).
    pub dropped_bytes: u64,
}

/// Reads the segment file at `path` and keeps the run of intact frames with consecutive
/// sequence numbers from `first_seq`.
pub fn scan(path: &Path, first_seq: u64) -> std::io::Result<Scan> {
    let bytes = std::fs::read(path)?;
    let mut at = 0usize;
    let mut next = first_seq;
    while let Decoded::Record(r, n) = frame::decode(&bytes[at..]) {
        if r.seq != next {
            break;
        }
        next += 1;
        at += n;
    }
    Ok(Scan {
        segment: Segment {
            first_seq,
            path: path.to_owned(),
            len: at as u64,
            end_seq: next,
        },
        dropped_bytes: (bytes.len() - at) as u64,
    })
}

/// Decodes whole frames of `buf` (bytes of one segment, from a frame boundary) whose
/// sequence number is at least `from`, at most `max` of them; also the bytes consumed.
pub fn records(buf: &[u8], from: u64, max: usize, out: &mut Vec<Record>) -> usize {
    let mut at = 0usize;
    while out.len() < max {
        match frame::decode(&buf[at..]) {
            Decoded::Record(r, n) => {
                at += n;
                if r.seq >= from {
                    out.push(r);
                }
            }
            Decoded::Incomplete | Decoded::Corrupt => break,
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_strangers_are_ignored() {
        assert_eq!(parse_name(&file_name(42)), Some(42));
        for bad in [
            "42.seg",
            "x0000000000000000042.seg",
            "00000000000000000042.log",
            "",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }
}
