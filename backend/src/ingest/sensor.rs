//! One outlet reading, as a pipeline of named steps: authorize (the outlet is this CCU's)
//! → validate (currents, time, noise floor) → state → history → rules (relays, presence,
//! alerts) → live. Decoding happened before (`payload`).

use super::received_now;
use super::steps::noise_floor;
use super::{IngestError, Rejection};
use crate::alerts::{AlertKey, AlertText};
use crate::app::Backend;
use crate::domain::{AlertKind, Socket, Source};
use crate::live::LiveEvent;
use crate::metrics::RejectReason;
use crate::registry::{CcuEntry, OutletEntry, OutletLookup};
use crate::store::{OutletLatest, SensorRow};
use crate::writer::WriteOp;
use ccu_core::protocol::{OVERLOAD_MA, SensorReading};

/// A reading that passed validation.
struct Valid {
    /// Socket currents after the noise floor (None: not reported).
    a: Option<i64>,
    b: Option<i64>,
    /// Relay states the outlet reported.
    relay_a: Option<bool>,
    relay_b: Option<bool>,
    /// Overload trip (flag or the overload value).
    overload: bool,
    /// When (unix ms).
    ts: i64,
    /// When it arrived (unix ms).
    now: i64,
    /// Its history row's slot ([`super::history_gate::HistoryPolicy::slot`]).
    slot: Option<i64>,
}

/// What the reading changed in the live state.
struct Change {
    /// Newer than the state (an older one only fills history).
    live: bool,
    /// The outlet was offline.
    came_back: bool,
    /// It gets a history row.
    store_history: bool,
    /// Relays whose reported state differs from the known one.
    relays: Vec<(Socket, bool)>,
}

impl Backend {
    #[tracing::instrument(level = "debug", name = "reading", skip_all, fields(ccu = %ccu.id, device = %r.device_id))]
    pub(super) async fn ingest_reading(
        &self,
        ccu: &CcuEntry,
        r: SensorReading,
    ) -> Result<(), IngestError> {
        let outlet = self.authorize_outlet(ccu, &r)?;
        let reading = self.validate_reading(&r)?;
        let change = self.outlet_state(&outlet, &reading);
        self.record_outlet_history(&outlet, &reading, &change).await;
        if !change.live {
            return Ok(());
        }
        self.outlet_rules(ccu, &outlet, &reading, change).await?;
        // Last, so that a subscriber that sees the reading sees its alerts done too.
        self.outlet_live(ccu, &outlet, &reading);
        Ok(())
    }

    /// The outlet must be registered, and to this CCU.
    fn authorize_outlet(
        &self,
        ccu: &CcuEntry,
        r: &SensorReading,
    ) -> Result<OutletEntry, Rejection> {
        match self.inner.registry.lookup(&ccu.id, r.device_id) {
            OutletLookup::Found(o) => Ok(o),
            OutletLookup::Foreign => Err(Rejection::new(
                RejectReason::ForeignOutlet,
                format!("outlet {} does not belong to CCU {}", r.device_id, ccu.id),
            )),
            OutletLookup::Unknown => Err(Rejection::new(
                RejectReason::UnknownOutlet,
                format!("outlet {} is not registered", r.device_id),
            )),
        }
    }

    /// Plausible currents, a time inside the window; the noise floor applied.
    fn validate_reading(&self, r: &SensorReading) -> Result<Valid, Rejection> {
        let s = &self.inner.settings.ingest;
        super::payload::check_outlet_currents(r, s.max_outlet_ma)?;
        let now = received_now();
        let ts = self.reading_time(r.ts, now)?;
        let floor = |v: Option<i64>| v.map(|v| noise_floor(v, s.outlet_noise_floor_ma));
        let (a, b) = (floor(r.current_a), floor(r.current_b));
        Ok(Valid {
            a,
            b,
            relay_a: r.relay_a,
            relay_b: r.relay_b,
            overload: r.is_overload || a == Some(OVERLOAD_MA) || b == Some(OVERLOAD_MA),
            ts,
            now,
            slot: self.history_policy().slot(ts, r.ts.is_some()),
        })
    }

    /// Applies the reading to the outlet's live state, if it is the newest.
    fn outlet_state(&self, outlet: &OutletEntry, v: &Valid) -> Change {
        let policy = self.history_policy();
        self.inner.state.with_outlet(outlet.id, |st| {
            let live = st.last_seen.is_none_or(|seen| v.ts >= seen);
            let store_history =
                policy.admit(&mut st.last_history_ts, &mut st.backfill, v.ts, v.now);
            let mut change = Change {
                live,
                came_back: false,
                store_history,
                relays: Vec::new(),
            };
            if live {
                change.came_back = !st.online;
                st.current_a = v.a;
                st.current_b = v.b;
                st.is_overload = v.overload;
                st.last_seen = Some(v.ts);
                st.online = true;
                for (socket, reported, slot) in [
                    (Socket::A, v.relay_a, &st.relay_a),
                    (Socket::B, v.relay_b, &st.relay_b),
                ] {
                    if let Some(on) = reported
                        && *slot != Some(on)
                    {
                        change.relays.push((socket, on));
                    }
                }
            }
            change
        })
    }

    /// Queues the history row (if admitted) and the outlet's newest values.
    async fn record_outlet_history(&self, outlet: &OutletEntry, v: &Valid, change: &Change) {
        let writer = &self.inner.writer;
        if change.store_history {
            writer
                .send(WriteOp::Sensor(SensorRow {
                    outlet_id: outlet.id,
                    ts: v.ts,
                    current_a: v.a.unwrap_or(0),
                    current_b: v.b.unwrap_or(0),
                    relay_a: v.relay_a,
                    relay_b: v.relay_b,
                    is_overload: v.overload,
                    slot: v.slot,
                }))
                .await;
        }
        if change.live {
            let latest = OutletLatest {
                current_a: v.a,
                current_b: v.b,
                relay_a: None,
                relay_b: None,
                is_overload: Some(v.overload),
                last_seen: Some(v.ts),
            };
            writer.send(WriteOp::Outlet(outlet.id, latest)).await;
        }
    }

    /// Relay confirmations, the outlet's return, the overload and threshold alerts.
    async fn outlet_rules(
        &self,
        ccu: &CcuEntry,
        outlet: &OutletEntry,
        v: &Valid,
        change: Change,
    ) -> Result<(), IngestError> {
        for (socket, on) in change.relays {
            self.set_relay(outlet.id, socket, on, Source::Device)
                .await?;
        }
        if change.came_back {
            self.outlet_back(&ccu.id, outlet.id, ccu.owner_id, v.ts)
                .await?;
        }
        let label = |v: Option<i64>| match v {
            Some(OVERLOAD_MA) => "OVERLOAD".to_string(),
            Some(v) => format!("{v}mA"),
            None => "unknown".to_string(),
        };
        let (la, lb) = (label(v.a), label(v.b));
        let (name, dev) = (&outlet.name, outlet.device_id);
        let key = |kind| AlertKey {
            kind,
            ccu_id: ccu.id.clone(),
            outlet_id: Some(outlet.id),
        };
        self.set_condition(key(AlertKind::Overload), v.overload, Source::Device, || {
            AlertText {
                message: format!("Overload trip on {name} ({dev})! Socket A: {la}, Socket B: {lb}"),
                value: Some(OVERLOAD_MA),
                threshold: None,
            }
        })
        .await?;
        let threshold = outlet.threshold_ma;
        let load = [v.a, v.b]
            .into_iter()
            .flatten()
            .filter(|v| *v != OVERLOAD_MA)
            .max()
            .unwrap_or(0);
        self.load_threshold(key(AlertKind::OutletThreshold), threshold, load, || AlertText {
            message: format!("Threshold ({threshold}mA) exceeded on {name} ({dev})! Socket A: {la}, Socket B: {lb}"),
            value: Some(load),
            threshold: Some(threshold),
        })
        .await
    }

    /// Tells the owner's live views.
    fn outlet_live(&self, ccu: &CcuEntry, outlet: &OutletEntry, v: &Valid) {
        let st = self.inner.state.outlet(outlet.id).unwrap_or_default();
        self.inner.live.send(LiveEvent::Reading {
            user_id: ccu.owner_id,
            ccu_id: ccu.id.clone(),
            outlet_id: outlet.id,
            device_id: outlet.device_id.to_string(),
            current_a: v.a.unwrap_or(0),
            current_b: v.b.unwrap_or(0),
            relay_a: st.relay_a,
            relay_b: st.relay_b,
            is_overload: v.overload,
            ts: v.ts,
        });
    }
}
