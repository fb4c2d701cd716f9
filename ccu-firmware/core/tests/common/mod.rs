//! Shared host mocks for the `ccu-core` traits, with expectation lists checked by `done()`.
#![allow(dead_code)] // each test binary uses a different subset

use ccu_core::hal::{BreakerAdc, Clock, MqttSession, Radio, Storage, StorageKey};
use ccu_core::protocol::{DeviceEntry, DeviceId, DeviceList};
use ccu_core::rf::{FRAME_LEN, Frame};
use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

pub mod rig;

/// The error every mock returns when told to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MockError;

/// One expected radio write and the bytes the "PIC" sends back after it.
#[derive(Debug, Clone)]
pub struct RadioExpectation {
    pub write: Frame,
    pub replies: Vec<u8>,
}

/// Expect `write`; nothing comes back (the frame is lost).
pub fn expect(write: Frame) -> RadioExpectation {
    RadioExpectation {
        write,
        replies: Vec::new(),
    }
}

impl RadioExpectation {
    /// Answer with a frame.
    pub fn reply(mut self, frame: Frame) -> Self {
        self.replies.extend_from_slice(&frame.encode());
        self
    }

    /// Answer with raw bytes (noise, partial frames).
    pub fn reply_bytes(mut self, bytes: &[u8]) -> Self {
        self.replies.extend_from_slice(bytes);
        self
    }
}

/// `n` lost copies of `write` followed by one answered with `reply`.
pub fn dropped_then(n: usize, write: Frame, reply: Frame) -> Vec<RadioExpectation> {
    let mut list: Vec<_> = (0..n).map(|_| expect(write)).collect();
    list.push(expect(write).reply(reply));
    list
}

/// A scripted HC-12: every write must match the next expectation, whose replies become readable.
#[derive(Debug, Default)]
pub struct MockRadio {
    expectations: VecDeque<RadioExpectation>,
    rx: VecDeque<u8>,
    pub written: Vec<Frame>,
    pub fail_writes: usize,
}

impl MockRadio {
    pub fn new(expectations: Vec<RadioExpectation>) -> Self {
        MockRadio {
            expectations: expectations.into(),
            ..Default::default()
        }
    }

    /// Adds expectations at the end.
    pub fn expect(&mut self, more: Vec<RadioExpectation>) {
        self.expectations.extend(more);
    }

    /// Makes bytes readable now (unsolicited traffic).
    pub fn inject(&mut self, bytes: &[u8]) {
        self.rx.extend(bytes);
    }

    /// Asserts every expected write happened.
    pub fn done(&self) {
        assert!(
            self.expectations.is_empty(),
            "expected radio writes not made: {:?}",
            self.expectations
        );
    }
}

impl Radio for MockRadio {
    type Error = MockError;

    fn write(&mut self, bytes: &[u8]) -> Result<(), MockError> {
        if self.fail_writes > 0 {
            self.fail_writes -= 1;
            return Err(MockError);
        }
        let bytes: &[u8; FRAME_LEN] = bytes.try_into().expect("the core writes whole frames");
        let frame = Frame::decode(bytes).expect("the core writes valid frames");
        self.written.push(frame);
        let next = self
            .expectations
            .pop_front()
            .unwrap_or_else(|| panic!("unexpected radio write {frame:?}"));
        assert_eq!(frame, next.write, "radio write #{}", self.written.len());
        self.rx.extend(next.replies);
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, MockError> {
        let n = buf.len().min(self.rx.len());
        for (slot, byte) in buf.iter_mut().zip(self.rx.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

/// A shared, hand-advanced clock: monotonic ms plus a fixed unix base.
#[derive(Debug, Clone)]
pub struct MockClock {
    now: Rc<Cell<u64>>,
    pub unix_base: Option<u64>,
}

/// Unix ms at boot in the tests (2023-11-14T22:13:20Z).
pub const UNIX_BASE: u64 = 1_700_000_000_000;

impl MockClock {
    pub fn new() -> Self {
        MockClock {
            now: Rc::new(Cell::new(0)),
            unix_base: Some(UNIX_BASE),
        }
    }

    pub fn advance(&self, ms: u64) {
        self.now.set(self.now.get() + ms);
    }

    pub fn get(&self) -> u64 {
        self.now.get()
    }
}

impl Clock for MockClock {
    fn now_ms(&self) -> u64 {
        self.now.get()
    }

    fn unix_ms(&self) -> Option<u64> {
        self.unix_base.map(|base| base + self.now.get())
    }
}

/// An ADC that returns the same window every time (or fails).
#[derive(Debug, Default)]
pub struct MockAdc {
    pub samples: Vec<u16>,
    pub fail: bool,
    pub reads: usize,
}

impl MockAdc {
    pub fn flat(level: u16, n: usize) -> Self {
        MockAdc {
            samples: vec![level; n],
            ..Default::default()
        }
    }
}

impl BreakerAdc for MockAdc {
    type Error = MockError;

    fn read_samples(&mut self, buf: &mut [u16]) -> Result<usize, MockError> {
        self.reads += 1;
        if self.fail {
            return Err(MockError);
        }
        let n = buf.len().min(self.samples.len());
        buf[..n].copy_from_slice(&self.samples[..n]);
        Ok(n)
    }
}

/// One recorded publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub topic: String,
    pub payload: String,
    pub retain: bool,
}

/// Records publishes; `connected` and `fail_publishes` are set by the test.
#[derive(Debug, Default)]
pub struct MockMqtt {
    pub connected: bool,
    pub fail_publishes: usize,
    /// Each entry fails one later publish whose payload contains it.
    pub fail_containing: Vec<&'static str>,
    pub published: Vec<Published>,
}

impl MockMqtt {
    pub fn connected() -> Self {
        MockMqtt {
            connected: true,
            ..Default::default()
        }
    }

    /// Returns and clears what was published.
    pub fn take(&mut self) -> Vec<Published> {
        std::mem::take(&mut self.published)
    }
}

impl MqttSession for MockMqtt {
    type Error = MockError;

    fn is_connected(&self) -> bool {
        self.connected
    }

    fn publish(&mut self, topic: &str, payload: &[u8], retain: bool) -> Result<(), MockError> {
        if !self.connected {
            return Err(MockError);
        }
        if self.fail_publishes > 0 {
            self.fail_publishes -= 1;
            return Err(MockError);
        }
        let text = String::from_utf8_lossy(payload);
        if let Some(i) = self.fail_containing.iter().position(|s| text.contains(s)) {
            self.fail_containing.remove(i);
            return Err(MockError);
        }
        self.published.push(Published {
            topic: topic.to_owned(),
            payload: String::from_utf8(payload.to_vec()).expect("payloads are UTF-8 JSON"),
            retain,
        });
        Ok(())
    }
}

/// An in-memory key-value store.
#[derive(Debug, Default)]
pub struct MockStorage {
    pub records: HashMap<StorageKey, Vec<u8>>,
}

impl Storage for MockStorage {
    type Error = MockError;

    fn read(&mut self, key: StorageKey, buf: &mut [u8]) -> Result<Option<usize>, MockError> {
        let Some(record) = self.records.get(&key) else {
            return Ok(None);
        };
        let dst = buf.get_mut(..record.len()).ok_or(MockError)?;
        dst.copy_from_slice(record);
        Ok(Some(record.len()))
    }

    fn write(&mut self, key: StorageKey, data: &[u8]) -> Result<(), MockError> {
        self.records.insert(key, data.to_vec());
        Ok(())
    }

    fn erase(&mut self, key: StorageKey) -> Result<(), MockError> {
        self.records.remove(&key);
        Ok(())
    }
}

/// A device list with default thresholds.
pub fn device_list(ids: &[u8]) -> DeviceList {
    let mut list = DeviceList::default();
    for &id in ids {
        list.devices
            .push(DeviceEntry {
                device_id: DeviceId(id),
                threshold_ma: 3000,
            })
            .expect("test lists are small");
    }
    list
}
