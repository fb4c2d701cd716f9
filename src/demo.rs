//! `serve --demo`: a demo account and two simulated CCUs (the real firmware core on simulated
//! PICs): one on MQTT through this server's broker, live at once, and one on the old HTTP
//! firmware's loop through the legacy shim, whose outlets are read in turn ("last heard") and
//! every 2 s while open in the dashboard or with a command on its way.

use anyhow::{Context, bail};
use backend::commands::{Actor, NewCommand};
use backend::domain::{self, Transport};
use backend::legacy::Binding;
use backend::{Backend, admin};
use ccu_sim::{
    BrokerAddr, DeviceId, LegacyHttpConfig, LoadProfile, OutletSpec, SimCcu, SimCcuConfig, Socket,
};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The demo account's login name.
pub const DEMO_USER: &str = "demo";
/// The demo account's password (a demo; never use `--demo` on a server others can reach).
pub const DEMO_PASSWORD: &str = "demo-outlets";
/// The price of a kWh the demo shows costs at, unless `energy.price_per_kwh` is set.
pub const DEMO_PRICE_PER_KWH: f64 = 0.30;
/// The demo CCU's automatic cut-off (% of its breaker threshold).
pub const DEMO_CUTOFF_PCT: i32 = 95;
/// The simulated CCU's id.
pub const DEMO_CCU: &str = "DEMO";
/// The simulated old-firmware CCU's id.
pub const DEMO_LEGACY_CCU: &str = "DEMO-OLD";

/// The old-firmware CCU's outlets: device id, name, location, base load of socket A (mA).
const LEGACY_OUTLETS: [(u8, &str, &str, u32); 3] = [
    (0xA1, "Fridge", "Garage", 700),
    (0xA2, "Freezer", "Garage", 900),
    (0xA3, "Workbench", "Garage", 250),
];

/// The demo outlets: device id, name, location, and the base loads of sockets A and B (mA).
const OUTLETS: [(u8, &str, &str, u32, u32); 4] = [
    (0xFE, "Desk", "Office", 450, 120),
    (0xFD, "Kettle", "Kitchen", 1_600, 0),
    (0xFC, "Heater", "Living room", 1_900, 300),
    (0xFB, "Network", "Hallway", 150, 220),
];

/// The running demo: keep it alive as long as the server runs.
#[derive(Debug)]
pub struct Demo {
    /// The simulated MQTT CCU.
    pub ccu: SimCcu,
    /// The simulated old-firmware CCU.
    pub legacy: SimCcu,
}

impl Demo {
    /// Stops the simulated CCUs (the MQTT one says goodbye).
    pub async fn stop(self) {
        for ccu in [self.ccu, self.legacy] {
            if let Err(e) = ccu.stop().await {
                tracing::warn!("demo CCU: {e}");
            }
        }
    }
}

/// Creates (or reuses) the demo account, CCUs and outlets, gives the MQTT CCU a fresh secret,
/// and starts the simulated CCUs against the broker at `mqtt_addr` and the legacy shim at
/// `http_addr`.
pub async fn start(
    backend: &Backend,
    mqtt_addr: SocketAddr,
    http_addr: SocketAddr,
) -> anyhow::Result<Demo> {
    let store = backend.store();
    let user = match store.find_user(DEMO_USER).await? {
        Some((user, _)) => user,
        None => admin::add_user(store, DEMO_USER, DEMO_PASSWORD).await?,
    };
    let secret = match store.get_ccu(DEMO_CCU).await? {
        Some(ccu) if ccu.owner_id != user.id => {
            bail!(
                "CCU {DEMO_CCU} exists and belongs to another user; remove it or run the demo with another --data-dir"
            )
        }
        Some(_) => backend.rotate_ccu_secret(Actor::CLI, DEMO_CCU).await?,
        None => {
            let name = Some("Demo house");
            backend
                .create_ccu(Actor::CLI, user.id, DEMO_CCU, name, Transport::Mqtt)
                .await?
                .1
        }
    };
    let mut specs = Vec::new();
    let mut outlet_ids = Vec::new();
    for (k, (id, name, location, a_ma, b_ma)) in OUTLETS.into_iter().enumerate() {
        let device = DeviceId(id);
        outlet_ids.push(outlet(backend, DEMO_CCU, device, name, location).await?);
        let period = 40_000 + 9_000 * k as u64;
        let mut spec = OutletSpec::new(device)
            .with_load(Socket::A, LoadProfile::wave(a_ma, a_ma / 3, period, 0))
            .with_load(Socket::B, LoadProfile::wave(b_ma, b_ma / 2, period / 2, 0));
        spec.switched_on = true;
        specs.push(spec);
    }
    let mut config = SimCcuConfig::new(DEMO_CCU, secret, BrokerAddr::from(reachable(mqtt_addr)));
    config.outlets = specs;
    config.poll_interval_ms = 500;
    config.breaker_interval_ms = 1_000;
    // The automatic cut-off, armed well above the demo's loads; the network outlet is
    // never cut.
    backend
        .set_auto_cutoff(Actor::CLI, DEMO_CCU, Some(DEMO_CUTOFF_PCT))
        .await?;
    if let Some(&network) = outlet_ids.last() {
        backend
            .set_cutoff_protected(Actor::CLI, network, true)
            .await?;
    }
    // The heater goes off at night (once: a restart reuses the account).
    let heater = outlet_ids[2];
    if backend
        .outlet_schedules(Actor::CLI, heater)
        .await?
        .is_empty()
    {
        let night = backend::schedules::NewSchedule {
            socket: "a".into(),
            turn_on: false,
            time: "23:00".into(),
            weekdays: 0,
            timezone: "UTC".into(),
        };
        backend.add_schedule(Actor::CLI, heater, night).await?;
    }
    let ccu = SimCcu::start(config).context("starting the simulated demo CCU")?;
    let (legacy, legacy_outlets) = start_legacy(backend, user.id, http_addr).await?;
    outlet_ids.extend(legacy_outlets);
    // The PICs boot switched on, but nobody has confirmed it yet: switch every socket on
    // through the server, as a user would, so the dashboard shows acknowledged states.
    for outlet_id in outlet_ids {
        for socket in [domain::Socket::A, domain::Socket::B] {
            let command = NewCommand::relay(outlet_id, socket, true);
            backend.send_command(Actor::User(user.id), command).await?;
        }
    }
    Ok(Demo { ccu, legacy })
}

/// The old-firmware CCU: registered for HTTP, it binds to the address it calls from with its
/// first breaker reading (loopback here), then runs the old loop at the old rhythm.
async fn start_legacy(
    backend: &Backend,
    owner: i32,
    http_addr: SocketAddr,
) -> anyhow::Result<(SimCcu, Vec<i32>)> {
    let store = backend.store();
    match store.get_ccu(DEMO_LEGACY_CCU).await? {
        Some(ccu) if ccu.owner_id != owner => bail!(
            "CCU {DEMO_LEGACY_CCU} exists and belongs to another user; remove it or run the demo with another --data-dir"
        ),
        Some(_) => {}
        None => {
            let name = Some("Garage (old firmware)");
            backend
                .create_ccu(Actor::CLI, owner, DEMO_LEGACY_CCU, name, Transport::Http)
                .await?;
        }
    }
    // It calls from the address it dials (else it learns it from its first breaker reading).
    let from = reachable(http_addr).ip();
    if let Err(e) = backend
        .set_legacy_binding(Actor::CLI, DEMO_LEGACY_CCU, Binding::Address(from))
        .await
    {
        tracing::warn!(cause = %e, "demo: the old-firmware CCU learns its address instead");
    }
    let mut specs = Vec::new();
    let mut outlet_ids = Vec::new();
    for (k, (id, name, location, a_ma)) in LEGACY_OUTLETS.into_iter().enumerate() {
        let device = DeviceId(id);
        outlet_ids.push(outlet(backend, DEMO_LEGACY_CCU, device, name, location).await?);
        let period = 50_000 + 7_000 * k as u64;
        let mut spec = OutletSpec::new(device)
            .with_load(Socket::A, LoadProfile::wave(a_ma, a_ma / 4, period, 0));
        spec.switched_on = true;
        specs.push(spec);
    }
    let http = LegacyHttpConfig::new(format!("http://{}", reachable(http_addr)));
    let mut config = SimCcuConfig::legacy_http(DEMO_LEGACY_CCU, http);
    config.outlets = specs;
    config.poll_interval_ms = 500;
    config.breaker_interval_ms = 1_000;
    let ccu = SimCcu::start(config).context("starting the simulated old-firmware demo CCU")?;
    Ok((ccu, outlet_ids))
}

/// The address to dial for a listener bound to `addr` (an unspecified address means loopback).
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}

/// The demo outlet `device` of `ccu` (added on the first run); its id.
async fn outlet(
    backend: &Backend,
    ccu: &str,
    device: DeviceId,
    name: &str,
    location: &str,
) -> anyhow::Result<i32> {
    let device = device.to_string();
    let outlet = match backend.store().find_outlet(ccu, &device).await? {
        Some(o) => o,
        None => {
            backend
                .create_outlet(Actor::CLI, ccu, &device, name, location)
                .await?
        }
    };
    Ok(outlet.id)
}
