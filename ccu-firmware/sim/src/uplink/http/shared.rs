//! What the legacy HTTP uplink keeps between the core and its cycle task: the latest reading
//! per outlet and the latest breaker load (captured from the core's publishes), the device
//! table, and counters; [`LegacyHandle`] reads them from outside.

use ccu_core::protocol::{BreakerReading, CommandKind, DeviceId, SensorReading, TopicKind};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// Counters of one legacy HTTP CCU, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LegacyStats {
    /// Cycles run (each is 3 to 7 requests).
    pub cycles: u64,
    /// HTTP requests sent (each on a new connection).
    pub requests: u64,
    /// Requests that got no HTTP response (refused, reset, timed out).
    pub transport_errors: u64,
    /// Cycles the firmware would count as failed (a POST not answered 200/201, or a 200
    /// command fetch without success).
    pub failed_cycles: u64,
    /// `POST /api/data/` answered 200 or 201.
    pub readings_posted: u64,
    /// `POST /api/breaker-data/` answered 200 or 201.
    pub breaker_posted: u64,
    /// Relay and threshold commands fetched and handed to the core.
    pub commands_executed: u64,
    /// Readings captured from the core (a batch counts each reading).
    pub readings_captured: u64,
}

/// A command the firmware fetched and executed, with the cycle that did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Executed {
    /// The cycle's number (0 for the first; equal to `LegacyStats::cycles` while it runs).
    pub cycle: u64,
    /// The outlet it was for.
    pub device: DeviceId,
    /// What it was.
    pub command: CommandKind,
}

/// How many executed commands [`Shared::executed`] keeps.
pub const EXECUTED_KEPT: usize = 256;

/// The state shared by the uplink (core side) and its cycle task.
#[derive(Debug, Default)]
pub struct Shared {
    /// The latest reading the core produced per outlet.
    pub readings: HashMap<u8, SensorReading>,
    /// The latest breaker load the core measured (mA).
    pub breaker_ma: Option<i64>,
    /// The firmware's device table: ids from `/api/devices/`, in order, never removed.
    pub devices: Vec<u8>,
    /// Counters.
    pub stats: LegacyStats,
    /// Number of the next synthesized command id (`legacy-<n>`).
    pub next_command: u64,
    /// The last [`EXECUTED_KEPT`] commands executed, oldest first.
    pub executed: VecDeque<Executed>,
}

/// The shared state behind a lock held only for short, synchronous updates.
pub type SharedState = Arc<Mutex<Shared>>;

/// Locks the state, even after a panic elsewhere (the data stays usable).
pub fn lock(shared: &SharedState) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// Keeps what the old protocol can carry from a core publish: sensor readings (an object,
    /// or an array after a reconnect: the latest per outlet wins) and the breaker load. Acks
    /// and status are dropped: the old protocol has neither. Returns false for a payload that
    /// does not decode.
    pub fn capture(&mut self, kind: TopicKind, payload: &[u8]) -> bool {
        match kind {
            TopicKind::Sensor => match decode_many::<SensorReading>(payload) {
                Some(readings) => {
                    for reading in readings {
                        self.stats.readings_captured += 1;
                        self.readings.insert(reading.device_id.0, reading);
                    }
                    true
                }
                None => false,
            },
            TopicKind::Breaker => match decode_many::<BreakerReading>(payload) {
                Some(readings) => {
                    if let Some(last) = readings.last() {
                        self.breaker_ma = Some(last.current_ma);
                    }
                    true
                }
                None => false,
            },
            _ => true,
        }
    }
}

/// A JSON object or an array of them.
fn decode_many<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Option<Vec<T>> {
    match payload.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => serde_json::from_slice(payload).ok(),
        _ => serde_json::from_slice(payload).ok().map(|one| vec![one]),
    }
}

/// A read-only view of a legacy HTTP uplink's state (cheap to clone).
#[derive(Debug, Clone)]
pub struct LegacyHandle {
    shared: SharedState,
}

impl LegacyHandle {
    /// A view of `shared`.
    pub fn new(shared: SharedState) -> LegacyHandle {
        LegacyHandle { shared }
    }

    /// The counters.
    pub fn stats(&self) -> LegacyStats {
        lock(&self.shared).stats
    }

    /// The device table learnt from `/api/devices/`, in order.
    pub fn devices(&self) -> Vec<DeviceId> {
        lock(&self.shared)
            .devices
            .iter()
            .map(|&d| DeviceId(d))
            .collect()
    }

    /// The latest reading captured for an outlet.
    pub fn latest(&self, device: DeviceId) -> Option<SensorReading> {
        lock(&self.shared).readings.get(&device.0).cloned()
    }

    /// The latest breaker load captured (mA).
    pub fn breaker_ma(&self) -> Option<i64> {
        lock(&self.shared).breaker_ma
    }

    /// The last commands executed (at most [`EXECUTED_KEPT`]), oldest first, with the cycle
    /// that fetched each.
    pub fn executed(&self) -> Vec<Executed> {
        lock(&self.shared).executed.iter().copied().collect()
    }
}
