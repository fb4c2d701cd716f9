//! The spool: a bounded, append-only, checksummed log of device publishes in
//! `<data_dir>/spool`, written before a publish is acknowledged and read by ingest in order.
//!
//! The embedded broker hands every authorized device publish to [`Spool::append`] and calls
//! [`Spool::commit`] before it sends the acknowledgements (`crate::intake`); ingest reads
//! committed records with a [`Reader`] and the writer releases them once the rows they
//! produced are committed to the database ([`Spool::release`]). When the database is slow or
//! down the spool grows; when it is full the broker refuses publishes, so devices keep them.
//! Design and failure cases: `docs/durability.md`.

mod error;
pub mod frame;
mod reader;
mod segment;

pub use error::SpoolError;
pub use frame::Record;
pub use reader::Reader;

use segment::Segment;
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tokio::sync::watch;

/// How big the spool may grow and how it writes.
#[derive(Debug, Clone)]
pub struct SpoolOptions {
    /// Bytes on disk at most (records not yet released); past it appends are refused.
    pub max_bytes: u64,
    /// A segment is closed and a new one started past this size.
    pub segment_bytes: u64,
    /// `fsync` at every commit (survives a power cut, not only a crash of the process).
    pub fsync: bool,
}

/// Counters and levels, for `/metrics` and `/readyz`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpoolStats {
    /// Bytes held on disk (and pending).
    pub bytes: u64,
    /// Segment files.
    pub segments: usize,
    /// Records committed and not yet released.
    pub backlog: u64,
    /// Sequence number of the last record released.
    pub released: u64,
    /// Appends refused because the spool was full.
    pub refused: u64,
    /// Bytes dropped when the spool opened (torn tail or damage).
    pub dropped_bytes: u64,
    /// The last write failed: device publishes are refused until one succeeds.
    pub unwritable: bool,
}

/// The spool. Share it in an `Arc`.
pub struct Spool {
    dir: PathBuf,
    opts: SpoolOptions,
    state: Mutex<State>,
    /// The sequence number after the last committed (durable) record.
    committed: watch::Sender<u64>,
}

struct State {
    sealed: VecDeque<Segment>,
    active: Segment,
    file: File,
    pending: Vec<u8>,
    /// The next sequence number to hand out.
    next: u64,
    bytes: u64,
    released: u64,
    refused: u64,
    dropped_bytes: u64,
    /// The last write failed (cleared by the next one that succeeds).
    failing: bool,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("dir", &self.dir)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Spool {
    /// Opens (or creates) the spool in `dir`. `released` is the last sequence number whose
    /// effects are known to be stored (the database says so); earlier records are dropped.
    /// A torn or damaged tail is cut off and counted.
    pub fn open(dir: &Path, opts: SpoolOptions, released: u64) -> Result<Spool, SpoolError> {
        std::fs::create_dir_all(dir)?;
        let mut found: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name();
                segment::parse_name(name.to_str()?).map(|seq| (seq, e.path()))
            })
            .collect();
        found.sort();
        let mut sealed = VecDeque::new();
        let mut dropped_bytes = 0;
        let last = found.len().saturating_sub(1);
        for (i, (first, path)) in found.into_iter().enumerate() {
            let scan = segment::scan(&path, first)?;
            dropped_bytes += scan.dropped_bytes;
            if scan.dropped_bytes > 0 {
                tracing::warn!(segment = %path.display(), bytes = scan.dropped_bytes, "spool segment ends in a torn or damaged frame; cut there");
                if i == last {
                    OpenOptions::new()
                        .write(true)
                        .open(&path)?
                        .set_len(scan.segment.len)?;
                }
            }
            let seg = scan.segment;
            if seg.len == 0 || seg.end_seq <= released.saturating_add(1) {
                std::fs::remove_file(&seg.path)?;
            } else {
                sealed.push_back(seg);
            }
        }
        let next = sealed
            .back()
            .map_or(1, |s| s.end_seq)
            .max(released.saturating_add(1));
        let (active, file) = new_segment(dir, next)?;
        let bytes = sealed.iter().map(|s| s.len).sum();
        let state = State {
            sealed,
            active,
            file,
            pending: Vec::new(),
            next,
            bytes,
            released,
            refused: 0,
            dropped_bytes,
            failing: false,
        };
        Ok(Spool {
            dir: dir.to_owned(),
            opts,
            state: Mutex::new(state),
            committed: watch::Sender::new(next),
        })
    }

    /// Takes a record (durable only after [`Spool::commit`]); its sequence number.
    pub fn append(&self, at: i64, topic: &str, payload: &[u8]) -> Result<u64, SpoolError> {
        let mut s = self.lock();
        let seq = s.next;
        let start = s.pending.len();
        let n = frame::encode(seq, at, topic, payload, &mut s.pending)? as u64;
        if s.bytes + n > self.opts.max_bytes {
            s.pending.truncate(start);
            s.refused += 1;
            return Err(SpoolError::Full {
                bytes: s.bytes,
                max: self.opts.max_bytes,
            });
        }
        s.bytes += n;
        s.next += 1;
        Ok(seq)
    }

    /// Writes what was appended since the last commit (and `fsync`s it when configured);
    /// readers see it from then on.
    pub fn commit(&self) -> Result<(), SpoolError> {
        let mut guard = self.lock();
        let s = &mut *guard;
        if s.pending.is_empty() {
            return Ok(());
        }
        let written = s.file.write_all(&s.pending).and_then(|()| {
            if self.opts.fsync {
                s.file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(e) = written {
            // Nothing of this commit is durable (after a failed fsync the written pages may
            // be gone too): take a partial write back and forget the records, whose
            // publishers are not acknowledged and send them again (`crate::intake`).
            let len = s.active.len;
            let _ = s.file.set_len(len);
            let _ = s.file.seek(SeekFrom::Start(len));
            s.bytes -= s.pending.len() as u64;
            s.pending.clear();
            s.next = s.active.end_seq;
            s.failing = true;
            return Err(e.into());
        }
        s.failing = false;
        s.active.len += s.pending.len() as u64;
        s.active.end_seq = s.next;
        s.pending.clear();
        self.committed.send_replace(s.next);
        if s.active.len >= self.opts.segment_bytes {
            let (active, file) = new_segment(&self.dir, s.next)?;
            let old = std::mem::replace(&mut s.active, active);
            s.sealed.push_back(old);
            s.file = file;
        }
        Ok(())
    }

    /// Every record up to `seq` is stored: segments holding only such records are deleted.
    pub fn release(&self, seq: u64) -> Result<(), SpoolError> {
        let mut s = self.lock();
        s.released = s.released.max(seq);
        while let Some(front) = s.sealed.front() {
            if front.end_seq > s.released + 1 {
                break;
            }
            std::fs::remove_file(&front.path)?;
            s.bytes -= front.len;
            s.sealed.pop_front();
        }
        Ok(())
    }

    /// A reader from the first record not yet released.
    pub fn reader(self: &std::sync::Arc<Self>) -> Reader {
        let from = self.lock().released + 1;
        Reader::new(self.clone(), from)
    }

    /// Levels and counters.
    pub fn stats(&self) -> SpoolStats {
        let s = self.lock();
        let committed = *self.committed.borrow();
        SpoolStats {
            bytes: s.bytes,
            segments: s.sealed.len() + 1,
            backlog: committed.saturating_sub(s.released + 1),
            released: s.released,
            refused: s.refused,
            dropped_bytes: s.dropped_bytes,
            unwritable: s.failing,
        }
    }

    /// The sequence number after the last committed record.
    pub fn committed_end(&self) -> u64 {
        *self.committed.borrow()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The segment that holds `seq` (or the first one after it), as it is now, and whether
    /// it is the one being written.
    fn locate(&self, seq: u64) -> (Segment, bool) {
        let s = self.lock();
        match s.sealed.iter().find(|seg| seq < seg.end_seq) {
            Some(seg) => (seg.clone(), false),
            None => (s.active.clone(), true),
        }
    }
}

/// Creates an empty segment file starting at `first_seq` and makes its name durable.
fn new_segment(dir: &Path, first_seq: u64) -> Result<(Segment, File), SpoolError> {
    let path = dir.join(segment::file_name(first_seq));
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)?;
    File::open(dir)?.sync_all()?;
    let seg = Segment {
        first_seq,
        path,
        len: 0,
        end_seq: first_seq,
    };
    Ok((seg, file))
}

#[cfg(test)]
mod tests;
