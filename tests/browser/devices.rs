//! Adding a CCU and an outlet through the page (on a phone-sized screen); a simulated CCU
//! logging in with the secret the page showed once comes online on the page.

use crate::chrome::{Browser, Options};
use crate::site::PASSWORD;
use anyhow::{Context, Result, ensure};
use ccu_sim::{BrokerAddr, DeviceId, SimCcu, SimCcuConfig, Socket};
use system_tests::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_adds_a_ccu_and_an_outlet_and_the_simulated_ccu_comes_online() -> Result<()> {
    let app = spawn_app().await;
    app.add_user("alice").await;
    let base = format!("http://{}/", app.http_addr);
    let b = Browser::launch("devices", Options::PHONE).await?;
    let mut sim = None;
    let result = async {
        b.log_in(&base, "alice", PASSWORD).await?;

        // Add the CCU: its MQTT secret is shown once.
        b.fill("#add-ccu [name=id]", "02").await?;
        b.fill("#add-ccu [name=name]", "Garage CCU").await?;
        b.fill("#add-ccu [name=location]", "Garage").await?;
        b.click("#add-ccu button[type=submit]").await?;
        b.wait_visible("#dialog [data-secret=password]").await?;
        let secret = b.text("#dialog [data-secret=password]").await?;
        ensure!(secret.len() >= 16, "a real secret: {secret:?}");
        ensure!(b.text("#dialog [data-secret=username]").await? == "02");
        b.screenshot("secret").await?;
        b.click("#dialog [data-dialog=ok]").await?;
        b.wait_text("[data-ccu=\"02\"] [data-f=online]", "offline")
            .await?;

        // Add an outlet to it.
        b.choose("#add-outlet [name=ccu_id]", "02").await?;
        b.fill("#add-outlet [name=device_id]", "fe").await?;
        b.fill("#add-outlet [name=name]", "Desk").await?;
        b.fill("#add-outlet [name=location]", "Office").await?;
        b.click("#add-outlet button[type=submit]").await?;
        b.wait_js(
            "the outlet card",
            "return [...document.querySelectorAll('[data-outlet] [data-f=device]')].some(e => e.textContent === '0xFE')",
        )
        .await?;
        let outlet = app
            .backend()
            .list_outlets(backend::Actor::User(app.store().find_user("alice").await?.context("alice")?.0.id), None)
            .await?
            .into_iter()
            .find(|o| o.device_id == "FE")
            .context("outlet FE is stored")?;
        ensure!(outlet.name == "Desk" && outlet.location == "Office");

        // The CCU logs in with the secret from the page and reports a load.
        let first_secret = secret.clone();
        let config = SimCcuConfig::new("02", secret, BrokerAddr::from(app.mqtt_addr))
            .with_device_ids([DeviceId(0xFE)])
            .fast();
        let ccu = sim.insert(SimCcu::start(config)?);
        ccu.with_pic(DeviceId(0xFE), |pic, now| pic.set_relay(Socket::A, true, now))?;
        ccu.set_load(DeviceId(0xFE), Socket::A, 1_250)?;
        b.wait_text("[data-ccu=\"02\"] [data-f=online]", "online")
            .await?;
        let card = format!("[data-outlet=\"{}\"]", outlet.id);
        b.wait_text(&format!("{card} [data-f=online]"), "online")
            .await?;
        b.wait_js(
            "a live current on socket A",
            &format!(
                "const t = document.querySelector('{card} [data-f=cur-a]').textContent; \
                 return t.endsWith(' A') && parseFloat(t) > 1.1 && parseFloat(t) < 1.4"
            ),
        )
        .await?;
        b.wait_js(
            "the CCU's firmware on its card",
            "return document.querySelector('[data-ccu=\"02\"] [data-f=firmware]').textContent.includes('sim-')",
        )
        .await?;

        // Rotating the secret asks first and shows the new one once.
        b.click("[data-rotate=\"02\"]").await?;
        b.click("#dialog [data-dialog=ok]").await?;
        b.wait_js(
            "a new secret",
            &format!(
                "const e = document.querySelector('#dialog[open] [data-secret=password]'); return !!e && e.textContent.length >= 16 && e.textContent !== {}",
                serde_json::json!(first_secret)
            ),
        )
        .await?;
        b.click("#dialog [data-dialog=ok]").await?;
        Ok(())
    }
    .await;
    let result = b.finish(result).await;
    if let Some(ccu) = sim {
        let _ = ccu.stop().await;
    }
    result
}
