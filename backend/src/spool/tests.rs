//! The spool's promises: order, only committed records visible, bound, release, torn tails
//! and damage on reopen, hostile files.

use super::*;
use std::sync::Arc;

fn opts() -> SpoolOptions {
    SpoolOptions {
        max_bytes: 1 << 20,
        segment_bytes: 4096,
        fsync: false,
    }
}

/// Appends `n` records, committing every 20 (as the router commits once per round).
fn put(s: &Spool, n: u64) {
    for i in 0..n {
        s.append(i as i64, "ccu/01/sensor", format!("payload {i}").as_bytes())
            .unwrap();
        if i % 20 == 19 {
            s.commit().unwrap();
        }
    }
    s.commit().unwrap();
}

fn read_all(r: &mut Reader) -> Vec<Record> {
    let mut out = Vec::new();
    loop {
        let batch = r.read(7).unwrap();
        if batch.is_empty() {
            return out;
        }
        out.extend(batch);
    }
}

fn seqs(records: &[Record]) -> Vec<u64> {
    records.iter().map(|r| r.seq).collect()
}

#[test]
fn records_come_back_in_order_across_segments_and_only_once_committed() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(Spool::open(dir.path(), opts(), 0).unwrap());
    let mut r = s.reader();
    s.append(1, "t", b"x").unwrap();
    assert!(
        r.read(10).unwrap().is_empty(),
        "uncommitted record was read"
    );
    s.commit().unwrap();
    put(&s, 499);
    let got = read_all(&mut r);
    assert_eq!(seqs(&got), (1..=500).collect::<Vec<_>>());
    assert_eq!(got[10].payload, b"payload 9");
    assert!(s.stats().segments > 3, "no rotation: {:?}", s.stats());
    assert!(r.caught_up());
}

#[test]
fn a_full_spool_refuses_and_release_makes_room() {
    let dir = tempfile::tempdir().unwrap();
    let small = SpoolOptions {
        max_bytes: 10_000,
        segment_bytes: 1_000,
        fsync: true,
    };
    let s = Arc::new(Spool::open(dir.path(), small, 0).unwrap());
    let mut taken = 0u64;
    while s.append(0, "ccu/01/sensor", &[7; 60]).is_ok() {
        taken += 1;
        s.commit().unwrap();
    }
    assert!(matches!(
        s.append(0, "ccu/01/sensor", &[7; 60]),
        Err(SpoolError::Full { .. })
    ));
    assert_eq!(s.stats().refused, 2);
    assert!(s.stats().bytes <= 10_000);
    let read = read_all(&mut s.reader());
    assert_eq!(read.len() as u64, taken, "every taken record is kept");
    s.release(taken).unwrap();
    assert!(s.stats().bytes < 1_000, "{:?}", s.stats());
    assert_eq!(s.stats().backlog, 0);
    s.append(0, "ccu/01/sensor", &[7; 60]).unwrap();
}

#[test]
fn reopening_starts_after_the_release_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Spool::open(dir.path(), opts(), 0).unwrap();
        put(&s, 300);
        s.append(0, "t", b"never committed").unwrap();
    }
    let s = Arc::new(Spool::open(dir.path(), opts(), 120).unwrap());
    let got = read_all(&mut s.reader());
    assert_eq!(seqs(&got), (121..=300).collect::<Vec<_>>());
    assert_eq!(s.append(0, "t", b"y").unwrap(), 301, "numbering goes on");
}

#[test]
fn numbering_never_goes_back_below_the_release_even_without_files() {
    let dir = tempfile::tempdir().unwrap();
    let s = Spool::open(dir.path(), opts(), 9_000).unwrap();
    assert_eq!(s.append(0, "t", b"x").unwrap(), 9_001);
}

#[test]
fn a_torn_tail_is_cut_and_counted_and_writing_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Spool::open(dir.path(), opts(), 0).unwrap();
        put(&s, 5);
    }
    let seg = only_segment(dir.path());
    let mut bytes = std::fs::read(&seg).unwrap();
    let whole = bytes.len();
    bytes.truncate(whole - 3);
    std::fs::write(&seg, &bytes).unwrap();
    let s = Arc::new(Spool::open(dir.path(), opts(), 0).unwrap());
    assert!(s.stats().dropped_bytes > 0);
    put(&s, 2);
    assert_eq!(seqs(&read_all(&mut s.reader())), vec![1, 2, 3, 4, 5, 6]);
}

#[test]
fn damage_in_an_old_segment_loses_only_the_damaged_records() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Spool::open(dir.path(), opts(), 0).unwrap();
        put(&s, 400);
    }
    let mut segs = segments(dir.path());
    segs.sort();
    let victim = &segs[1];
    let mut bytes = std::fs::read(victim).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(victim, &bytes).unwrap();
    let s = Arc::new(Spool::open(dir.path(), opts(), 0).unwrap());
    let got = seqs(&read_all(&mut s.reader()));
    assert!(got.len() < 400 && got.len() > 300, "{} records", got.len());
    assert!(got.windows(2).all(|w| w[0] < w[1]), "out of order");
    assert_eq!(got.last(), Some(&400));
}

#[test]
fn hostile_files_never_panic_and_never_yield_a_record_that_was_not_written() {
    for seed in 0..200u64 {
        let dir = tempfile::tempdir().unwrap();
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut junk: Vec<u8> = (0..(rnd() % 4096)).map(|_| rnd() as u8).collect();
        if seed % 3 == 0 {
            // a plausible header with garbage after it
            junk.splice(0..0, 30u32.to_le_bytes());
        }
        std::fs::write(dir.path().join(segment::file_name(1 + rnd() % 50)), &junk).unwrap();
        std::fs::write(dir.path().join("notes.txt"), b"not a segment").unwrap();
        let s = Arc::new(Spool::open(dir.path(), opts(), 0).unwrap());
        put(&s, 3);
        let got = read_all(&mut s.reader());
        assert_eq!(got.len(), 3, "seed {seed}");
        assert!(
            got.iter().all(|r| r.topic == "ccu/01/sensor"),
            "seed {seed}"
        );
    }
}

#[tokio::test]
async fn a_waiting_reader_wakes_on_commit() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(Spool::open(dir.path(), opts(), 0).unwrap());
    let r = s.reader();
    let writer = s.clone();
    let w = tokio::spawn(async move {
        tokio::task::yield_now().await;
        put(&writer, 1);
    });
    tokio::time::timeout(std::time::Duration::from_secs(10), r.wait())
        .await
        .expect("reader not woken");
    w.await.unwrap();
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| std::fs::metadata(p).unwrap().len() > 0)
        .collect()
}

fn only_segment(dir: &Path) -> PathBuf {
    let s = segments(dir);
    assert_eq!(s.len(), 1, "{s:?}");
    s.into_iter().next().unwrap()
}

#[test]
fn a_failed_write_forgets_its_records_and_writing_goes_on_once_the_disk_takes_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(Spool::open(dir.path(), opts(), 0).unwrap());
    let mut r = s.reader();
    put(&s, 3);
    let before = s.stats().bytes;
    assert_eq!(s.append(10, "ccu/01/sensor", b"lost").unwrap(), 4);
    // The disk refuses writes: a read-only handle on the active segment.
    let path = s.lock().active.path.clone();
    let writable = std::mem::replace(&mut s.lock().file, File::open(&path).unwrap());
    assert!(s.commit().is_err());
    assert!(s.stats().unwritable);
    assert_eq!(s.stats().bytes, before, "the record is forgotten");
    assert_eq!(seqs(&read_all(&mut r)), [1, 2, 3]);
    // The disk takes writes again: numbering goes on without a gap.
    s.lock().file = writable;
    assert_eq!(s.append(11, "ccu/01/sensor", b"sent again").unwrap(), 4);
    s.commit().unwrap();
    assert!(!s.stats().unwritable);
    let got = read_all(&mut r);
    assert_eq!(seqs(&got), [4]);
    assert_eq!(got[0].payload, b"sent again");
    drop(r);
    drop(s);
    let reopened = Arc::new(Spool::open(dir.path(), opts(), 0).unwrap());
    assert_eq!(
        reopened.stats().dropped_bytes,
        0,
        "no torn or damaged frame"
    );
    assert_eq!(seqs(&read_all(&mut reopened.reader())), [1, 2, 3, 4]);
}
