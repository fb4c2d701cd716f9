//! Frame loss: each transmission is lost with a fixed probability, drawn from a seeded RNG.
//!
//! One number is drawn per transmission whatever the rate, so the same seed loses the same
//! transmissions (by order on the air) in every run.

use crate::SimError;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Decides which transmissions are lost.
#[derive(Debug, Clone)]
pub struct FrameLoss {
    rate: f64,
    rng: StdRng,
    drawn: u64,
    lost: u64,
}

impl FrameLoss {
    /// Loses each transmission with probability `rate` (0..=1), reproducibly from `seed`.
    pub fn new(rate: f64, seed: u64) -> Result<FrameLoss, SimError> {
        if !(0.0..=1.0).contains(&rate) {
            return Err(SimError::InvalidLossRate(rate));
        }
        Ok(FrameLoss {
            rate,
            rng: StdRng::seed_from_u64(seed),
            drawn: 0,
            lost: 0,
        })
    }

    /// A perfect link.
    pub fn none() -> FrameLoss {
        FrameLoss {
            rate: 0.0,
            rng: StdRng::seed_from_u64(0),
            drawn: 0,
            lost: 0,
        }
    }

    /// The loss probability.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Draws for the next transmission: true when it is lost.
    pub fn lose(&mut self) -> bool {
        let x: f64 = self.rng.random();
        self.drawn += 1;
        let lost = x < self.rate;
        self.lost += u64::from(lost);
        lost
    }

    /// Transmissions decided so far.
    pub fn drawn(&self) -> u64 {
        self.drawn
    }

    /// Transmissions lost so far.
    pub fn lost(&self) -> u64 {
        self.lost
    }
}
