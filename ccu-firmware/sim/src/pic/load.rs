//! What an appliance plugged into a socket draws: a constant, or any function of time.

use std::fmt;
use std::sync::Arc;

/// A socket's load in mA, as a function of the simulation time (ms since boot).
///
/// The current only flows while the socket's relay is closed; the profile says what the
/// appliance *would* draw.
#[derive(Clone)]
pub enum LoadProfile {
    /// The same draw all the time.
    Constant(u32),
    /// A draw that varies with time (ms since the simulated boot).
    Varying(Arc<dyn Fn(u64) -> u32 + Send + Sync>),
}

impl LoadProfile {
    /// Nothing plugged in.
    pub const NONE: LoadProfile = LoadProfile::Constant(0);

    /// A constant draw.
    pub const fn constant(ma: u32) -> LoadProfile {
        LoadProfile::Constant(ma)
    }

    /// A draw computed from the time (ms since boot).
    pub fn from_fn(f: impl Fn(u64) -> u32 + Send + Sync + 'static) -> LoadProfile {
        LoadProfile::Varying(Arc::new(f))
    }

    /// A triangle wave between `base_ma` and `base_ma + swing_ma` with the given period,
    /// starting at `phase_ms` (a fridge cycling, a heater with a thermostat).
    pub fn wave(base_ma: u32, swing_ma: u32, period_ms: u64, phase_ms: u64) -> LoadProfile {
        let period = period_ms.max(2);
        LoadProfile::from_fn(move |t| {
            let x = (t + phase_ms) % period;
            let half = period / 2;
            let up = if x < half { x } else { period - x };
            let extra = u64::from(swing_ma) * up / half;
            base_ma.saturating_add(u32::try_from(extra).unwrap_or(u32::MAX))
        })
    }

    /// The draw at `t_ms`.
    pub fn at(&self, t_ms: u64) -> u32 {
        match self {
            LoadProfile::Constant(ma) => *ma,
            LoadProfile::Varying(f) => f(t_ms),
        }
    }
}

impl Default for LoadProfile {
    fn default() -> Self {
        LoadProfile::NONE
    }
}

impl fmt::Debug for LoadProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadProfile::Constant(ma) => write!(f, "Constant({ma} mA)"),
            LoadProfile::Varying(_) => f.write_str("Varying(..)"),
        }
    }
}

impl From<u32> for LoadProfile {
    fn from(ma: u32) -> Self {
        LoadProfile::Constant(ma)
    }
}
