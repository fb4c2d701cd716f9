//! Reads committed records in order, from one segment file to the next.

use super::{Record, Spool, segment};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

/// Bytes read per call (more when one frame is larger).
const CHUNK: u64 = 1 << 20;

/// A reader of one spool; it sees only committed records.
#[derive(Debug)]
pub struct Reader {
    spool: Arc<Spool>,
    next: u64,
    open: Option<Open>,
}

#[derive(Debug)]
struct Open {
    first_seq: u64,
    file: File,
    offset: u64,
}

impl Reader {
    pub(super) fn new(spool: Arc<Spool>, next: u64) -> Reader {
        Reader {
            spool,
            next,
            open: None,
        }
    }

    /// The sequence number of the next record to read.
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// True when every committed record was read.
    pub fn caught_up(&self) -> bool {
        self.next >= self.spool.committed_end()
    }

    /// Waits until a record not read yet is committed.
    pub async fn wait(&self) {
        let mut rx = self.spool.committed.subscribe();
        let next = self.next;
        let _ = rx.wait_for(|&end| end > next).await;
    }

    /// Up to `max` committed records from where the reader is (blocking file I/O; none
    /// when it is caught up).
    pub fn read(&mut self, max: usize) -> std::io::Result<Vec<Record>> {
        let mut out = Vec::new();
        while out.is_empty() && !self.caught_up() {
            let (seg, active) = self.spool.locate(self.next);
            if self
                .open
                .as_ref()
                .is_none_or(|o| o.first_seq != seg.first_seq)
            {
                self.open = Some(Open {
                    first_seq: seg.first_seq,
                    file: File::open(&seg.path)?,
                    offset: 0,
                });
            }
            let Some(open) = self.open.as_mut() else {
                break;
            };
            let left = seg.len.saturating_sub(open.offset);
            if left == 0 {
                if active {
                    break;
                }
                // the rest is in the next segment (after a gap, when damage cut this one)
                self.next = self.next.max(seg.end_seq);
                continue;
            }
            let mut want = left.min(CHUNK);
            loop {
                let mut buf = vec![0; want as usize];
                open.file.seek(SeekFrom::Start(open.offset))?;
                open.file.read_exact(&mut buf)?;
                let used = segment::records(&buf, self.next, max, &mut out);
                open.offset += used as u64;
                if used == 0 && want < left {
                    want = left;
                    continue;
                }
                if used == 0 {
                    // damage inside what was committed cannot happen; skip the segment
                    open.offset = seg.len;
                }
                break;
            }
            if let Some(last) = out.last() {
                self.next = last.seq + 1;
            }
        }
        Ok(out)
    }
}
