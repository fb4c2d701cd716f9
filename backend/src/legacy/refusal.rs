//! Why a legacy request was refused, counted per reason, and the last refused address per
//! CCU (so the dashboard can offer "rebind to …").

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Why a legacy request was not served. Each reason has its own counter
/// (`smart_outlet_legacy_refused_total{reason=…}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// No CCU is bound to the caller's address.
    UnboundCaller,
    /// CCUs of more than one owner are bound to the caller's address.
    AmbiguousCaller,
    /// The device id exists on two CCUs bound to the caller's address.
    AmbiguousDevice,
    /// None of the caller's CCUs has an outlet with that device id.
    UnknownOutlet,
    /// A breaker reading names a CCU that is not registered for the HTTP transport.
    UnknownCcu,
    /// A breaker reading for a CCU bound to another address.
    WrongAddress,
    /// A breaker reading for an unbound CCU whose learning window is closed.
    NotLearning,
    /// A CCU would learn an address another owner's CCU is bound to.
    AddressTaken,
}

impl Refusal {
    /// Every reason, in counter order.
    pub const ALL: [Refusal; 8] = [
        Refusal::UnboundCaller,
        Refusal::AmbiguousCaller,
        Refusal::AmbiguousDevice,
        Refusal::UnknownOutlet,
        Refusal::UnknownCcu,
        Refusal::WrongAddress,
        Refusal::NotLearning,
        Refusal::AddressTaken,
    ];

    /// The label used in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::UnboundCaller => "unbound_caller",
            Refusal::AmbiguousCaller => "ambiguous_caller",
            Refusal::AmbiguousDevice => "ambiguous_device",
            Refusal::UnknownOutlet => "unknown_outlet",
            Refusal::UnknownCcu => "unknown_ccu",
            Refusal::WrongAddress => "wrong_address",
            Refusal::NotLearning => "not_learning",
            Refusal::AddressTaken => "address_taken",
        }
    }

    /// Position in [`Refusal::ALL`].
    pub fn index(self) -> usize {
        Refusal::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

/// The last address a request for each CCU was refused from (this process only).
#[derive(Debug, Default)]
pub struct RefusedAddrs(Mutex<HashMap<String, IpAddr>>);

impl RefusedAddrs {
    /// Remembers `addr` for `ccu_id`.
    pub fn record(&self, ccu_id: &str, addr: IpAddr) {
        self.lock().insert(ccu_id.to_string(), addr);
    }

    /// The last refused address of a CCU.
    pub fn get(&self, ccu_id: &str) -> Option<IpAddr> {
        self.lock().get(ccu_id).copied()
    }

    /// Forgets a CCU's (after its binding changed).
    pub fn forget(&self, ccu_id: &str) {
        self.lock().remove(ccu_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, IpAddr>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
