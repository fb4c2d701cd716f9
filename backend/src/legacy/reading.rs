//! One reading of the old firmware (`POST /api/data/`): what its numbers and flags mean, and
//! how they confirm relay commands (the old firmware sends no acks).

use crate::app::Backend;
use crate::domain::Socket;
use crate::ingest::IngestError;
use crate::metrics::Transport as Via;
use crate::registry::{CcuEntry, OutletEntry};
use ccu_core::protocol::{OVERLOAD_MA, SensorReading};

/// A reading as the old firmware posted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyReading {
    /// Socket A (mA); -1 (any negative) = never read since the CCU booted.
    pub current_a: i64,
    /// Socket B (mA), likewise.
    pub current_b: i64,
    /// `relay_a` as posted: true only for a relay the PIC confirmed on; false means off or
    /// unknown; `None` when absent.
    pub relay_a: Option<bool>,
    /// `relay_b`, likewise.
    pub relay_b: Option<bool>,
    /// `is_overload` as posted (truthy).
    pub is_overload: bool,
}

/// What the old firmware is told back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyAnswer {
    /// The reading was written to history (else only shown live, or not a reading at all).
    pub logged: bool,
    /// Relay A as the server now knows it is on.
    pub relay_a: bool,
    /// Relay B, likewise.
    pub relay_b: bool,
}

impl LegacyReading {
    /// The currents: a negative value is "never read", not 0 mA.
    fn currents(&self) -> (Option<i64>, Option<i64>) {
        let known = |v: i64| (v >= 0).then_some(v);
        (known(self.current_a), known(self.current_b))
    }
}

impl Backend {
    /// Takes one old-firmware reading of `outlet`: the CCU is seen; a reading with a socket
    /// ever read goes through the common ingest; its relay flags confirm relay commands.
    pub async fn legacy_reading(
        &self,
        ccu: &CcuEntry,
        outlet: &OutletEntry,
        r: LegacyReading,
    ) -> Result<LegacyAnswer, IngestError> {
        if let Err(e) = self.legacy_seen(&ccu.id).await {
            tracing::warn!(ccu = %ccu.id, cause = %e, "legacy presence update failed");
        }
        let (a, b) = r.currents();
        let known = |on: Option<bool>| on == Some(true);
        if a.is_none() && b.is_none() {
            // Never heard by its CCU since it booted: no reading, and the outlet stays as
            // silent as it is (its presence alert comes after its round-robin period).
            let state = self.state().outlet(outlet.id).unwrap_or_default();
            return Ok(LegacyAnswer {
                logged: false,
                relay_a: known(state.relay_a),
                relay_b: known(state.relay_b),
            });
        }
        let before = self
            .state()
            .outlet(outlet.id)
            .and_then(|s| s.last_history_ts);
        let reading = SensorReading {
            device_id: outlet.device_id,
            current_a: a,
            current_b: b,
            relay_a: None,
            relay_b: None,
            is_overload: r.is_overload || a == Some(OVERLOAD_MA) || b == Some(OVERLOAD_MA),
            ts: None,
        };
        self.ingest_readings(ccu, vec![reading], Via::Http).await?;
        self.stored_before_answer().await?;
        // The old firmware's relay flags are true only for an acknowledged ON; false means
        // off or unknown, so it confirms OFF only after a confirmed ON.
        let state = self.state().outlet(outlet.id).unwrap_or_default();
        for (socket, reported, current) in [
            (Socket::A, r.relay_a, state.relay_a),
            (Socket::B, r.relay_b, state.relay_b),
        ] {
            let change = match (reported, current) {
                (Some(true), k) if k != Some(true) => Some(true),
                (Some(false), Some(true)) => Some(false),
                _ => None,
            };
            if let Some(on) = change
                && let Err(e) = self.confirm_relay(outlet.id, socket, on).await
            {
                tracing::warn!(outlet = outlet.id, cause = %e, "legacy relay confirmation failed");
            }
        }
        let after = self.state().outlet(outlet.id).unwrap_or_default();
        Ok(LegacyAnswer {
            logged: after.last_history_ts != before,
            relay_a: known(after.relay_a),
            relay_b: known(after.relay_b),
        })
    }
}
