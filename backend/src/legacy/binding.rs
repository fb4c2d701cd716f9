//! Binding a legacy CCU to the address it calls from: learnt from its first
//! `POST /api/breaker-data/` (the only request that names the CCU) while its learning window
//! is open, or set and reset by its owner. The binding lives in the `ccus` table so that
//! every backend instance sharing the database serves the same households.

use super::Refusal;
use crate::actor::Actor;
use crate::app::Backend;
use crate::domain::{CcuId, Source};
use crate::registry::CcuEntry;
use crate::{Error, Result, Store, clock};
use std::net::IpAddr;

/// What the owner asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// Bind to this address now.
    Address(IpAddr),
    /// Unbind and open a new learning window.
    Reset,
}

/// `::ffff:a.b.c.d` → `a.b.c.d`, the form callers' addresses are compared in.
pub fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
        v4 => v4,
    }
}

/// Binds a legacy CCU to `addr` (the CLI; no ownership check).
pub async fn bind(store: &Store, ccu_id: &str, addr: IpAddr) -> Result<()> {
    let id = CcuId::parse(ccu_id).map_err(|_| Error::NotFound("CCU"))?;
    store
        .set_legacy_binding(id.as_str(), Some(canonical(addr).to_string()), None)
        .await
}

/// Unbinds a legacy CCU and lets it learn its address for `window` from now (the CLI).
pub async fn reset(store: &Store, ccu_id: &str, window: std::time::Duration) -> Result<i64> {
    let id = CcuId::parse(ccu_id).map_err(|_| Error::NotFound("CCU"))?;
    let until = learn_until(window);
    store
        .set_legacy_binding(id.as_str(), None, Some(until))
        .await?;
    Ok(until)
}

/// The end of a learning window opened now.
pub fn learn_until(window: std::time::Duration) -> i64 {
    clock::now_ms().saturating_add(i64::try_from(window.as_millis()).unwrap_or(i64::MAX))
}

impl Backend {
    /// The CCU a `POST /api/breaker-data/` from `addr` names, if that request may speak for
    /// it: the CCU is bound to `addr`, or is unbound and learns `addr` now (its window is
    /// open and no other owner's CCU is bound to `addr`). Refusals are counted and logged.
    pub async fn legacy_breaker_ccu(
        &self,
        addr: Option<IpAddr>,
        ccu_id: &str,
    ) -> std::result::Result<CcuEntry, Refusal> {
        const ROUTE: &str = "/api/breaker-data/";
        let Some(ccu) = self
            .inner
            .registry
            .ccu(ccu_id)
            .filter(|c| c.transport.serves_http())
        else {
            return Err(self.legacy_refused(ROUTE, addr, None, Refusal::UnknownCcu));
        };
        let Some(addr) = addr else {
            return Err(self.legacy_refused(ROUTE, None, Some(&ccu.id), Refusal::WrongAddress));
        };
        match ccu.legacy_addr {
            Some(bound) if bound == addr => return Ok(ccu),
            Some(_) => {
                return Err(self.legacy_refused(
                    ROUTE,
                    Some(addr),
                    Some(&ccu.id),
                    Refusal::WrongAddress,
                ));
            }
            None => {}
        }
        let now = clock::now_ms();
        if ccu.legacy_bind_until.is_none_or(|until| until <= now) {
            return Err(self.legacy_refused(
                ROUTE,
                Some(addr),
                Some(&ccu.id),
                Refusal::NotLearning,
            ));
        }
        if self
            .inner
            .registry
            .ccus_bound_to(addr)
            .iter()
            .any(|c| c.owner_id != ccu.owner_id && c.transport.serves_http())
        {
            return Err(self.legacy_refused(
                ROUTE,
                Some(addr),
                Some(&ccu.id),
                Refusal::AddressTaken,
            ));
        }
        match self.learn(&ccu, addr, now).await {
            Ok(true) => {
                self.inner.registry.ccu(&ccu.id).ok_or_else(|| {
                    self.legacy_refused(ROUTE, Some(addr), None, Refusal::UnknownCcu)
                })
            }
            Ok(false) => {
                Err(self.legacy_refused(ROUTE, Some(addr), Some(&ccu.id), Refusal::WrongAddress))
            }
            Err(e) => {
                tracing::error!(ccu = %ccu.id, cause = %e, "legacy address not learnt");
                Err(self.legacy_refused(ROUTE, Some(addr), Some(&ccu.id), Refusal::NotLearning))
            }
        }
    }

    /// Stores the learnt address (one conditional update: an instance that lost the race
    /// reads the winner's binding) and reloads. True when `ccu` is now bound to `addr`.
    async fn learn(&self, ccu: &CcuEntry, addr: IpAddr, now: i64) -> Result<bool> {
        let store = &self.inner.store;
        let learnt = store
            .learn_legacy_addr(&ccu.id, &addr.to_string(), now)
            .await?;
        let bound = learnt
            || store
                .get_ccu(&ccu.id)
                .await?
                .and_then(|c| c.legacy_addr)
                .is_some_and(|a| a.parse::<IpAddr>().ok() == Some(addr));
        if learnt {
            tracing::info!(ccu = %ccu.id, %addr, "legacy CCU bound to the address of its first contact");
            self.inner.legacy_refused.forget(&ccu.id);
            self.config_event(
                ccu.owner_id,
                Actor::System(Source::Device),
                Some(&ccu.id),
                None,
                format!(
                    "CCU {} (old firmware) bound to {addr} at its first contact",
                    ccu.id
                ),
            )
            .await?;
        }
        self.config_changed().await?;
        Ok(bound)
    }

    /// Binds a CCU the actor may act on to an address, or resets it.
    ///
    /// An owner cannot bind to an address another owner's CCU is bound to (that would stop
    /// both households: requests from an address shared by two owners are refused).
    pub async fn set_legacy_binding(
        &self,
        actor: Actor,
        ccu_id: &str,
        binding: Binding,
    ) -> Result<()> {
        let ccu = self.owned_ccu(actor, ccu_id)?;
        let message = match binding {
            Binding::Address(addr) => {
                let addr = canonical(addr);
                if !self
                    .inner
                    .settings
                    .legacy
                    .allowed()
                    .iter()
                    .any(|n| n.contains(&addr))
                {
                    return Err(Error::invalid(format!(
                        "{addr} is not in legacy.allowed_networks: the old firmware could not call from there"
                    )));
                }
                if actor.user_id().is_some()
                    && self
                        .inner
                        .registry
                        .ccus_bound_to(addr)
                        .iter()
                        .any(|c| c.owner_id != ccu.owner_id)
                {
                    return Err(Error::Conflict(format!(
                        "{addr} is bound to another account's CCU; requests from an address of two accounts are refused"
                    )));
                }
                bind(&self.inner.store, &ccu.id, addr).await?;
                format!("CCU {} (old firmware) bound to {addr}", ccu.id)
            }
            Binding::Reset => {
                let window = self.inner.settings.legacy.learn_window;
                reset(&self.inner.store, &ccu.id, window).await?;
                format!(
                    "CCU {} (old firmware) unbound; it learns its address from its next breaker reading within {} s",
                    ccu.id,
                    window.as_secs()
                )
            }
        };
        self.inner.legacy_refused.forget(&ccu.id);
        self.config_event(ccu.owner_id, actor, Some(&ccu.id), None, message)
            .await?;
        self.config_changed().await
    }

    /// Opens the learning window of a CCU just registered for `http` or `auto`.
    pub(crate) async fn open_learning_window(&self, ccu_id: &str) -> Result<()> {
        reset(
            &self.inner.store,
            ccu_id,
            self.inner.settings.legacy.learn_window,
        )
        .await
        .map(|_| ())
    }

    /// The last address a legacy request for this CCU was refused from (this process).
    pub fn legacy_refused_addr(&self, ccu_id: &str) -> Option<IpAddr> {
        self.inner.legacy_refused.get(ccu_id)
    }
}
