//! A relay toggle follows the device: pending until the simulated PIC acknowledges, then
//! confirmed; failed when no PIC answers. The outlet page shows the command and the history.

use crate::chrome::{Browser, Options};
use crate::site::{PASSWORD, Site, eventually};
use anyhow::{Result, ensure};
use backend::domain::Socket;

/// Records every `data-cmd` value a toggle takes, so a short-lived "pending" is not missed.
const RECORD: &str = "const b = document.querySelector(arguments[0]); window.__phases = [b.dataset.cmd]; \
    new MutationObserver(() => window.__phases.push(b.dataset.cmd)).observe(b, {attributes: true, attributeFilter: ['data-cmd']}); \
    return true";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toggle_is_confirmed_by_the_simulated_pic_and_fails_visibly_when_none_answers()
-> Result<()> {
    let site = Site::start(&[(0xFE, "Desk"), (0xFD, "Kettle")], &[(0xFC, "Garden")]).await?;
    let b = Browser::launch("relays", Options::DESKTOP).await?;
    let result = async {
        b.log_in(&site.url(), "alice", PASSWORD).await?;
        let desk = site.outlet(0xFE)?.id;
        let card = format!("[data-outlet=\"{desk}\"]");
        b.wait_text(&format!("{card} [data-f=online]"), "online")
            .await?;
        ensure!(!site.relay(0xFE, Socket::A), "OFF at boot");

        // Switch socket A on: pending, then confirmed by the PIC.
        let toggle = format!("[data-toggle=\"{desk}:a\"]");
        b.js_with(RECORD, vec![toggle.clone().into()]).await?;
        b.click(&toggle).await?;
        b.wait_js(
            "socket A confirmed on",
            &format!(
                "const t = document.querySelector('{toggle}'); \
                 return t.dataset.cmd === 'confirmed' && t.dataset.state === 'on' && t.getAttribute('aria-pressed') === 'true'"
            ),
        )
        .await?;
        eventually("the simulated relay A to close", || site.relay(0xFE, Socket::A)).await?;
        ensure!(!site.relay(0xFE, Socket::B), "socket B untouched");
        ensure!(
            b.text(&format!("{card} [data-f=cmd-b]")).await?.is_empty(),
            "no command on socket B"
        );
        let phases = b.js("return window.__phases").await?;
        ensure!(
            phases.as_array().is_some_and(|p| {
                let p: Vec<&str> = p.iter().filter_map(|v| v.as_str()).collect();
                p.iter().position(|x| *x == "pending") < p.iter().position(|x| *x == "confirmed")
                    && p.contains(&"pending")
            }),
            "pending before confirmed: {phases}"
        );
        ensure!(
            b.text(&format!("{card} [data-f=cmd-a]")).await?.contains("Confirmed"),
            "the status line says confirmed"
        );

        // Socket B with the keyboard: focus the toggle, press Space.
        let toggle_b = format!("[data-toggle=\"{desk}:b\"]");
        b.js_with("document.querySelector(arguments[0]).focus(); return true", vec![toggle_b.clone().into()])
            .await?;
        b.type_keys(" ").await?;
        b.wait_js(
            "socket B confirmed on",
            &format!("const t = document.querySelector('{toggle_b}'); return t.dataset.state === 'on' && t.dataset.cmd === 'confirmed'"),
        )
        .await?;
        eventually("the simulated relay B to close", || site.relay(0xFE, Socket::B)).await?;

        // An outlet whose PIC never answers: the toggle shows the failure.
        let garden = site.outlet(0xFC)?.id;
        let failing = format!("[data-toggle=\"{garden}:b\"]");
        b.click(&failing).await?;
        b.wait_js(
            "the garden toggle to fail",
            &format!("return document.querySelector('{failing}').dataset.cmd === 'failed'"),
        )
        .await?;
        ensure!(
            b.text(&format!("[data-outlet=\"{garden}\"] [data-f=cmd-b]"))
                .await?
                .starts_with("✗ Failed"),
            "the reason is shown"
        );
        b.screenshot("dashboard").await?;

        // The outlet page: the command, acknowledged, and the history chart.
        b.click(&format!("{card} [data-f=name]")).await?;
        b.wait_text("[data-f=title]", "Desk").await?;
        b.wait_js(
            "the command with status ok",
            "return [...document.querySelectorAll('#commands tr[data-status]')].some(r => r.dataset.status === 'ok' && r.textContent.includes('Socket A on'))",
        )
        .await?;
        b.wait_visible("#history-chart canvas").await?;
        b.click("[data-range=\"24h\"]").await?;
        b.wait_js(
            "the 24 h range chosen",
            "return document.querySelector('[data-range=\"24h\"]').getAttribute('aria-pressed') === 'true' && !document.querySelector('#history-note').textContent.startsWith('Loading')",
        )
        .await?;
        b.wait_js(
            "the range's energy",
            "return /^Energy: [0-9.]+ kWh \\(A [0-9.]+ kWh · B [0-9.]+ kWh\\) at 230 V$/.test(document.querySelector('#energy-note').textContent)",
        )
        .await?;
        // A schedule: socket B off at 07:15 on Mondays, in the browser's time zone.
        b.js("document.querySelector('#add-schedule [name=time]').value = '07:15'; return true")
            .await?;
        b.choose("#add-schedule [name=socket]", "b").await?;
        b.choose("#add-schedule [name=action]", "off").await?;
        b.click("#add-schedule input[name=day][value=mon]").await?;
        b.click("#add-schedule button[type=submit]").await?;
        b.wait_js(
            "the schedule listed",
            "return [...document.querySelectorAll('#schedules tr[data-schedule]')].some(r => r.textContent.includes('07:15') && r.textContent.includes('mon') && !r.textContent.includes('tue'))",
        )
        .await?;
        let stored = site
            .app
            .backend()
            .outlet_schedules(backend::Actor::User(site.user.id), desk)
            .await?;
        ensure!(
            stored.len() == 1 && stored[0].minute_of_day == 7 * 60 + 15 && stored[0].weekdays == 1 && !stored[0].turn_on,
            "stored as asked: {stored:?}"
        );
        b.screenshot("outlet-page").await?;
        b.wait_js(
            "the relay change in the outlet's events",
            "return [...document.querySelectorAll('#outlet-events tr')].some(r => r.dataset.kind === 'relay_changed')",
        )
        .await?;
        Ok(())
    }
    .await;
    site.finish(b, result).await
}
