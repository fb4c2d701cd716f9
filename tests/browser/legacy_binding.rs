//! An old-firmware CCU's address binding on its card: waiting for the first contact, bound
//! to the address it called from, a refused call from elsewhere offered as "rebind", and the
//! rebind itself.

use crate::chrome::{Browser, Options};
use crate::site::PASSWORD;
use anyhow::{Result, ensure};
use backend::domain::Transport;
use system_tests::{http_raw_from, spawn_app};

const LEGACY_TEXT: &str = "[data-ccu=\"02\"] [data-f=legacy-text]";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ccu_card_shows_and_rebinds_the_legacy_address() -> Result<()> {
    let app = spawn_app().await;
    let user = app.add_user("alice").await;
    app.backend()
        .create_ccu(backend::Actor::CLI, user.id, "02", None, Transport::Http)
        .await?;
    app.add_outlet("02", "FE", "Desk").await;
    let base = format!("http://{}/", app.http_addr);
    let b = Browser::launch("legacy-binding", Options::DESKTOP).await?;
    let breaker = |from: &'static str| {
        let server = app.http_addr;
        async move {
            http_raw_from(
                from.parse().expect("address"),
                server,
                "POST",
                "/api/breaker-data/",
                Some(r#"{"ccu_id":"02","current_ma":1500}"#),
                &[],
            )
            .await
            .0
        }
    };
    let result = async {
        b.log_in(&base, "alice", PASSWORD).await?;
        b.wait_js(
            "the learning window on the card",
            &format!("return document.querySelector('{LEGACY_TEXT}')?.textContent.includes('waiting for its first breaker reading')"),
        )
        .await?;
        // Its first breaker reading binds it (and brings it online: the card refreshes).
        ensure!(breaker("127.0.0.2").await == 200);
        b.wait_js(
            "bound to its first address",
            &format!("return document.querySelector('{LEGACY_TEXT}').textContent.startsWith('bound to 127.0.0.2')"),
        )
        .await?;
        // The CCU moved: its calls from the new address are refused until the owner rebinds.
        ensure!(breaker("127.0.0.3").await == 404);
        b.goto(&base).await?;
        b.wait_js(
            "the refused address offered",
            "const e = document.querySelector('[data-legacy-rebind=\"02\"]'); return !!e && !e.hidden && e.textContent === 'Rebind to 127.0.0.3'",
        )
        .await?;
        b.screenshot("refused").await?;
        b.click("[data-legacy-rebind=\"02\"]").await?;
        b.click("#dialog [data-dialog=ok]").await?;
        b.wait_js(
            "bound to the new address",
            &format!("return document.querySelector('{LEGACY_TEXT}').textContent.startsWith('bound to 127.0.0.3')"),
        )
        .await?;
        ensure!(breaker("127.0.0.3").await == 200);
        ensure!(breaker("127.0.0.2").await == 404);
        Ok(())
    }
    .await;
    b.finish(result).await
}
