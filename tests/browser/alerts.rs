//! An overload on a simulated socket shows as an alert with the bell's count, the outlet is
//! marked, and acknowledging it clears the count (in the dark theme).

use crate::chrome::{Browser, Options};
use crate::site::{PASSWORD, Site, eventually};
use anyhow::{Result, ensure};
use backend::domain::Socket;
use ccu_sim::DeviceId;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overload_on_a_simulated_socket_shows_an_alert_and_the_bell_counts_it() -> Result<()> {
    let site = Site::start(&[(0xFE, "Heater")], &[]).await?;
    let b = Browser::launch("alerts", Options::DESKTOP.dark()).await?;
    let result = async {
        b.log_in(&site.url(), "alice", PASSWORD).await?;
        ensure!(
            b.js("return matchMedia('(prefers-color-scheme: dark)').matches")
                .await?
                .as_bool()
                == Some(true),
            "the page sees the dark theme"
        );
        b.wait_text("#bell-count", "0").await?;
        b.wait_visible("#no-alerts").await?;

        // The heater runs on socket A, then draws more than the PIC allows.
        let heater = site.outlet(0xFE)?.id;
        site.switch_on(0xFE, Socket::A).await?;
        eventually("relay A on", || site.relay(0xFE, Socket::A)).await?;
        site.sim.set_load(DeviceId(0xFE), Socket::A, 1_800)?;
        b.wait_js(
            "the load on the card and the breaker",
            "return document.querySelector('[data-f=cur-a]').textContent === '1.80 A' && parseFloat(document.querySelector('[data-breaker] [data-f=load]').textContent) > 1.5",
        )
        .await?;
        site.sim.force_overload(DeviceId(0xFE), Socket::A)?;

        b.wait_js(
            "an overload alert",
            "return !!document.querySelector('#alerts [data-kind=overload][data-acked=false]')",
        )
        .await?;
        b.wait_text("#bell-count", "1").await?;
        let card = format!("[data-outlet=\"{heater}\"]");
        b.wait_js(
            "the outlet marked as overloaded",
            &format!(
                "const c = document.querySelector('{card}'); \
                 return c.dataset.overload === 'true' && !c.querySelector('[data-f=overload]').hidden \
                   && c.querySelector('[data-f=cur-a]').textContent === 'OVERLOAD'"
            ),
        )
        .await?;
        let label = b
            .js("return document.querySelector('#bell').getAttribute('aria-label')")
            .await?;
        ensure!(
            label.as_str() == Some("1 unacknowledged alert (1 active)"),
            "the bell says it: {label}"
        );
        b.screenshot("raised").await?;

        // The bell leads to the alerts; acknowledging clears the count, the alert stays.
        b.click("#bell").await?;
        b.wait_js(
            "the alerts heading focused",
            "return document.activeElement && document.activeElement.id === 'alerts-title'",
        )
        .await?;
        b.click("#alerts [data-ack]").await?;
        b.wait_text("#bell-count", "0").await?;
        b.wait_js(
            "the alert shown as acknowledged",
            "return !!document.querySelector('#alerts [data-kind=overload][data-acked=true]')",
        )
        .await?;
        Ok(())
    }
    .await;
    site.finish(b, result).await
}
