//! One main-breaker reading, as a pipeline: validate (current, time, noise floor) → state →
//! history → rules (threshold alert) → live. The CCU was authorized by its topic or
//! address before.

use super::IngestError;
use super::received_now;
use super::steps::noise_floor;
use crate::alerts::{AlertKey, AlertText};
use crate::app::Backend;
use crate::domain::AlertKind;
use crate::live::LiveEvent;
use crate::registry::CcuEntry;
use crate::store::BreakerRow;
use crate::store::batch::CcuLatest;
use crate::writer::WriteOp;
use ccu_core::protocol::BreakerReading;

/// A breaker reading that passed validation.
struct Valid {
    /// Load after the noise floor (mA).
    ma: i64,
    /// When (unix ms).
    ts: i64,
    /// When it arrived (unix ms).
    now: i64,
    /// Its history row's slot ([`super::history_gate::HistoryPolicy::slot`]).
    slot: Option<i64>,
}

impl Backend {
    /// Ingests one breaker reading of `ccu` (MQTT or the legacy HTTP shim).
    #[tracing::instrument(level = "debug", name = "breaker", skip_all, fields(ccu = %ccu.id))]
    pub async fn ingest_breaker(
        &self,
        ccu: &CcuEntry,
        r: BreakerReading,
    ) -> Result<(), IngestError> {
        let v = self.validate_breaker(&r)?;
        let (live, store_history) = self.breaker_state(ccu, &v);
        self.record_breaker_history(ccu, &v, live, store_history)
            .await;
        self.inner
            .metrics
            .ingested(crate::metrics::Transport::Mqtt, 0);
        if !live {
            return Ok(());
        }
        self.breaker_rules(ccu, &v).await?;
        if let Err(e) = self.auto_cutoff(ccu, v.ma).await {
            tracing::warn!(ccu = %ccu.id, cause = %e, "automatic cut-off failed");
        }
        self.inner.live.send(LiveEvent::Breaker {
            user_id: ccu.owner_id,
            ccu_id: ccu.id.clone(),
            current_ma: v.ma,
            threshold_ma: ccu.breaker_threshold_ma,
            ts: v.ts,
        });
        Ok(())
    }

    fn validate_breaker(&self, r: &BreakerReading) -> Result<Valid, IngestError> {
        let s = &self.inner.settings.ingest;
        super::payload::check_breaker_current(r, s.max_breaker_ma)?;
        let now = received_now();
        let ts = self.reading_time(r.ts, now)?;
        Ok(Valid {
            ma: noise_floor(r.current_ma, s.breaker_noise_floor_ma),
            ts,
            now,
            slot: self.history_policy().slot(ts, r.ts.is_some()),
        })
    }

    /// Applies the reading to the CCU's live state if it is the newest; (live, history).
    fn breaker_state(&self, ccu: &CcuEntry, v: &Valid) -> (bool, bool) {
        let policy = self.history_policy();
        self.inner.state.with_ccu(&ccu.id, |st| {
            let live = st.breaker_at.is_none_or(|at| v.ts >= at);
            let store_history =
                policy.admit(&mut st.last_history_ts, &mut st.backfill, v.ts, v.now);
            if live {
                st.breaker_ma = Some(v.ma);
                st.breaker_at = Some(v.ts);
            }
            (live, store_history)
        })
    }

    async fn record_breaker_history(
        &self,
        ccu: &CcuEntry,
        v: &Valid,
        live: bool,
        store_history: bool,
    ) {
        if store_history {
            self.inner
                .writer
                .send(WriteOp::Breaker(BreakerRow {
                    ccu_id: ccu.id.clone(),
                    ts: v.ts,
                    current_ma: v.ma,
                    threshold_ma: ccu.breaker_threshold_ma,
                    slot: v.slot,
                }))
                .await;
        }
        if live {
            let latest = CcuLatest {
                breaker: Some((v.ma, v.ts)),
                last_seen: v.now,
            };
            self.inner
                .writer
                .send(WriteOp::Ccu(ccu.id.clone(), latest))
                .await;
        }
    }

    async fn breaker_rules(&self, ccu: &CcuEntry, v: &Valid) -> Result<(), IngestError> {
        let key = AlertKey {
            kind: AlertKind::BreakerThreshold,
            ccu_id: ccu.id.clone(),
            outlet_id: None,
        };
        let (name, id, ma) = (&ccu.name, &ccu.id, v.ma);
        let threshold = ccu.breaker_threshold_ma;
        self.load_threshold(key, threshold, ma, || AlertText {
            message: format!(
                "Main breaker of {name} ({id}) at {ma} mA, above its {threshold} mA threshold"
            ),
            value: Some(ma),
            threshold: Some(threshold),
        })
        .await
    }
}
