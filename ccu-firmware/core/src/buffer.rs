//! A bounded ring of readings kept while the server is unreachable, drained as JSON-array batches.
//!
//! The oldest reading is dropped first when full, and drops are counted. A batch is encoded
//! from the front into a caller buffer (as many readings as fit) *without* removing them;
//! the caller [`RingBuffer::discard`]s them once the publish succeeded, so nothing is lost
//! to a failed publish.

use crate::Error;
use heapless::Deque;
use serde::Serialize;

/// How much of a ring one encoded batch holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// Bytes written to the output buffer.
    pub len: usize,
    /// Items encoded (from the front).
    pub count: usize,
}

/// A bounded FIFO that drops its oldest item when full.
#[derive(Debug, Clone)]
pub struct RingBuffer<T, const N: usize> {
    items: Deque<T, N>,
    dropped: u32,
}

impl<T, const N: usize> Default for RingBuffer<T, N> {
    fn default() -> Self {
        RingBuffer::new()
    }
}

impl<T, const N: usize> RingBuffer<T, N> {
    /// An empty ring (N must be > 0).
    pub const fn new() -> Self {
        RingBuffer {
            items: Deque::new(),
            dropped: 0,
        }
    }

    /// Appends an item; when full, drops and returns the oldest one (and counts it).
    pub fn push(&mut self, item: T) -> Option<T> {
        let evicted = if self.items.is_full() {
            self.dropped = self.dropped.saturating_add(1);
            self.items.pop_front()
        } else {
            None
        };
        // There is room now: either it was not full or the front was just removed.
        let _ = self.items.push_back(item);
        evicted
    }

    /// Items held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The capacity `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Items dropped because the ring was full, since creation or the last [`Self::take_dropped`].
    pub const fn dropped(&self) -> u32 {
        self.dropped
    }

    /// Returns and resets the drop count.
    pub fn take_dropped(&mut self) -> u32 {
        core::mem::take(&mut self.dropped)
    }

    /// The oldest item.
    pub fn front(&self) -> Option<&T> {
        self.items.front()
    }

    /// Removes the oldest item.
    pub fn pop_front(&mut self) -> Option<T> {
        self.items.pop_front()
    }

    /// Removes up to `n` items from the front; returns how many were removed.
    pub fn discard(&mut self, n: usize) -> usize {
        let n = n.min(self.items.len());
        for _ in 0..n {
            self.items.pop_front();
        }
        n
    }

    /// Oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }
}

impl<T: Serialize, const N: usize> RingBuffer<T, N> {
    /// Encodes a JSON array of as many items from the front as fit into `out`.
    ///
    /// An empty ring gives `[]`; [`Error::BufferTooSmall`] if not even the first item fits.
    pub fn encode_batch(&self, out: &mut [u8]) -> Result<Batch, Error> {
        encode_array(self.items.iter(), out)
    }
}

/// Encodes items as a JSON array into `out`, stopping at the first one that does not fit.
pub fn encode_array<'a, T: Serialize + 'a>(
    items: impl Iterator<Item = &'a T>,
    out: &mut [u8],
) -> Result<Batch, Error> {
    if out.len() < 2 {
        return Err(Error::BufferTooSmall);
    }
    let end = out.len() - 1; // room for the closing bracket
    out[0] = b'[';
    let mut pos = 1;
    let mut count = 0;
    let mut more = false;
    for item in items {
        let sep = usize::from(count > 0);
        if pos + sep >= end {
            more = true;
            break;
        }
        match serde_json_core::to_slice(item, &mut out[pos + sep..end]) {
            Ok(n) => {
                if sep == 1 {
                    out[pos] = b',';
                }
                pos += sep + n;
                count += 1;
            }
            Err(_) => {
                more = true;
                break;
            }
        }
    }
    if count == 0 && more {
        return Err(Error::BufferTooSmall);
    }
    out[pos] = b']';
    Ok(Batch {
        len: pos + 1,
        count,
    })
}
