//! Outlet readings: validation, noise floor, latest state, history, alerts, live stream.

use super::Rejection;
use crate::alerts::{AlertKey, AlertText};
use crate::app::Backend;
use crate::clock;
use crate::domain::{AlertKind, Socket, Source};
use crate::live::LiveEvent;
use crate::metrics::RejectReason;
use crate::registry::{CcuEntry, OutletLookup};
use crate::store::{OutletLatest, SensorRow};
use crate::writer::WriteOp;
use ccu_core::protocol::{OVERLOAD_MA, SensorReading};

impl Backend {
    pub(super) async fn ingest_reading(
        &self,
        ccu: &CcuEntry,
        r: SensorReading,
    ) -> Result<(), Rejection> {
        let outlet = match self.inner.registry.lookup(&ccu.id, r.device_id) {
            OutletLookup::Found(o) => o,
            OutletLookup::Foreign => {
                return Err(Rejection::new(
                    RejectReason::ForeignOutlet,
                    format!("outlet {} does not belong to CCU {}", r.device_id, ccu.id),
                ));
            }
            OutletLookup::Unknown => {
                return Err(Rejection::new(
                    RejectReason::UnknownOutlet,
                    format!("outlet {} is not registered", r.device_id),
                ));
            }
        };
        let s = &self.inner.settings.ingest;
        super::payload::check_outlet_currents(&r, s.max_outlet_ma)?;
        let now = clock::now_ms();
        let ts = self.reading_time(r.ts, now)?;
        let floor = |v: Option<i64>| v.map(|v| if v < s.outlet_noise_floor_ma { 0 } else { v });
        let (a, b) = (floor(r.current_a), floor(r.current_b));
        let overload = r.is_overload || a == Some(OVERLOAD_MA) || b == Some(OVERLOAD_MA);

        let policy = self.history_policy();
        let (live, came_back, store_history, relay_changes) =
            self.inner.state.with_outlet(outlet.id, |st| {
                let live = st.last_seen.is_none_or(|seen| ts >= seen);
                let store_history =
                    policy.admit(&mut st.last_history_ts, &mut st.backfill, ts, now);
                let mut came_back = false;
                let mut relay_changes = Vec::new();
                if live {
                    came_back = !st.online;
                    st.current_a = a;
                    st.current_b = b;
                    st.is_overload = overload;
                    st.last_seen = Some(ts);
                    st.online = true;
                    for (socket, reported, slot) in [
                        (Socket::A, r.relay_a, &st.relay_a),
                        (Socket::B, r.relay_b, &st.relay_b),
                    ] {
                        if let Some(on) = reported
                            && *slot != Some(on)
                        {
                            relay_changes.push((socket, on));
                        }
                    }
                }
                (live, came_back, store_history, relay_changes)
            });

        if store_history {
            self.inner
                .writer
                .send(WriteOp::Sensor(SensorRow {
                    outlet_id: outlet.id,
                    ts,
                    current_a: a.unwrap_or(0),
                    current_b: b.unwrap_or(0),
                    relay_a: r.relay_a,
                    relay_b: r.relay_b,
                    is_overload: overload,
                }))
                .await;
        }
        if !live {
            return Ok(());
        }
        self.inner
            .writer
            .send(WriteOp::Outlet(
                outlet.id,
                OutletLatest {
                    current_a: a,
                    current_b: b,
                    relay_a: None,
                    relay_b: None,
                    is_overload: Some(overload),
                    last_seen: Some(ts),
                },
            ))
            .await;
        for (socket, on) in relay_changes {
            self.set_relay(outlet.id, socket, on, Source::Device)
                .await
                .map_err(Rejection::internal)?;
        }
        if came_back {
            self.outlet_back(&ccu.id, outlet.id, ccu.owner_id, ts)
                .await
                .map_err(Rejection::internal)?;
        }
        // Alerts.
        let label = |v: Option<i64>| match v {
            Some(OVERLOAD_MA) => "OVERLOAD".to_string(),
            Some(v) => format!("{v}mA"),
            None => "unknown".to_string(),
        };
        let (la, lb) = (label(a), label(b));
        let name = outlet.name.clone();
        let dev = outlet.device_id;
        let key = |kind| AlertKey {
            kind,
            ccu_id: ccu.id.clone(),
            outlet_id: Some(outlet.id),
        };
        self.set_condition(key(AlertKind::Overload), overload, Source::Device, || {
            AlertText {
                message: format!("Overload trip on {name} ({dev})! Socket A: {la}, Socket B: {lb}"),
                value: Some(OVERLOAD_MA),
                threshold: None,
            }
        })
        .await
        .map_err(Rejection::internal)?;

        let threshold = outlet.threshold_ma;
        if threshold > 0 {
            let load = [a, b]
                .into_iter()
                .flatten()
                .filter(|v| *v != OVERLOAD_MA)
                .max()
                .unwrap_or(0);
            let k = key(AlertKind::OutletThreshold);
            let active = self.alert_active(&k).await;
            let clear_below =
                threshold * (100 - i64::from(self.inner.settings.alerts.hysteresis_pct)) / 100;
            let now_active = if active {
                load >= clear_below
            } else {
                load > threshold
            };
            self.set_condition(k, now_active, Source::Server, || AlertText {
                message: format!("Threshold ({threshold}mA) exceeded on {name} ({dev})! Socket A: {la}, Socket B: {lb}"),
                value: Some(load),
                threshold: Some(threshold),
            })
            .await
            .map_err(Rejection::internal)?;
        }
        let st = self.inner.state.outlet(outlet.id).unwrap_or_default();
        // Last, so that a subscriber that sees the reading sees its alerts done too.
        self.inner.live.send(LiveEvent::Reading {
            user_id: ccu.owner_id,
            ccu_id: ccu.id.clone(),
            outlet_id: outlet.id,
            device_id: outlet.device_id.to_string(),
            current_a: a.unwrap_or(0),
            current_b: b.unwrap_or(0),
            relay_a: st.relay_a,
            relay_b: st.relay_b,
            is_overload: overload,
            ts,
        });

        Ok(())
    }

    /// The reading's time: its `ts` if inside the window of `[ingest]`, now if it has none.
    pub(super) fn reading_time(&self, ts: Option<u64>, now: i64) -> Result<i64, Rejection> {
        super::Window::of(&self.inner.settings.ingest).check(ts, now)
    }

    /// Which readings get history rows (`[history]`, `[ingest]`).
    pub(super) fn history_policy(&self) -> super::HistoryPolicy {
        super::HistoryPolicy::new(
            self.inner.settings.history.interval,
            self.inner.settings.ingest.max_reading_age,
        )
    }
}
