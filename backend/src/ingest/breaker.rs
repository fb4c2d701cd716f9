//! Main-breaker readings: validation, noise floor, latest state, history, threshold alert.

use super::Rejection;
use crate::alerts::{AlertKey, AlertText};
use crate::app::Backend;
use crate::clock;
use crate::domain::{AlertKind, Source};
use crate::live::LiveEvent;
use crate::registry::CcuEntry;
use crate::store::BreakerRow;
use crate::store::batch::CcuLatest;
use crate::writer::WriteOp;
use ccu_core::protocol::BreakerReading;

impl Backend {
    /// Ingests one breaker reading of `ccu` (MQTT or the legacy HTTP shim).
    pub async fn ingest_breaker(&self, ccu: &CcuEntry, r: BreakerReading) -> Result<(), Rejection> {
        let s = &self.inner.settings.ingest;
        super::payload::check_breaker_current(&r, s.max_breaker_ma)?;
        let now = clock::now_ms();
        let ts = self.reading_time(r.ts, now)?;
        let ma = if r.current_ma < s.breaker_noise_floor_ma {
            0
        } else {
            r.current_ma
        };
        let policy = self.history_policy();
        let (live, store_history) = self.inner.state.with_ccu(&ccu.id, |st| {
            let live = st.breaker_at.is_none_or(|at| ts >= at);
            let store_history = policy.admit(&mut st.last_history_ts, &mut st.backfill, ts, now);
            if live {
                st.breaker_ma = Some(ma);
                st.breaker_at = Some(ts);
            }
            (live, store_history)
        });
        let threshold = ccu.breaker_threshold_ma;
        if store_history {
            self.inner
                .writer
                .send(WriteOp::Breaker(BreakerRow {
                    ccu_id: ccu.id.clone(),
                    ts,
                    current_ma: ma,
                    threshold_ma: threshold,
                }))
                .await;
        }
        self.inner
            .metrics
            .ingested(crate::metrics::Transport::Mqtt, 0);
        if !live {
            return Ok(());
        }
        self.inner
            .writer
            .send(WriteOp::Ccu(
                ccu.id.clone(),
                CcuLatest {
                    breaker: Some((ma, ts)),
                    last_seen: now,
                },
            ))
            .await;
        if threshold > 0 {
            let key = AlertKey {
                kind: AlertKind::BreakerThreshold,
                ccu_id: ccu.id.clone(),
                outlet_id: None,
            };
            let active = self.alert_active(&key).await;
            let clear_below =
                threshold * (100 - i64::from(self.inner.settings.alerts.hysteresis_pct)) / 100;
            let now_active = if active {
                ma >= clear_below
            } else {
                ma > threshold
            };
            let (name, id) = (ccu.name.clone(), ccu.id.clone());
            self.set_condition(key, now_active, Source::Server, || AlertText {
                message: format!(
                    "Main breaker of {name} ({id}) at {ma} mA, above its {threshold} mA threshold"
                ),
                value: Some(ma),
                threshold: Some(threshold),
            })
            .await
            .map_err(Rejection::internal)?;
        }
        self.inner.live.send(LiveEvent::Breaker {
            user_id: ccu.owner_id,
            ccu_id: ccu.id.clone(),
            current_ma: ma,
            threshold_ma: threshold,
            ts,
        });
        Ok(())
    }
}
