//! In-memory copy of the configuration ingest needs on every message: CCUs and outlets.
//!
//! Loaded from the store at start, reloaded after every change made through the backend,
//! and when another process (the CLI) changed the store (see `Backend::refresh`).

use crate::domain::{CcuRecord, DeviceId, OutletRecord, Transport};
use crate::{Result, Store};
use ccu_core::protocol::{DeviceEntry, DeviceList};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::RwLock;

/// What ingest needs of a CCU.
#[derive(Debug, Clone, PartialEq)]
pub struct CcuEntry {
    /// Id.
    pub id: String,
    /// Owner.
    pub owner_id: i32,
    /// Display name.
    pub name: String,
    /// MQTT or HTTP.
    pub transport: Transport,
    /// Breaker threshold (mA).
    pub breaker_threshold_ma: i64,
    /// Legacy firmware: the client address the CCU is bound to.
    pub legacy_addr: Option<IpAddr>,
    /// Legacy firmware: unix ms until which an unbound CCU may learn its address.
    pub legacy_bind_until: Option<i64>,
    /// Automatic cut-off at this percentage of the breaker threshold (`None`: off).
    pub auto_cutoff_pct: Option<i32>,
}

/// What ingest needs of an outlet.
#[derive(Debug, Clone, PartialEq)]
pub struct OutletEntry {
    /// Id.
    pub id: i32,
    /// CCU.
    pub ccu_id: String,
    /// Device id.
    pub device_id: DeviceId,
    /// Display name.
    pub name: String,
    /// Alert threshold (mA).
    pub threshold_ma: i64,
    /// Never switched off by the automatic cut-off.
    pub cutoff_protected: bool,
}

/// Result of looking up an outlet named in a CCU's message.
#[derive(Debug, Clone)]
pub enum OutletLookup {
    /// The outlet belongs to that CCU.
    Found(OutletEntry),
    /// The device id is registered, but under another CCU.
    Foreign,
    /// Not registered at all.
    Unknown,
}

#[derive(Debug, Default)]
struct Maps {
    ccus: HashMap<String, CcuEntry>,
    outlets: HashMap<i32, OutletEntry>,
    by_key: HashMap<(String, u8), i32>,
    by_device: HashMap<u8, Vec<i32>>,
    /// Outlet ids of each CCU, in device-id order. Per-CCU questions (asked on every CCU
    /// connect) must not walk every outlet: with 10 000 CCUs that made a reconnect storm
    /// quadratic (bench `connections`, perf).
    by_ccu: HashMap<String, Vec<i32>>,
    /// Legacy CCU ids by the address they are bound to, sorted.
    by_addr: HashMap<IpAddr, Vec<String>>,
}

/// The cache. Reads take a short read lock and clone what they return.
#[derive(Debug, Default)]
pub struct Registry {
    maps: RwLock<Maps>,
}

impl Registry {
    /// Reloads from the store; returns the CCUs whose device list changed (or appeared).
    pub async fn reload(&self, store: &Store) -> Result<Vec<String>> {
        let ccus = store.list_ccus(None).await?;
        let outlets = store.list_outlets(None, None).await?;
        let maps = build(ccus, outlets);
        let mut guard = self.maps.write().unwrap_or_else(|e| e.into_inner());
        let before = device_lists(&guard);
        let after = device_lists(&maps);
        *guard = maps;
        let changed = after
            .iter()
            .filter(|(id, list)| before.get(*id) != Some(list))
            .map(|(id, _)| id.clone())
            .collect();
        Ok(changed)
    }

    /// A CCU by id.
    pub fn ccu(&self, id: &str) -> Option<CcuEntry> {
        self.read().ccus.get(id).cloned()
    }

    /// Every CCU.
    pub fn ccus(&self) -> Vec<CcuEntry> {
        self.read().ccus.values().cloned().collect()
    }

    /// The CCUs bound to a legacy caller's address, by id.
    pub fn ccus_bound_to(&self, addr: IpAddr) -> Vec<CcuEntry> {
        let maps = self.read();
        maps.by_addr
            .get(&addr)
            .into_iter()
            .flatten()
            .filter_map(|id| maps.ccus.get(id).cloned())
            .collect()
    }

    /// An outlet by id.
    pub fn outlet(&self, id: i32) -> Option<OutletEntry> {
        self.read().outlets.get(&id).cloned()
    }

    /// Every outlet.
    pub fn outlets(&self) -> Vec<OutletEntry> {
        self.read().outlets.values().cloned().collect()
    }

    /// The outlet `device_id` of CCU `ccu_id`, or why not.
    pub fn lookup(&self, ccu_id: &str, device_id: DeviceId) -> OutletLookup {
        let maps = self.read();
        if let Some(id) = maps.by_key.get(&(ccu_id.to_string(), device_id.0))
            && let Some(o) = maps.outlets.get(id)
        {
            return OutletLookup::Found(o.clone());
        }
        if maps.by_device.contains_key(&device_id.0) {
            OutletLookup::Foreign
        } else {
            OutletLookup::Unknown
        }
    }

    /// Outlets of one CCU, by device id.
    pub fn outlets_of(&self, ccu_id: &str) -> Vec<OutletEntry> {
        let maps = self.read();
        maps.by_ccu
            .get(ccu_id)
            .into_iter()
            .flatten()
            .filter_map(|id| maps.outlets.get(id).cloned())
            .collect()
    }

    /// The `ccu/<id>/devices` payload of one CCU.
    pub fn device_list(&self, ccu_id: &str) -> DeviceList {
        device_list(&self.read(), ccu_id)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Maps> {
        self.maps.read().unwrap_or_else(|e| e.into_inner())
    }
}

fn build(ccus: Vec<CcuRecord>, outlets: Vec<OutletRecord>) -> Maps {
    let mut maps = Maps::default();
    for c in ccus {
        let legacy_addr = c.legacy_addr.as_deref().and_then(|a| {
            a.parse::<IpAddr>()
                .inspect_err(
                    |_| tracing::warn!(ccu = %c.id, addr = a, "stored legacy address is invalid"),
                )
                .ok()
        });
        if let Some(a) = legacy_addr {
            maps.by_addr.entry(a).or_default().push(c.id.clone());
        }
        maps.ccus.insert(
            c.id.clone(),
            CcuEntry {
                id: c.id,
                owner_id: c.owner_id,
                name: c.name,
                transport: c.transport,
                breaker_threshold_ma: c.breaker_threshold_ma,
                legacy_addr,
                legacy_bind_until: c.legacy_bind_until,
                auto_cutoff_pct: c.auto_cutoff_pct,
            },
        );
    }
    for ids in maps.by_addr.values_mut() {
        ids.sort();
    }
    for o in outlets {
        let Some(device_id) = DeviceId::parse(&o.device_id) else {
            tracing::warn!(outlet = o.id, device_id = %o.device_id, "stored outlet has an invalid device id");
            continue;
        };
        maps.by_key.insert((o.ccu_id.clone(), device_id.0), o.id);
        maps.by_device.entry(device_id.0).or_default().push(o.id);
        maps.by_ccu.entry(o.ccu_id.clone()).or_default().push(o.id);
        maps.outlets.insert(
            o.id,
            OutletEntry {
                id: o.id,
                ccu_id: o.ccu_id,
                device_id,
                name: o.name,
                threshold_ma: o.threshold_ma,
                cutoff_protected: o.cutoff_protected,
            },
        );
    }
    for ids in maps.by_ccu.values_mut() {
        ids.sort_by_key(|id| maps.outlets.get(id).map(|o| o.device_id));
    }
    maps
}

/// The device list of one CCU (empty for an unknown CCU).
fn device_list(maps: &Maps, ccu_id: &str) -> DeviceList {
    let mut list = DeviceList::default();
    if !maps.ccus.contains_key(ccu_id) {
        return list;
    }
    for o in maps
        .by_ccu
        .get(ccu_id)
        .into_iter()
        .flatten()
        .filter_map(|id| maps.outlets.get(id))
    {
        // Bounded by MAX_OUTLETS_PER_CCU, which adding an outlet enforces.
        let _ = list.devices.push(DeviceEntry {
            device_id: o.device_id,
            threshold_ma: u16::try_from(o.threshold_ma.max(0)).unwrap_or(u16::MAX),
        });
    }
    list
}

fn device_lists(maps: &Maps) -> BTreeMap<String, DeviceList> {
    maps.ccus
        .keys()
        .map(|id| (id.clone(), device_list(maps, id)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ccu(id: &str) -> CcuRecord {
        CcuRecord {
            id: id.into(),
            owner_id: 1,
            name: id.into(),
            location: String::new(),
            transport: Transport::Mqtt,
            breaker_threshold_ma: 0,
            online: false,
            firmware: None,
            last_seen: None,
            breaker_ma: None,
            breaker_at: None,
            created_at: 0,
            legacy_addr: None,
            legacy_bind_until: None,
            legacy_focus: None,
            legacy_refused_addr: None,
            readings_dropped: 0,
            auto_cutoff_pct: None,
        }
    }

    fn outlet(id: i32, ccu_id: &str, device_id: &str, threshold_ma: i64) -> OutletRecord {
        OutletRecord {
            id,
            ccu_id: ccu_id.into(),
            device_id: device_id.into(),
            name: device_id.into(),
            location: String::new(),
            threshold_ma,
            current_a: None,
            current_b: None,
            relay_a: None,
            relay_b: None,
            is_overload: false,
            online: false,
            last_seen: None,
            polled: false,
            silent_after_ms: 0,
            cutoff_protected: false,
        }
    }

    fn registry() -> Registry {
        let maps = build(
            vec![ccu("02"), ccu("03"), ccu("04")],
            vec![
                outlet(1, "02", "FE", 100),
                outlet(2, "03", "FE", 200),
                outlet(3, "02", "A0", 300),
                outlet(4, "02", "FD", 400),
                outlet(5, "99", "10", 0),
            ],
        );
        Registry {
            maps: RwLock::new(maps),
        }
    }

    #[test]
    fn per_ccu_answers_hold_only_that_ccus_outlets_in_device_order() {
        let r = registry();
        let list: Vec<_> = r
            .device_list("02")
            .devices
            .iter()
            .map(|d| (d.device_id.0, d.threshold_ma))
            .collect();
        assert_eq!(list, vec![(0xA0, 300), (0xFD, 400), (0xFE, 100)]);
        let ids: Vec<_> = r.outlets_of("02").iter().map(|o| o.id).collect();
        assert_eq!(ids, vec![3, 4, 1]);
        assert_eq!(r.device_list("03").devices.len(), 1);
        // a CCU without outlets, an unknown CCU, and outlets of an unregistered CCU
        assert!(r.device_list("04").devices.is_empty());
        assert!(r.device_list("05").devices.is_empty());
        assert!(r.device_list("99").devices.is_empty());
        assert!(r.outlets_of("05").is_empty());
    }

    #[test]
    fn every_registered_ccu_has_a_list() {
        let lists = device_lists(&registry().read());
        assert_eq!(
            lists.keys().map(String::as_str).collect::<Vec<_>>(),
            vec!["02", "03", "04"]
        );
        assert_eq!(lists["02"].devices.len(), 3);
    }
}
