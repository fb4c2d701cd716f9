//! A household to test with: the whole server, a user `alice`, CCU `02` with outlets, and a
//! simulated CCU (the real firmware core on simulated PICs) connected over MQTT.

use crate::chrome::Browser;
use anyhow::{Context, Result, anyhow};
use backend::commands::{Actor, NewCommand};
use backend::domain::{OutletRecord, Socket, UserRecord};
use ccu_sim::{BrokerAddr, DeviceId, SimCcu, SimCcuConfig};
use std::time::Duration;
use system_tests::{TestApp, spawn_app};

/// Password of every test user (see `TestApp::add_user`).
pub const PASSWORD: &str = "correct horse battery";

/// The server, alice, CCU `02`, its outlets and the simulated CCU.
pub struct Site {
    pub app: TestApp,
    pub user: UserRecord,
    pub outlets: Vec<OutletRecord>,
    pub sim: SimCcu,
}

/// Waits for `check` with a deadline, polling.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) -> Result<()> {
    let deadline = tokio::time::Instant::now() + crate::page::DEADLINE;
    while !check() {
        if tokio::time::Instant::now() > deadline {
            return Err(anyhow!("timed out waiting for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

impl Site {
    /// Registers outlets `simulated` (on the air) and `absent` (registered, but no PIC
    /// answers), starts the simulated CCU and waits until the server sees it online.
    pub async fn start(simulated: &[(u8, &str)], absent: &[(u8, &str)]) -> Result<Site> {
        let app = spawn_app().await;
        let user = app.add_user("alice").await;
        let secret = app.add_ccu(&user, "02").await;
        let mut outlets = Vec::new();
        for (id, name) in simulated.iter().chain(absent) {
            outlets.push(app.add_outlet("02", &format!("{id:02X}"), name).await);
        }
        let config = SimCcuConfig::new("02", secret, BrokerAddr::from(app.mqtt_addr))
            .with_device_ids(simulated.iter().map(|(id, _)| DeviceId(*id)))
            .fast();
        let sim = SimCcu::start(config).context("starting the simulated CCU")?;
        let n = simulated.len() + absent.len();
        tokio::time::timeout(
            crate::page::DEADLINE,
            sim.wait_until(|s| s.connected && s.outlets == n),
        )
        .await
        .context("the simulated CCU did not connect")??;
        let site = Site {
            app,
            user,
            outlets,
            sim,
        };
        let deadline = tokio::time::Instant::now() + crate::page::DEADLINE;
        while !site
            .app
            .backend()
            .get_ccu(backend::Actor::User(site.user.id), "02")
            .await
            .is_ok_and(|c| c.online)
        {
            if tokio::time::Instant::now() > deadline {
                return Err(anyhow!("the server never saw CCU 02 online"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(site)
    }

    /// The dashboard's address.
    pub fn url(&self) -> String {
        format!("http://{}/", self.app.http_addr)
    }

    /// The outlet with device id `id`.
    pub fn outlet(&self, id: u8) -> Result<&OutletRecord> {
        let want = format!("{id:02X}");
        self.outlets
            .iter()
            .find(|o| o.device_id == want)
            .ok_or_else(|| anyhow!("no outlet {want}"))
    }

    /// Switches a socket on through the API (as alice), not through the page.
    pub async fn switch_on(&self, id: u8, socket: Socket) -> Result<()> {
        let outlet = self.outlet(id)?.id;
        self.app
            .backend()
            .send_command(
                Actor::User(self.user.id),
                NewCommand::relay(outlet, socket, true),
            )
            .await
            .context("sending relay_on")?;
        Ok(())
    }

    /// A simulated relay, as it is on the PIC.
    pub fn relay(&self, id: u8, socket: Socket) -> bool {
        self.sim.relay(DeviceId(id), socket).unwrap_or(false)
    }

    /// Stops the simulated CCU.
    pub async fn stop(self) {
        let _ = self.sim.stop().await;
    }

    /// Ends a test on this site: the browser's last screenshot and session
    /// ([`Browser::finish`]), then the simulated CCU; the test's result.
    pub async fn finish(self, b: Browser, result: Result<()>) -> Result<()> {
        let result = b.finish(result).await;
        self.stop().await;
        result
    }
}
