//! The old CCU firmware's HTTP cycle, replayed with its exact request bodies. This file holds
//! the old-firmware CCU the tests register.

mod cycle;
mod durable;
mod errors;
mod networks;
mod pipeline;

use backend::commands::{Actor, NewCommand};
use backend::domain::{AlertKind, CommandKind, CommandStatus, Socket, Transport};
use backend::legacy::Binding;
use std::net::{IpAddr, Ipv4Addr};
use system_tests::{TestApp, http_raw, http_raw_from, spawn_app, spawn_app_with, wait_for};

/// CCU `02` for the old firmware with three outlets, not bound yet (learning).
async fn http_ccu_learning(app: &TestApp) -> backend::domain::UserRecord {
    let user = app.add_user("alice").await;
    app.backend()
        .create_ccu(backend::Actor::CLI, user.id, "02", None, Transport::Http)
        .await
        .unwrap();
    for (dev, name) in [("FE", "Desk Outlet"), ("03", "Lamp"), ("1f", "Heater")] {
        app.add_outlet("02", dev, name).await;
    }
    user
}

/// [`http_ccu_learning`], bound to loopback (where `http_raw` calls from).
async fn http_ccu(app: &TestApp) -> backend::domain::UserRecord {
    let user = http_ccu_learning(app).await;
    app.backend()
        .set_legacy_binding(
            backend::Actor::User(user.id),
            "02",
            Binding::Address(LOOPBACK),
        )
        .await
        .unwrap();
    user
}

/// `POST /api/data/` with `body`, from loopback: the old firmware's reading.
async fn post_data(server: std::net::SocketAddr, body: &str) -> (u16, String) {
    http_raw(server, "POST", "/api/data/", Some(body), &[]).await
}

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
