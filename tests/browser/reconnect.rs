//! When the connection drops, the page says it is reconnecting, keeps the last known values,
//! retries with back-off, and catches up once the server is reachable again.

use crate::chrome::{Browser, Options};
use crate::proxy::Proxy;
use crate::site::{PASSWORD, Site, eventually};
use anyhow::{Result, ensure};
use backend::domain::Socket;
use ccu_sim::DeviceId;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_shows_reconnecting_keeps_the_last_values_and_catches_up() -> Result<()> {
    let site = Site::start(&[(0xFE, "Lamp")], &[]).await?;
    let proxy = Proxy::start(site.app.http_addr).await?;
    let b = Browser::launch("reconnect", Options::DESKTOP).await?;
    let result = async {
        site.switch_on(0xFE, Socket::A).await?;
        eventually("relay A on", || site.relay(0xFE, Socket::A)).await?;
        site.sim.set_load(DeviceId(0xFE), Socket::A, 1_200)?;
        b.log_in(&format!("http://{}/", proxy.addr()), "alice", PASSWORD)
            .await?;
        let current = "[data-outlet] [data-f=cur-a]";
        b.wait_text(current, "1.20 A").await?;
        ensure!(b.js("return document.querySelector('#conn').hidden").await? == true);

        // The network goes away: "reconnecting", the last values stay.
        proxy.cut();
        b.wait_js(
            "the reconnecting banner",
            "const c = document.querySelector('#conn'); return !c.hidden && c.dataset.state === 'reconnecting' && c.textContent.includes('Reconnecting')",
        )
        .await?;
        site.sim.set_load(DeviceId(0xFE), Socket::A, 600)?;
        ensure!(b.text(current).await? == "1.20 A", "the last value stays");
        b.screenshot("reconnecting").await?;

        // Retries back off: the gaps between the page's WebSocket attempts grow (each about
        // double the one before, with jitter); retries at a fixed pace would keep them equal.
        let ws_attempts = || -> Vec<_> {
            proxy
                .refused_requests()
                .into_iter()
                .filter(|r| r.request.starts_with("GET /ws "))
                .map(|r| r.at)
                .collect()
        };
        eventually("four WebSocket reconnection attempts", || {
            ws_attempts().len() >= 4
        })
        .await?;
        let at = ws_attempts();
        let gaps: Vec<_> = at.windows(2).map(|w| w[1] - w[0]).collect();
        ensure!(
            gaps.windows(2).all(|g| g[1].as_secs_f64() >= 1.2 * g[0].as_secs_f64()),
            "no back-off: gaps between WebSocket attempts {gaps:?}"
        );
        ensure!(b.text(current).await? == "1.20 A", "still the last value");

        // Back again: the banner goes and the live values catch up.
        proxy.restore();
        b.wait_js(
            "the banner gone",
            "return document.querySelector('#conn').hidden",
        )
        .await?;
        b.wait_text(current, "0.60 A").await?;
        Ok(())
    }
    .await;
    let result = b.finish(result).await;
    site.stop().await;
    result
}
