//! The automatic cut-off from the dashboard: a person protects the fridge on its page and
//! arms the cut-off on the breaker card; when the simulated PICs' load reaches it, the
//! kettle (unprotected, drawing the most) is switched off on the simulated CCU and its
//! toggle follows, the fridge stays on.

use crate::chrome::{Browser, Options};
use crate::site::{PASSWORD, Site, eventually};
use anyhow::{Result, ensure};
use backend::domain::Socket;
use ccu_sim::DeviceId;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_armed_cutoff_switches_off_the_unprotected_socket_drawing_the_most() -> Result<()> {
    let site = Site::start(&[(0xFE, "Kettle"), (0xFD, "Fridge")], &[]).await?;
    let b = Browser::launch("auto-cutoff", Options::DESKTOP).await?;
    let result = async {
        b.log_in(&site.url(), "alice", PASSWORD).await?;
        let (kettle, fridge) = (site.outlet(0xFE)?.id, site.outlet(0xFD)?.id);

        // Protect the fridge on its page.
        b.goto(&format!("{}#/outlet/{fridge}", site.url())).await?;
        b.wait_text("[data-f=title]", "Fridge").await?;
        b.click("#edit-outlet input[name=protected]").await?;
        b.click("#edit-outlet button[type=submit]").await?;
        let owner = backend::Actor::User(site.user.id);
        let backend = site.app.backend().clone();
        let mut protected = false;
        for _ in 0..500 {
            protected = backend.get_outlet(owner, fridge).await?.cutoff_protected;
            if protected {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        ensure!(protected, "the fridge is protected");

        // Arm the cut-off at 30 % of the breaker threshold (15 A here) on the breaker card.
        b.goto(&site.url()).await?;
        b.fill("[data-auto-cutoff] input[name=pct]", "30").await?;
        b.click("[data-auto-cutoff] button[type=submit]").await?;
        b.wait_js(
            "the card says the cut-off is armed",
            "return document.querySelector('[data-breaker] [data-f=cutoff]').textContent.startsWith('Automatic cut-off at 30 % (4.5 A)')",
        )
        .await?;

        // 3 A and 2.5 A (under the PICs' own trip): 5.5 A on the breaker, over 4.5 A.
        for (id, ma) in [(0xFE, 3_000), (0xFD, 2_500)] {
            site.switch_on(id, Socket::A).await?;
            eventually("relay on", || site.relay(id, Socket::A)).await?;
            site.sim.set_load(DeviceId(id), Socket::A, ma)?;
        }
        let metrics = site.app.backend().metrics();
        eventually("the kettle cut by the server, not tripped", || {
            !site.relay(0xFE, Socket::A)
                && metrics.auto_cutoffs.load(std::sync::atomic::Ordering::Relaxed) == 1
        })
        .await?;
        b.wait_js(
            "the kettle's toggle off",
            &format!("return document.querySelector('[data-toggle=\"{kettle}:a\"]').dataset.state === 'off'"),
        )
        .await?;
        ensure!(site.relay(0xFD, Socket::A), "the fridge stays on");
        ensure!(
            b.js("return document.querySelectorAll('#alerts [data-kind=overload]').length").await?
                == 0,
            "no PIC tripped"
        );
        b.screenshot("auto-cutoff").await?;
        Ok(())
    }
    .await;
    site.finish(b, result).await
}
