//! `serve --demo`: a demo account and a simulated CCU with a few outlets (the real firmware
//! core on simulated PICs), connected to this server's broker so the dashboard is live at once.

use anyhow::{Context, bail};
use backend::commands::{Actor, NewCommand};
use backend::domain::{self, CommandKind, Source, Transport};
use backend::{Backend, admin};
use ccu_sim::{BrokerAddr, DeviceId, LoadProfile, OutletSpec, SimCcu, SimCcuConfig, Socket};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The demo account's login name.
pub const DEMO_USER: &str = "demo";
/// The demo account's password (a demo; never use `--demo` on a server others can reach).
pub const DEMO_PASSWORD: &str = "demo-outlets";
/// The simulated CCU's id.
pub const DEMO_CCU: &str = "DEMO";

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
    /// The simulated CCU.
    pub ccu: SimCcu,
}

impl Demo {
    /// Stops the simulated CCU (it says goodbye).
    pub async fn stop(self) {
        if let Err(e) = self.ccu.stop().await {
            tracing::warn!("demo CCU: {e}");
        }
    }
}

/// Creates (or reuses) the demo account, CCU and outlets, gives the CCU a fresh secret, and
/// starts the simulated CCU against the broker at `mqtt_addr`.
pub async fn start(backend: &Backend, mqtt_addr: SocketAddr) -> anyhow::Result<Demo> {
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
        Some(_) => backend.rotate_ccu_secret(Some(user.id), DEMO_CCU).await?,
        None => {
            let name = Some("Demo house");
            backend
                .create_ccu(user.id, DEMO_CCU, name, Transport::Mqtt, Source::Cli)
                .await?
                .1
        }
    };
    let mut specs = Vec::new();
    let mut outlet_ids = Vec::new();
    for (k, (id, name, location, a_ma, b_ma)) in OUTLETS.into_iter().enumerate() {
        let device = DeviceId(id);
        let outlet = match store.find_outlet(DEMO_CCU, &device.to_string()).await? {
            Some(o) => o,
            None => {
                backend
                    .create_outlet(
                        Some(user.id),
                        DEMO_CCU,
                        &device.to_string(),
                        name,
                        location,
                        Source::Cli,
                    )
                    .await?
            }
        };
        outlet_ids.push(outlet.id);
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
    let ccu = SimCcu::start(config).context("starting the simulated demo CCU")?;
    // The PICs boot switched on, but nobody has confirmed it yet: switch every socket on
    // through the server, as a user would, so the dashboard shows acknowledged states.
    for outlet_id in outlet_ids {
        for socket in [domain::Socket::A, domain::Socket::B] {
            let command = NewCommand {
                outlet_id,
                command: CommandKind::RelayOn,
                socket: Some(socket),
                value: None,
            };
            backend.send_command(Actor::User(user.id), command).await?;
        }
    }
    Ok(Demo { ccu })
}

/// The address to dial for a listener bound to `addr` (an unspecified address means loopback).
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}
