//! The legacy shim never mixes households: the old firmware's exact requests from several
//! caller addresses (127.0.0.2, 127.0.0.3, …: all loopback on Linux), two users whose
//! outlets share an RF device id, the learning window, and who may see and change a binding.
//! This file holds the old firmware as a client and the households the tests set up.

mod binding;
mod households;
mod shared_address;

use backend::domain::{CommandStatus, Socket, Transport, UserRecord};
use backend::legacy::{Binding, Refusal};
use reqwest::StatusCode;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use system_tests::relays::send_relay;
use system_tests::{ApiClient, TestApp, http_get, http_raw_from, spawn_app, wait_for};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

/// The old firmware at `from`.
struct Firmware {
    from: IpAddr,
    server: SocketAddr,
}

impl Firmware {
    fn at(app: &TestApp, from: &str) -> Firmware {
        Firmware {
            from: ip(from),
            server: app.http_addr,
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        http_raw_from(self.from, self.server, "GET", path, None, &[]).await
    }

    async fn post(&self, path: &str, body: &str) -> (u16, String) {
        http_raw_from(self.from, self.server, "POST", path, Some(body), &[]).await
    }

    async fn breaker(&self, ccu: &str, ma: i64) -> u16 {
        self.post(
            "/api/breaker-data/",
            &format!(r#"{{"ccu_id":"{ccu}","current_ma":{ma}}}"#),
        )
        .await
        .0
    }

    /// Asserts that this caller is served nothing: no device listed, and outlet FE's reading
    /// (socket A at `a` mA), commands and status all "not found".
    async fn sees_nothing(&self, a: i64) {
        assert_eq!(
            self.get("/api/devices/").await,
            (200, r#"{"success": true, "devices": []}"#.to_string())
        );
        assert_eq!(self.reading("FE", a).await, (404, NOT_FOUND_FE.to_string()));
        for path in ["/api/commands/FE/", "/api/outlet-status/FE/"] {
            assert_eq!(
                self.get(path).await,
                (404, NOT_FOUND_FE.to_string()),
                "{path}"
            );
        }
    }

    /// The focused outlet as `GET /api/focus/` answers it for this caller (verbatim body).
    async fn focus(&self) -> String {
        let (status, body) = self.get("/api/focus/").await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn reading(&self, device: &str, a: i64) -> (u16, String) {
        self.post(
            "/api/data/",
            &format!(
                r#"{{"device_id":"{device}","current_a":{a},"current_b":-1,"relay_a":false,"relay_b":false,"is_overload":false}}"#
            ),
        )
        .await
    }
}

/// A user with an old-firmware CCU and outlets (name, device id), learning its address.
async fn household(app: &TestApp, user: &str, ccu: &str, outlets: &[(&str, &str)]) -> UserRecord {
    let user = app.add_user(user).await;
    app.backend()
        .create_ccu(backend::Actor::CLI, user.id, ccu, None, Transport::Http)
        .await
        .expect("add CCU");
    for (device, name) in outlets {
        app.add_outlet(ccu, device, name).await;
    }
    user
}

async fn queue(app: &TestApp, user: &UserRecord, ccu: &str, device: &str, on: bool) -> String {
    let outlet = app.store().find_outlet(ccu, device).await.unwrap().unwrap();
    let c = send_relay(app, user.id, outlet.id, Socket::A, on).await;
    assert_eq!(c.status, CommandStatus::Queued);
    c.id
}

fn refused(app: &TestApp, r: Refusal) -> u64 {
    app.backend().metrics().legacy_refusals(r)
}

/// The old app's answer for an outlet FE the caller may not see.
const NOT_FOUND_FE: &str = r#"{"success": false, "message": "Outlet with device_id FE not found"}"#;

const NO_COMMANDS: &str = r#"{"success": true, "commands": []}"#;
