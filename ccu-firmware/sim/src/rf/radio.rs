//! The CCU's HC-12 on the simulated air: `ccu_core::hal::Radio` over a [`SharedMedium`].

use super::medium::{SharedMedium, lock};
use crate::clock::SimClock;
use ccu_core::hal::Radio;
use std::convert::Infallible;

/// The CCU's end of the air; writes go on the air at the clock's time.
#[derive(Debug, Clone)]
pub struct SimRadio {
    medium: SharedMedium,
    clock: SimClock,
}

impl SimRadio {
    /// A radio on `medium`, timed by `clock`.
    pub fn new(medium: SharedMedium, clock: SimClock) -> SimRadio {
        SimRadio { medium, clock }
    }

    /// The air it is on.
    pub fn medium(&self) -> &SharedMedium {
        &self.medium
    }
}

impl Radio for SimRadio {
    type Error = Infallible;

    fn write(&mut self, bytes: &[u8]) -> Result<(), Infallible> {
        lock(&self.medium).transmit(self.clock.now_us(), bytes);
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        Ok(lock(&self.medium).receive(self.clock.now_us(), buf))
    }
}
