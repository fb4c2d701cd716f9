//! An outlet of an old-firmware CCU in the dashboard: its values are marked "last heard"
//! (the round robin reads it only now and then), and opening its page focuses it, so the CCU
//! reads it every cycle; leaving the page lets the focus lapse.

use crate::chrome::{Browser, Options};
use crate::site::PASSWORD;
use anyhow::{Result, ensure};
use backend::domain::Transport;
use std::time::Duration;
use system_tests::{http_raw, spawn_app_with, wait_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_polled_outlet_focuses_it_for_the_old_firmware() -> Result<()> {
    let app = spawn_app_with(|s| s.legacy.view_ttl = Duration::from_secs(3)).await;
    let user = app.add_user("alice").await;
    app.backend()
        .create_ccu(backend::Actor::CLI, user.id, "02", None, Transport::Http)
        .await?;
    let fe = app.add_outlet("02", "FE", "Desk lamp").await;
    app.add_outlet("02", "FD", "Kettle").await;
    let server = app.http_addr;
    let firmware = |method: &'static str, path: &'static str, body: Option<&'static str>| async move {
        http_raw(server, method, path, body, &[]).await
    };
    // The CCU binds with its first breaker reading, then reports FE once.
    ensure!(
        firmware(
            "POST",
            "/api/breaker-data/",
            Some(r#"{"ccu_id":"02","current_ma":900}"#)
        )
        .await
        .0 == 200
    );
    let reading = r#"{"device_id":"FE","current_a":420,"current_b":-1,"relay_a":false,"relay_b":false,"is_overload":false}"#;
    ensure!(firmware("POST", "/api/data/", Some(reading)).await.0 == 200);
    let focus = || async move { firmware("GET", "/api/focus/", None).await.1 };
    ensure!(focus().await == r#"{"success": true, "device_id": null}"#);

    let base = format!("http://{}/", app.http_addr);
    let b = Browser::launch("legacy-focus", Options::DESKTOP).await?;
    let result = async {
        b.log_in(&base, "alice", PASSWORD).await?;
        let card = format!("[data-outlet=\"{}\"]", fe.id);
        b.wait_js(
            "the card marked polled, values last heard",
            &format!(
                "const c = document.querySelector('{card}'); return !!c && !c.querySelector('[data-f=polled]').hidden \
                 && c.querySelector('[data-f=seen-label]').textContent === 'last heard' \
                 && c.querySelector('[data-f=polled]').title.includes('read in turn')"
            ),
        )
        .await?;
        b.screenshot("card").await?;
        b.goto(&format!("{base}#/outlet/{}", fe.id)).await?;
        wait_for("the open outlet to be the CCU's focus", || async {
            (focus().await == r#"{"success": true, "device_id": "FE"}"#).then_some(())
        })
        .await;
        // Back on the dashboard (the pointer away from the card): the focus lapses.
        b.goto(&format!("{base}#/events")).await?;
        wait_for("the focus to lapse", || async {
            (focus().await == r#"{"success": true, "device_id": null}"#).then_some(())
        })
        .await;
        Ok(())
    }
    .await;
    b.finish(result).await
}
