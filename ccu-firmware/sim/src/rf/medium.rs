//! The air between one CCU and its PICs: serialised transmissions, 8.3 ms per frame, losses.
//!
//! Time is passed in (µs since the simulated boot) and events are processed lazily, in time
//! order, whenever the medium is touched: a CCU frame reaches every PIC when its last byte is
//! on the air; a PIC answers after its turnaround, once the air is free; the CCU can read an
//! answer's bytes once its last byte arrived. The air carries one transmission at a time, so
//! two REPORT_DATA frames take 16.7 ms. PIC→CCU frames are not fed to the other PICs (they
//! would drop them anyway: wrong target).

use super::{FrameLoss, air_time_us};
use crate::SimError;
use crate::pic::SimPic;
use ccu_core::protocol::DeviceId;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// How the air behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct RfSettings {
    /// Probability that a transmission is lost (0..=1).
    pub loss_rate: f64,
    /// Seed of the loss RNG.
    pub seed: u64,
    /// From the end of a received frame to the start of the PIC's answer (µs).
    pub pic_turnaround_us: u64,
}

impl Default for RfSettings {
    /// A perfect link, seed 0, 2 ms PIC turnaround.
    fn default() -> Self {
        RfSettings {
            loss_rate: 0.0,
            seed: 0,
            pic_turnaround_us: 2_000,
        }
    }
}

/// Traffic counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AirStats {
    /// Transmissions by the CCU.
    pub ccu_transmissions: u64,
    /// Frames sent by PICs.
    pub pic_frames: u64,
    /// Transmissions lost (either direction).
    pub lost: u64,
}

#[derive(Debug, Clone)]
struct Transmission {
    end_us: u64,
    bytes: Vec<u8>,
}

/// A medium shared by the CCU's radio, its ADC and the test controls.
pub type SharedMedium = Arc<Mutex<RfMedium>>;

/// Locks a shared medium (a panic while holding it cannot leave it half-updated in a way
/// that matters to a simulation, so poisoning is ignored).
pub fn lock(medium: &SharedMedium) -> MutexGuard<'_, RfMedium> {
    medium.lock().unwrap_or_else(|e| e.into_inner())
}

/// The air and the PICs on it.
#[derive(Debug)]
pub struct RfMedium {
    pics: Vec<SimPic>,
    loss: FrameLoss,
    turnaround_us: u64,
    air_free_us: u64,
    to_pics: VecDeque<Transmission>,
    to_ccu: VecDeque<Transmission>,
    rx: VecDeque<u8>,
    now_us: u64,
    stats: AirStats,
}

impl RfMedium {
    /// An empty air.
    pub fn new(settings: &RfSettings) -> Result<RfMedium, SimError> {
        Ok(RfMedium {
            pics: Vec::new(),
            loss: FrameLoss::new(settings.loss_rate, settings.seed)?,
            turnaround_us: settings.pic_turnaround_us,
            air_free_us: 0,
            to_pics: VecDeque::new(),
            to_ccu: VecDeque::new(),
            rx: VecDeque::new(),
            now_us: 0,
            stats: AirStats::default(),
        })
    }

    /// Wraps it for sharing.
    pub fn shared(self) -> SharedMedium {
        Arc::new(Mutex::new(self))
    }

    /// Puts a PIC in range; [`SimError::DuplicateOutlet`] if its id is taken.
    pub fn add_pic(&mut self, pic: SimPic) -> Result<(), SimError> {
        if self.pics.iter().any(|p| p.id() == pic.id()) {
            return Err(SimError::DuplicateOutlet(pic.id()));
        }
        self.pics.push(pic);
        Ok(())
    }

    /// The PICs, in the order added.
    pub fn pics(&self) -> &[SimPic] {
        &self.pics
    }

    /// A PIC brought up to `now_us` (its trips and retries applied).
    pub fn pic_at(&mut self, id: DeviceId, now_us: u64) -> Result<&mut SimPic, SimError> {
        self.run_until(now_us);
        let pic = self
            .pics
            .iter_mut()
            .find(|p| p.id() == id)
            .ok_or(SimError::UnknownOutlet(id))?;
        pic.advance(now_us / 1000);
        Ok(pic)
    }

    /// Traffic counters.
    pub fn stats(&self) -> AirStats {
        AirStats {
            lost: self.loss.lost(),
            ..self.stats
        }
    }

    /// The CCU's HC-12 sends `bytes` at `now_us` (on the air once the air is free).
    pub fn transmit(&mut self, now_us: u64, bytes: &[u8]) {
        self.run_until(now_us);
        self.stats.ccu_transmissions += 1;
        let end_us = self.occupy(now_us, bytes.len());
        if !self.loss.lose() {
            self.to_pics.push_back(Transmission {
                end_us,
                bytes: bytes.to_vec(),
            });
        }
    }

    /// Copies the bytes the CCU's UART has received by `now_us` into `buf`.
    pub fn receive(&mut self, now_us: u64, buf: &mut [u8]) -> usize {
        self.run_until(now_us);
        let n = buf.len().min(self.rx.len());
        for (slot, byte) in buf.iter_mut().zip(self.rx.drain(..n)) {
            *slot = byte;
        }
        n
    }

    /// When something next happens on the air (µs), if anything is in flight.
    pub fn next_event_us(&self) -> Option<u64> {
        let pics = self.to_pics.front().map(|t| t.end_us);
        let ccu = self.to_ccu.front().map(|t| t.end_us);
        match (pics, ccu) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Bytes waiting in the CCU's UART.
    pub fn pending_rx(&self) -> usize {
        self.rx.len()
    }

    /// Total current through every PIC at `now_us` (mA): what the breaker clamp sees.
    pub fn total_current_ma(&mut self, now_us: u64) -> u32 {
        self.run_until(now_us);
        let now_ms = now_us / 1000;
        self.pics
            .iter_mut()
            .map(|p| p.flowing_ma(now_ms))
            .fold(0, u32::saturating_add)
    }

    /// Delivers everything on the air that ended by `now_us`, in time order.
    pub fn run_until(&mut self, now_us: u64) {
        self.now_us = self.now_us.max(now_us);
        loop {
            let to_pics = self.to_pics.front().map(|t| t.end_us);
            let to_ccu = self.to_ccu.front().map(|t| t.end_us);
            match (to_pics, to_ccu) {
                (Some(p), c) if p <= self.now_us && c.is_none_or(|c| p <= c) => {
                    if let Some(t) = self.to_pics.pop_front() {
                        self.deliver_to_pics(t);
                    }
                }
                (_, Some(c)) if c <= self.now_us => {
                    if let Some(t) = self.to_ccu.pop_front() {
                        self.rx.extend(t.bytes);
                    }
                }
                _ => return,
            }
        }
    }

    fn deliver_to_pics(&mut self, t: Transmission) {
        let now_ms = t.end_us / 1000;
        let mut replies = Vec::new();
        for pic in &mut self.pics {
            replies.extend(pic.hear(&t.bytes, now_ms));
        }
        let mut start = t.end_us + self.turnaround_us;
        for frame in replies {
            let bytes = frame.encode();
            let end_us = self.occupy(start, bytes.len());
            start = end_us;
            self.stats.pic_frames += 1;
            if !self.loss.lose() {
                self.to_ccu.push_back(Transmission {
                    end_us,
                    bytes: bytes.to_vec(),
                });
            }
        }
    }

    /// Reserves the air for `n_bytes` from `at_us` (or when it is free); returns the end.
    fn occupy(&mut self, at_us: u64, n_bytes: usize) -> u64 {
        let start = at_us.max(self.air_free_us);
        let end = start + air_time_us(n_bytes);
        self.air_free_us = end;
        end
    }
}
