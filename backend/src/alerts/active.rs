//! The alert book: which conditions have an active alert, and the threshold rule that
//! decides when a load condition starts and ends. Knows nothing of the services.

use crate::domain::{AlertKind, AlertRecord};
use std::collections::HashMap;
use tokio::sync::{Mutex, MutexGuard};

/// Identifies one condition: at most one active alert per key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlertKey {
    /// Kind.
    pub kind: AlertKind,
    /// CCU.
    pub ccu_id: String,
    /// Outlet, for outlet alerts.
    pub outlet_id: Option<i32>,
}

/// Text and values of an alert about to be raised.
#[derive(Debug, Clone)]
pub struct AlertText {
    /// Message.
    pub message: String,
    /// Value (mA).
    pub value: Option<i64>,
    /// Threshold (mA).
    pub threshold: Option<i64>,
}

/// Active alerts by condition (alert id). Raising and clearing hold the lock across the
/// database write, so that a condition raises one alert however many readings race.
#[derive(Debug, Default)]
pub struct ActiveAlerts(Mutex<HashMap<AlertKey, i32>>);

impl ActiveAlerts {
    /// Exclusive access while one condition is brought in line.
    pub(crate) async fn lock(&self) -> MutexGuard<'_, HashMap<AlertKey, i32>> {
        self.0.lock().await
    }

    /// Learns of an alert another instance raised, cleared or acknowledged (through the
    /// live fan-out), so that this book agrees with the database: a cleared alert no longer
    /// counts as active here, a raised one is not raised again.
    pub async fn learn(&self, alert: &AlertRecord) {
        let Some(ccu_id) = alert.ccu_id.clone() else {
            return;
        };
        let key = AlertKey {
            kind: alert.kind,
            ccu_id,
            outlet_id: alert.outlet_id,
        };
        let mut map = self.0.lock().await;
        if alert.active() {
            map.insert(key, alert.id);
        } else if map.get(&key) == Some(&alert.id) {
            map.remove(&key);
        }
    }

    /// True while the condition's alert is active.
    pub async fn contains(&self, key: &AlertKey) -> bool {
        self.0.lock().await.contains_key(key)
    }
}

/// A load threshold with hysteresis: above `threshold` starts the condition, below
/// `threshold × (100 − hysteresis_pct) %` ends it.
#[derive(Debug, Clone, Copy)]
pub struct Threshold {
    /// Threshold (mA); 0 means none.
    pub threshold: i64,
    /// Hysteresis (% of the threshold).
    pub hysteresis_pct: u8,
}

impl Threshold {
    /// Whether the condition holds after `load`, given whether it held before; `None`
    /// without a threshold.
    pub fn holds(self, was_active: bool, load: i64) -> Option<bool> {
        if self.threshold <= 0 {
            return None;
        }
        let clear_below = self.threshold * (100 - i64::from(self.hysteresis_pct)) / 100;
        Some(if was_active {
            load >= clear_below
        } else {
            load > self.threshold
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Threshold;

    #[test]
    fn threshold_has_hysteresis() {
        let t = Threshold {
            threshold: 1000,
            hysteresis_pct: 10,
        };
        assert_eq!(t.holds(false, 1000), Some(false));
        assert_eq!(t.holds(false, 1001), Some(true));
        assert_eq!(t.holds(true, 950), Some(true));
        assert_eq!(t.holds(true, 899), Some(false));
        assert_eq!(t.holds(true, 900), Some(true));
        let none = Threshold {
            threshold: 0,
            hysteresis_pct: 10,
        };
        assert_eq!(none.holds(false, 5000), None);
    }
}
