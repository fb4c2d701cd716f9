//! Steps that outlet and breaker readings share: the reading's time, which readings get a
//! history row, the noise floor, and the load-threshold condition with its alert.

use super::{HistoryPolicy, IngestError, Rejection, Window};
use crate::alerts::{AlertKey, AlertText, Threshold};
use crate::app::Backend;
use crate::domain::Source;

/// `v` below `floor` reads as 0 (sensor noise of an idle socket).
pub(super) fn noise_floor(v: i64, floor: i64) -> i64 {
    if v < floor { 0 } else { v }
}

impl Backend {
    /// The reading's time: its `ts` if inside the window of `[ingest]`, now if it has none.
    pub(super) fn reading_time(&self, ts: Option<u64>, now: i64) -> Result<i64, Rejection> {
        Window::of(&self.inner.settings.ingest).check(ts, now)
    }

    /// Which readings get history rows (`[history]`, `[ingest]`).
    pub(super) fn history_policy(&self) -> HistoryPolicy {
        HistoryPolicy::new(
            self.inner.settings.history.interval,
            self.inner.settings.ingest.max_reading_age,
        )
    }

    /// Brings the alert of a load threshold in line with `load` (hysteresis of
    /// `[alerts]`); nothing without a threshold.
    pub(super) async fn load_threshold(
        &self,
        key: AlertKey,
        threshold: i64,
        load: i64,
        text: impl FnOnce() -> AlertText,
    ) -> Result<(), IngestError> {
        if threshold <= 0 {
            return Ok(());
        }
        let rule = Threshold {
            threshold,
            hysteresis_pct: self.inner.settings.alerts.hysteresis_pct,
        };
        let was_active = self.alert_active(&key).await;
        if let Some(holds) = rule.holds(was_active, load) {
            self.set_condition(key, holds, Source::Server, text).await?;
        }
        Ok(())
    }
}
