//! A streaming frame reader that resynchronises on line noise instead of losing good frames.
//!
//! Unlike the original CCU (which collected 7 bytes blindly after any `0xAA`), a window that
//! fails its checks is rescanned for the next `0xAA`, so a stray start byte inside a frame
//! costs only the damaged frame, never the good one behind it.

use super::{FRAME_LEN, Frame, FrameError, SOF};

/// Counters kept by a [`FrameReader`]; they wrap (a debug build must not panic after 4 GiB of
/// line noise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReaderStats {
    /// Good frames decoded.
    pub frames: u32,
    /// Windows rejected (bad start/end, checksum, unknown command).
    pub errors: u32,
    /// Bytes thrown away (noise between frames and bytes of rejected windows).
    pub discarded: u32,
}

/// Turns a byte stream into frames; never panics, never allocates.
#[derive(Debug, Clone, Default)]
pub struct FrameReader {
    buf: [u8; FRAME_LEN],
    len: usize,
    stats: ReaderStats,
}

impl FrameReader {
    /// An empty reader.
    pub const fn new() -> FrameReader {
        FrameReader {
            buf: [0; FRAME_LEN],
            len: 0,
            stats: ReaderStats {
                frames: 0,
                errors: 0,
                discarded: 0,
            },
        }
    }

    /// Feeds one byte; returns a frame or a rejection when an 8-byte window completes.
    pub fn push(&mut self, byte: u8) -> Option<Result<Frame, FrameError>> {
        if self.len == 0 && byte != SOF {
            self.stats.discarded = self.stats.discarded.wrapping_add(1);
            return None;
        }
        self.buf[self.len] = byte;
        self.len += 1;
        if self.len < FRAME_LEN {
            return None;
        }
        let result = Frame::decode(&self.buf);
        match result {
            Ok(_) => {
                self.stats.frames = self.stats.frames.wrapping_add(1);
                self.len = 0;
            }
            Err(FrameError::UnknownCommand(_)) => {
                // Well-formed (SOF, EOF, CRC all fine): a frame we do not know, not noise.
                self.stats.errors = self.stats.errors.wrapping_add(1);
                self.stats.discarded = self.stats.discarded.wrapping_add(FRAME_LEN as u32);
                self.len = 0;
            }
            Err(_) => {
                self.stats.errors = self.stats.errors.wrapping_add(1);
                self.resync();
            }
        }
        Some(result)
    }

    /// Feeds a slice; iterate the result to get every frame or rejection it completes.
    ///
    /// Bytes are consumed as the iterator advances: drop it early and the rest is not read.
    pub fn feed<'r, 'b>(&'r mut self, bytes: &'b [u8]) -> Feed<'r, 'b> {
        Feed {
            reader: self,
            bytes,
        }
    }

    /// Bytes of an incomplete frame currently held.
    pub const fn buffered(&self) -> usize {
        self.len
    }

    /// The counters.
    pub const fn stats(&self) -> ReaderStats {
        self.stats
    }

    /// Drops any partial frame.
    pub fn reset(&mut self) {
        self.stats.discarded = self.stats.discarded.wrapping_add(self.len as u32);
        self.len = 0;
    }

    /// Keeps the buffered bytes from the next `0xAA` after the rejected window's start.
    fn resync(&mut self) {
        let next = self.buf[1..].iter().position(|&b| b == SOF).map(|i| i + 1);
        match next {
            Some(start) => {
                self.buf.copy_within(start.., 0);
                self.len = FRAME_LEN - start;
                self.stats.discarded = self.stats.discarded.wrapping_add(start as u32);
            }
            None => {
                self.len = 0;
                self.stats.discarded = self.stats.discarded.wrapping_add(FRAME_LEN as u32);
            }
        }
    }
}

/// The frames and rejections completed by one [`FrameReader::feed`] call.
#[derive(Debug)]
pub struct Feed<'r, 'b> {
    reader: &'r mut FrameReader,
    bytes: &'b [u8],
}

impl Iterator for Feed<'_, '_> {
    type Item = Result<Frame, FrameError>;

    fn next(&mut self) -> Option<Self::Item> {
        while let Some((&byte, rest)) = self.bytes.split_first() {
            self.bytes = rest;
            if let Some(result) = self.reader.push(byte) {
                return Some(result);
            }
        }
        None
    }
}
