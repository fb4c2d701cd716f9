//! Resolving a legacy request to exactly one household before any outlet is looked up.
//!
//! The old firmware names its CCU only in `POST /api/breaker-data/`; every other request is
//! resolved through the address it comes from: the CCUs bound to that address (all of one
//! owner, or the request is refused), and the outlet only among those CCUs' outlets.

use super::Refusal;
use crate::app::Backend;
use crate::domain::DeviceId;
use crate::registry::{CcuEntry, OutletEntry};
use std::net::IpAddr;

/// A legacy caller resolved to its CCUs: one owner, at least one CCU, sorted by id.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The address the request came from.
    pub addr: IpAddr,
    /// The HTTP-serving CCUs bound to it.
    pub ccus: Vec<CcuEntry>,
}

impl Caller {
    /// The owner of every CCU of this caller.
    pub fn owner_id(&self) -> i32 {
        self.ccus.first().map(|c| c.owner_id).unwrap_or_default()
    }
}

impl Backend {
    /// The CCUs bound to `addr` that serve the legacy shim, when they all have one owner.
    /// Refusals are counted and logged here (`route` names the request in the log).
    pub fn legacy_caller(&self, addr: Option<IpAddr>, route: &str) -> Result<Caller, Refusal> {
        let Some(addr) = addr else {
            return Err(self.legacy_refused(route, None, None, Refusal::UnboundCaller));
        };
        let ccus: Vec<CcuEntry> = self
            .inner
            .registry
            .ccus_bound_to(addr)
            .into_iter()
            .filter(|c| c.transport.serves_http())
            .collect();
        let Some(first) = ccus.first() else {
            return Err(self.legacy_refused(route, Some(addr), None, Refusal::UnboundCaller));
        };
        if ccus.iter().any(|c| c.owner_id != first.owner_id) {
            for c in &ccus {
                self.inner.legacy_refused.record(&c.id, addr);
            }
            let ids: Vec<&str> = ccus.iter().map(|c| c.id.as_str()).collect();
            tracing::warn!(
                ccus = ?ids,
                "CCUs of several owners are bound to one legacy address; rebind them"
            );
            return Err(self.legacy_refused(route, Some(addr), None, Refusal::AmbiguousCaller));
        }
        Ok(Caller { addr, ccus })
    }

    /// The caller's outlet with this device id; never one of another caller's CCUs.
    pub fn legacy_outlet(
        &self,
        caller: &Caller,
        device_id: DeviceId,
        route: &str,
    ) -> Result<(CcuEntry, OutletEntry), Refusal> {
        let mut found = caller.ccus.iter().filter_map(|c| {
            let o = self
                .inner
                .registry
                .outlets_of(&c.id)
                .into_iter()
                .find(|o| o.device_id == device_id)?;
            Some((c.clone(), o))
        });
        let first = found.next();
        let refusal = match (first, found.next()) {
            (Some(one), None) => return Ok(one),
            (None, _) => Refusal::UnknownOutlet,
            (Some(_), Some(_)) => Refusal::AmbiguousDevice,
        };
        Err(self.legacy_refused(route, Some(caller.addr), None, refusal))
    }

    /// Every outlet of the caller's CCUs, newest first (what `/api/devices/` lists).
    pub fn legacy_outlets(&self, caller: &Caller) -> Vec<OutletEntry> {
        let mut v: Vec<OutletEntry> = caller
            .ccus
            .iter()
            .flat_map(|c| self.inner.registry.outlets_of(&c.id))
            .collect();
        v.sort_by_key(|o| std::cmp::Reverse(o.id));
        v
    }

    /// Counts and logs a refused legacy request; remembers the address for `ccu_id`.
    pub(crate) fn legacy_refused(
        &self,
        route: &str,
        addr: Option<IpAddr>,
        ccu_id: Option<&str>,
        refusal: Refusal,
    ) -> Refusal {
        if let (Some(ccu), Some(addr)) = (ccu_id, addr) {
            self.inner.legacy_refused.record(ccu, addr);
        }
        let count = self.inner.metrics.legacy_refusal(refusal);
        tracing::warn!(
            route,
            ?addr,
            ccu = ccu_id,
            reason = refusal.as_str(),
            count,
            "legacy request refused"
        );
        refusal
    }
}
