//! Live state of every outlet and CCU: the newest reading, relays, presence, last seen.
//!
//! Always current (updated before the store is), read by the web layer; the store follows
//! within one write batch.

use crate::domain::{CcuRecord, OutletRecord};
use crate::ingest::history_gate::Backfill;
use std::collections::HashMap;
use std::sync::Mutex;

/// Newest known state of an outlet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutletState {
    /// Socket A (mA).
    pub current_a: Option<i64>,
    /// Socket B (mA).
    pub current_b: Option<i64>,
    /// Relay A as confirmed by the device.
    pub relay_a: Option<bool>,
    /// Relay B as confirmed by the device.
    pub relay_b: Option<bool>,
    /// Overload trip.
    pub is_overload: bool,
    /// Last reading (unix ms, the reading's own time).
    pub last_seen: Option<i64>,
    /// Heard from within `presence.stale_after`.
    pub online: bool,
    /// Time of the newest reading written to history.
    pub last_history_ts: Option<i64>,
    /// Budget of back-dated history rows.
    pub backfill: Backfill,
}

/// Newest known state of a CCU.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CcuState {
    /// Connected.
    pub online: bool,
    /// Firmware from its status.
    pub firmware: Option<String>,
    /// Last message (unix ms).
    pub last_seen: Option<i64>,
    /// Breaker load (mA).
    pub breaker_ma: Option<i64>,
    /// When it was measured.
    pub breaker_at: Option<i64>,
    /// Time of the newest breaker reading written to history.
    pub last_history_ts: Option<i64>,
    /// Budget of back-dated breaker history rows.
    pub backfill: Backfill,
    /// When it last went offline (unix ms).
    pub offline_at: Option<i64>,
    /// When it was first heard after a silence of more than a few cycles (unix ms): an old
    /// HTTP firmware that restarted begins its round robin anew, so its outlets' silence is
    /// counted from here.
    pub resumed_at: Option<i64>,
    /// Readings it reported it dropped (offline buffer full), summed over its reports.
    pub readings_dropped: i64,
    /// When `last_seen` was last queued for the database (where the presence sweep of
    /// whichever instance runs it reads it).
    pub last_seen_written: Option<i64>,
}

/// Both tables behind short-lived locks (never held across an await).
#[derive(Debug, Default)]
pub struct StateTable {
    outlets: Mutex<HashMap<i32, OutletState>>,
    ccus: Mutex<HashMap<String, CcuState>>,
}

impl StateTable {
    /// Learns a presence change another instance decided (through the live fan-out), so
    /// that this instance's next traffic from the device is seen as a return.
    pub fn learn_presence(&self, ccu_id: &str, outlet_id: Option<i32>, online: bool, ts: i64) {
        match outlet_id {
            None => self.with_ccu(ccu_id, |s| {
                s.online = online;
                if online {
                    s.last_seen = s.last_seen.max(Some(ts));
                } else {
                    s.offline_at = Some(ts);
                }
            }),
            Some(id) => self.with_outlet(id, |s| s.online = online),
        }
    }

    /// A relay change another instance recorded (from the fan-out): this instance then sees
    /// the next change, not this one again.
    pub fn learn_relay(&self, outlet_id: i32, socket: &str, on: bool) {
        let Some(socket) = crate::domain::Socket::parse(socket) else {
            return;
        };
        self.with_outlet(outlet_id, |s| match socket {
            crate::domain::Socket::A => s.relay_a = Some(on),
            crate::domain::Socket::B => s.relay_b = Some(on),
        });
    }

    /// Seeds from stored records (start-up).
    pub fn seed(&self, ccus: &[CcuRecord], outlets: &[OutletRecord]) {
        let mut c = self.ccus.lock().unwrap_or_else(|e| e.into_inner());
        for r in ccus {
            c.entry(r.id.clone()).or_insert(CcuState {
                online: r.online,
                firmware: r.firmware.clone(),
                last_seen: r.last_seen,
                breaker_ma: r.breaker_ma,
                breaker_at: r.breaker_at,
                last_history_ts: None,
                backfill: Backfill::default(),
                offline_at: None,
                resumed_at: None,
                readings_dropped: r.readings_dropped,
                last_seen_written: r.last_seen,
            });
        }
        drop(c);
        let mut o = self.outlets.lock().unwrap_or_else(|e| e.into_inner());
        for r in outlets {
            o.entry(r.id).or_insert(OutletState {
                current_a: r.current_a,
                current_b: r.current_b,
                relay_a: r.relay_a,
                relay_b: r.relay_b,
                is_overload: r.is_overload,
                last_seen: r.last_seen,
                online: r.online,
                last_history_ts: None,
                backfill: Backfill::default(),
            });
        }
    }

    /// Runs `f` on an outlet's state (created empty if new).
    pub fn with_outlet<T>(&self, id: i32, f: impl FnOnce(&mut OutletState) -> T) -> T {
        let mut o = self.outlets.lock().unwrap_or_else(|e| e.into_inner());
        f(o.entry(id).or_default())
    }

    /// Runs `f` on a CCU's state (created empty if new).
    pub fn with_ccu<T>(&self, id: &str, f: impl FnOnce(&mut CcuState) -> T) -> T {
        let mut c = self.ccus.lock().unwrap_or_else(|e| e.into_inner());
        f(c.entry(id.to_string()).or_default())
    }

    /// A copy of an outlet's state.
    pub fn outlet(&self, id: i32) -> Option<OutletState> {
        self.outlets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }

    /// A copy of a CCU's state.
    pub fn ccu(&self, id: &str) -> Option<CcuState> {
        self.ccus
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Every outlet's state.
    pub fn outlets(&self) -> Vec<(i32, OutletState)> {
        self.outlets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect()
    }

    /// Every CCU's state.
    pub fn ccus(&self) -> Vec<(String, CcuState)> {
        self.ccus
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Forgets removed devices.
    pub fn retain(&self, ccus: &[String], outlets: &[i32]) {
        self.ccus
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| ccus.contains(k));
        self.outlets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, _| outlets.contains(k));
    }
}
