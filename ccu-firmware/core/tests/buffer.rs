//! Offline ring buffer: oldest dropped first, drops counted, drained in batches that fit.

use ccu_core::Error;
use ccu_core::buffer::{Batch, RingBuffer};
use ccu_core::protocol::{DeviceId, SensorReading};

fn reading(i: u64) -> SensorReading {
    SensorReading {
        device_id: DeviceId(0xFE),
        current_a: Some(i as i64),
        current_b: Some(0),
        relay_a: Some(true),
        relay_b: None,
        is_overload: false,
        ts: Some(1_700_000_000_000 + i),
    }
}

#[test]
fn overflow_drops_oldest_and_counts() {
    // (pushes into a ring of 4) → (len, dropped, oldest kept)
    let cases = [
        (0, 0, 0, None),
        (3, 3, 0, Some(0)),
        (4, 4, 0, Some(0)),
        (5, 4, 1, Some(1)),
        (11, 4, 7, Some(7)),
    ];
    for (pushes, len, dropped, front) in cases {
        let mut ring: RingBuffer<u64, 4> = RingBuffer::new();
        let mut evicted = Vec::new();
        for i in 0..pushes {
            evicted.extend(ring.push(i));
        }
        assert_eq!(
            (ring.len(), ring.dropped(), ring.front().copied()),
            (len, dropped, front),
            "{pushes}"
        );
        assert_eq!(
            evicted,
            (0..dropped as u64).collect::<Vec<_>>(),
            "{pushes}: evicted in order"
        );
        assert_eq!(
            ring.iter().copied().collect::<Vec<_>>(),
            (pushes.saturating_sub(4)..pushes).collect::<Vec<_>>()
        );
    }
    let mut ring: RingBuffer<u8, 2> = RingBuffer::new();
    for i in 0..5 {
        ring.push(i);
    }
    assert_eq!(ring.take_dropped(), 3);
    assert_eq!(ring.dropped(), 0);
    assert_eq!(ring.discard(5), 2);
    assert!(ring.is_empty());
    assert_eq!(ring.capacity(), 2);
}

#[test]
fn batches_fit_the_caller_buffer() {
    let one = serde_json::to_string(&reading(1)).unwrap().len();
    // (readings, buffer size) → readings per batch, or an error
    let cases: &[(u64, usize, Result<usize, Error>)] = &[
        (0, 2, Ok(0)),
        (0, 1, Err(Error::BufferTooSmall)),
        (3, 1024, Ok(3)),
        (3, one + 2, Ok(1)),
        (3, 2 * one + 3, Ok(2)),
        (3, 2 * one + 2, Ok(1)),
        (3, one + 1, Err(Error::BufferTooSmall)),
    ];
    for &(n, size, ref want) in cases {
        let mut ring: RingBuffer<SensorReading, 8> = RingBuffer::new();
        (0..n).for_each(|i| {
            ring.push(reading(i));
        });
        let mut out = vec![0u8; size];
        let got = ring.encode_batch(&mut out);
        assert_eq!(
            got.map(|b| b.count),
            *want,
            "{n} readings into {size} bytes"
        );
        if let Ok(Batch { len, count }) = got {
            let parsed: Vec<SensorReading> = serde_json::from_slice(&out[..len]).unwrap();
            assert_eq!(parsed, (0..count as u64).map(reading).collect::<Vec<_>>());
        }
    }
}

#[test]
fn draining_in_chunks_keeps_every_reading_and_timestamp() {
    let mut ring: RingBuffer<SensorReading, 16> = RingBuffer::new();
    for i in 0..20 {
        ring.push(reading(i));
    }
    assert_eq!(ring.dropped(), 4);
    let mut out = [0u8; 400];
    let mut drained = Vec::new();
    let mut n_batches = 0;
    while !ring.is_empty() {
        let batch = ring.encode_batch(&mut out).unwrap();
        let parsed: Vec<SensorReading> = serde_json::from_slice(&out[..batch.len]).unwrap();
        assert_eq!(parsed.len(), batch.count);
        drained.extend(parsed);
        ring.discard(batch.count);
        n_batches += 1;
    }
    assert!(n_batches > 1, "small buffer forces several batches");
    assert_eq!(drained, (4..20).map(reading).collect::<Vec<_>>());
}
