//! The CCU state machine: outlets polled over RF, commands executed, readings and acks to MQTT.
//!
//! Everything happens inside [`Ccu::poll`], which reads the injected clock once and then, in
//! order: publishes presence on (re)connect, drains the radio, advances the RF exchange (or
//! starts the next command or background read), measures the breaker when due, and flushes
//! acks, the count of readings dropped while offline, and buffered readings. Incoming MQTT messages are pushed in with
//! [`Ccu::handle_message`]. There is no sleeping: the port calls `poll` in its loop, at the
//! latest at [`Tick::next_due_ms`].

mod inbox;
mod link;
mod outbox;
mod persist;
pub mod settings;
pub mod stats;

pub use inbox::Inbound;
pub use settings::{CcuSettings, MAX_CCU_ID_LEN};
pub use stats::Stats;

use crate::breaker::BreakerMeter;
use crate::buffer::RingBuffer;
use crate::exec::{CommandId, Exchange};
use crate::hal::{BreakerAdc, Clock, Hal, MqttSession, Radio};
use crate::outlet::OutletTable;
use crate::protocol::{Ack, BreakerReading, Command, SensorReading};
use crate::rf::FrameReader;
use heapless::Deque;

/// Default capacity of the offline reading buffer.
pub const DEFAULT_BUFFER_LEN: usize = 64;
/// Commands waiting for the radio.
pub const COMMAND_QUEUE_LEN: usize = 8;
/// Acks waiting for the server: room to answer a whole command queue twice over.
pub const ACK_QUEUE_LEN: usize = 2 * COMMAND_QUEUE_LEN;
/// Answers remembered by command id (a redelivered command is answered again, not run).
pub const ANSWERED_LEN: usize = 2 * COMMAND_QUEUE_LEN;
/// Breaker readings kept while offline.
pub const BREAKER_BUFFER_LEN: usize = 16;
/// Largest MQTT payload the CCU encodes (one batch chunk).
pub const MAX_PAYLOAD: usize = 1024;
/// ADC samples per breaker measurement window.
pub const BREAKER_WINDOW: usize = 512;
/// Longest topic: `ccu/` + id + `/devices`.
pub const TOPIC_LEN: usize = 4 + MAX_CCU_ID_LEN + 8;

/// What one [`Ccu::poll`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// The monotonic time this poll ran at.
    pub now_ms: u64,
    /// Poll again by then at the latest (radio bytes may of course arrive earlier).
    pub next_due_ms: u64,
}

/// Why the radio is busy.
#[derive(Debug, Clone)]
enum Purpose {
    /// A server command, acked by id when done.
    Command(CommandId),
    /// A background read of the round robin.
    Poll,
}

/// The exchange on the air and why.
#[derive(Debug, Clone)]
struct InFlight {
    exchange: Exchange,
    purpose: Purpose,
}

/// The CCU: owns its hardware ([`Hal`]) and every bounded queue; `BUF` readings are kept offline.
#[derive(Debug)]
pub struct Ccu<R, C, A, M, const BUF: usize = DEFAULT_BUFFER_LEN> {
    settings: CcuSettings,
    hal: Hal<R, C, A, M>,
    table: OutletTable,
    reader: FrameReader,
    meter: BreakerMeter,
    inflight: Option<InFlight>,
    commands: Deque<Command, COMMAND_QUEUE_LEN>,
    acks: Deque<Ack, ACK_QUEUE_LEN>,
    /// The answers to the last commands executed, by id: a command delivered again (the
    /// server re-sends what was in flight when it restarted) is answered, not executed twice.
    answered: Deque<Ack, ANSWERED_LEN>,
    readings: RingBuffer<SensorReading, BUF>,
    breaker: RingBuffer<BreakerReading, BREAKER_BUFFER_LEN>,
    last_breaker_ma: Option<u32>,
    status_published: bool,
    next_read_ms: Option<u64>,
    next_breaker_ms: Option<u64>,
    read_cursor: usize,
    stats: Stats,
}

impl<R, C, A, M, const BUF: usize> Ccu<R, C, A, M, BUF> {
    /// A CCU with an empty outlet table (filled by `ccu/<id>/devices`).
    pub fn new(settings: CcuSettings, hal: Hal<R, C, A, M>) -> Self {
        Ccu {
            settings,
            hal,
            table: OutletTable::new(),
            reader: FrameReader::new(),
            meter: BreakerMeter::new(),
            inflight: None,
            commands: Deque::new(),
            acks: Deque::new(),
            answered: Deque::new(),
            readings: RingBuffer::new(),
            breaker: RingBuffer::new(),
            last_breaker_ma: None,
            status_published: false,
            next_read_ms: None,
            next_breaker_ms: None,
            read_cursor: 0,
            stats: Stats::default(),
        }
    }

    /// The configuration.
    pub fn settings(&self) -> &CcuSettings {
        &self.settings
    }

    /// The outlet table.
    pub fn outlets(&self) -> &OutletTable {
        &self.table
    }

    /// The outlet table, e.g. to add outlets by hand (the original's local dashboard).
    pub fn outlets_mut(&mut self) -> &mut OutletTable {
        &mut self.table
    }

    /// The hardware.
    pub fn hal(&self) -> &Hal<R, C, A, M> {
        &self.hal
    }

    /// The hardware, mutably.
    pub fn hal_mut(&mut self) -> &mut Hal<R, C, A, M> {
        &mut self.hal
    }

    /// Gives the hardware back.
    pub fn into_hal(self) -> Hal<R, C, A, M> {
        self.hal
    }

    /// Readings waiting for the server.
    pub fn buffered(&self) -> &RingBuffer<SensorReading, BUF> {
        &self.readings
    }

    /// Breaker readings waiting for the server.
    pub fn buffered_breaker(&self) -> &RingBuffer<BreakerReading, BREAKER_BUFFER_LEN> {
        &self.breaker
    }

    /// Sensor and breaker readings dropped (buffer full) and not yet reported to the server.
    pub fn dropped_readings(&self) -> u32 {
        self.readings
            .dropped()
            .saturating_add(self.breaker.dropped())
    }

    /// The last breaker measurement (mA).
    pub fn last_breaker_ma(&self) -> Option<u32> {
        self.last_breaker_ma
    }

    /// Commands queued, not counting the one on the air.
    pub fn pending_commands(&self) -> usize {
        self.commands.len()
    }

    /// Acks waiting for the server.
    pub fn pending_acks(&self) -> usize {
        self.acks.len()
    }

    /// True while an RF exchange is on the air.
    pub fn is_busy(&self) -> bool {
        self.inflight.is_some()
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        let reader = self.reader.stats();
        Stats {
            frames_received: reader.frames,
            frame_errors: reader.errors,
            ..self.stats
        }
    }
}

impl<R, C, A, M, const BUF: usize> Ccu<R, C, A, M, BUF>
where
    R: Radio,
    C: Clock,
    A: BreakerAdc,
    M: MqttSession,
{
    /// Runs one step of the CCU at the clock's current time.
    pub fn poll(&mut self) -> Tick {
        let now = self.hal.clock.now_ms();
        self.schedule(now);
        self.presence();
        self.receive(now);
        self.advance(now);
        self.sample_breaker(now);
        self.flush();
        Tick {
            now_ms: now,
            next_due_ms: self.next_due(now),
        }
    }

    /// Arms the periodic schedules on the first poll (0 intervals stay disabled).
    fn schedule(&mut self, now: u64) {
        let arm = |slot: &mut Option<u64>, interval: u32| {
            if slot.is_none() && interval > 0 {
                *slot = Some(now + u64::from(interval));
            }
        };
        arm(&mut self.next_read_ms, self.settings.poll_interval_ms);
        arm(&mut self.next_breaker_ms, self.settings.breaker_interval_ms);
    }

    fn next_due(&self, now: u64) -> u64 {
        if self.inflight.is_none() && !self.commands.is_empty() {
            return now;
        }
        // A background read cannot start while an exchange is on the air, so while one is,
        // only its deadline counts (a read that fell due meanwhile starts when it ends).
        let (deadline, read) = match &self.inflight {
            Some(i) => (Some(i.exchange.deadline_ms()), None),
            None => (None, self.next_read_ms.filter(|_| !self.table.is_empty())),
        };
        [deadline, read, self.next_breaker_ms]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(u64::MAX)
    }
}
