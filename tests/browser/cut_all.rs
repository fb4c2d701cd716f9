//! "Cut all power" asks first; cancelling sends nothing, confirming turns every simulated
//! socket off and the toggles follow (on a phone, in the dark theme).

use crate::chrome::{Browser, Options};
use crate::site::{PASSWORD, Site, eventually};
use anyhow::{Result, ensure};
use backend::domain::Socket;

const DEVICES: [u8; 2] = [0xFE, 0xFD];
const SOCKETS: [Socket; 2] = [Socket::A, Socket::B];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_all_power_asks_first_then_turns_every_simulated_socket_off() -> Result<()> {
    let site = Site::start(&[(0xFE, "Desk"), (0xFD, "Kettle")], &[]).await?;
    let b = Browser::launch("cut-all", Options::PHONE.dark()).await?;
    let result = async {
        for d in DEVICES {
            for s in SOCKETS {
                site.switch_on(d, s).await?;
            }
        }
        eventually("every relay on", || {
            DEVICES
                .iter()
                .all(|d| SOCKETS.iter().all(|s| site.relay(*d, *s)))
        })
        .await?;
        b.log_in(&site.url(), "alice", PASSWORD).await?;
        let all_toggles = |state: &str| {
            format!(
                "const t = [...document.querySelectorAll('[data-toggle]')]; \
                 return t.length === 4 && t.every(b => b.dataset.state === '{state}')"
            )
        };
        b.wait_js("every toggle on", &all_toggles("on")).await?;
        let before = site.app.backend().list_commands(backend::Actor::User(site.user.id), None, 100).await?.len();

        // Cancel: nothing is sent.
        b.click("#cut-all").await?;
        b.wait_visible("#dialog[open] [data-dialog=ok]").await?;
        ensure!(b.text("#dialog-title").await? == "Cut all power?");
        b.screenshot("confirm").await?;
        b.click("#dialog [data-dialog=cancel]").await?;
        b.wait_js("the dialog closed", "return !document.querySelector('#dialog').open")
            .await?;
        let after = site.app.backend().list_commands(backend::Actor::User(site.user.id), None, 100).await?.len();
        ensure!(after == before, "cancel sent nothing ({before} → {after})");
        ensure!(site.relay(0xFE, Socket::A), "still on");

        // Confirm: every socket goes off and the page follows the acknowledgements.
        b.click("#cut-all").await?;
        b.click("#dialog [data-dialog=ok]").await?;
        eventually("every simulated relay off", || {
            DEVICES
                .iter()
                .all(|d| SOCKETS.iter().all(|s| !site.relay(*d, *s)))
        })
        .await?;
        b.wait_js("every toggle off", &all_toggles("off")).await?;
        b.wait_js(
            "no toggle pending or failed",
            "return [...document.querySelectorAll('[data-toggle]')].every(b => b.dataset.cmd !== 'pending' && b.dataset.cmd !== 'failed')",
        )
        .await?;
        Ok(())
    }
    .await;
    site.finish(b, result).await
}
