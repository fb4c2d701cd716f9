//! The event log's filters (kind, source, device, time) narrow the list, are kept in the
//! address, and the statistics count what happened.

use crate::chrome::{Browser, Options};
use crate::site::{PASSWORD, Site, eventually};
use anyhow::{Result, ensure};
use backend::domain::Socket;

/// `(total, rows)` of the table, each row `(kind, source, device)`.
const ROWS: &str = "const rows = [...document.querySelectorAll('#events tbody tr[data-kind]')]; \
    return [Number(document.querySelector('#events').dataset.total || -1), \
            rows.map(r => [r.dataset.kind, r.dataset.source, r.cells[4].textContent])]";

async fn rows(b: &Browser) -> Result<(i64, Vec<(String, String, String)>)> {
    let v = b.js(ROWS).await?;
    let total = v[0].as_i64().unwrap_or(-1);
    let rows = v[1]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    let s = |i: usize| r[i].as_str().unwrap_or_default().to_string();
                    (s(0), s(1), s(2))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((total, rows))
}

/// Submits the filter form and waits until the table shows the filtered result.
async fn apply(b: &Browser, hash_has: &str) -> Result<()> {
    b.click("#event-filter button[type=submit]").await?;
    b.wait_js(
        &format!("the address to hold {hash_has}"),
        &format!("return location.hash.includes({hash_has:?})"),
    )
    .await?;
    b.wait_js(
        "the filtered table",
        "const t = document.querySelector('#events'); return !!t && t.dataset.query === location.hash",
    )
    .await
    .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_log_filters_by_kind_source_device_and_time() -> Result<()> {
    let site = Site::start(&[(0xFE, "Desk"), (0xFD, "Kettle")], &[]).await?;
    let b = Browser::launch("events", Options::DESKTOP).await?;
    let result = async {
        // Something to log: outlets added (command line), the CCU online (device), two
        // commands (web) and the relays they switched (device).
        site.switch_on(0xFE, Socket::A).await?;
        site.switch_on(0xFD, Socket::B).await?;
        eventually("both relays on", || {
            site.relay(0xFE, Socket::A) && site.relay(0xFD, Socket::B)
        })
        .await?;
        b.log_in(&site.url(), "alice", PASSWORD).await?;
        b.click("[data-nav=events]").await?;
        b.wait_js(
            "relay changes in the log",
            "return [...document.querySelectorAll('#events tbody tr')].filter(r => r.dataset.kind === 'relay_changed').length >= 2",
        )
        .await?;
        let (all, _) = rows(&b).await?;
        ensure!(all >= 6, "{all} events in all");

        // Kind.
        b.choose("#event-filter [name=kind]", "command").await?;
        apply(&b, "kind=command").await?;
        b.wait_js("only commands", "return [...document.querySelectorAll('#events tbody tr')].every(r => r.dataset.kind === 'command')").await?;
        let (commands, list) = rows(&b).await?;
        ensure!(commands > 0 && commands < all, "{commands} of {all}");
        ensure!(list.iter().all(|(k, _, _)| k == "command"), "{list:?}");

        // Kind and device.
        b.choose("#event-filter [name=device_id]", "FD").await?;
        apply(&b, "device_id=FD").await?;
        b.wait_js("only FD", "return [...document.querySelectorAll('#events tbody tr')].every(r => r.cells[4] && r.cells[4].textContent === '0xFD')").await?;
        let (fd, list) = rows(&b).await?;
        ensure!(fd > 0 && fd < commands, "{fd} of {commands}");
        ensure!(list.iter().all(|(k, _, d)| k == "command" && d == "0xFD"), "{list:?}");

        // Source alone.
        b.goto(&format!("{}#/events", site.url())).await?;
        b.choose("#event-filter [name=source]", "cli").await?;
        apply(&b, "source=cli").await?;
        b.wait_js("only the command line", "return [...document.querySelectorAll('#events tbody tr')].every(r => r.dataset.source === 'cli')").await?;
        let (cli, list) = rows(&b).await?;
        ensure!(cli >= 2 && cli < all, "{cli} of {all}");
        ensure!(list.iter().all(|(k, _, _)| k == "config"), "{list:?}");

        // Time: everything happened after 2020.
        b.js("document.querySelector('#event-filter [name=to]').value = '2020-01-01T00:00'; return true")
            .await?;
        apply(&b, "to=").await?;
        b.wait_js("nothing before 2020", "return document.querySelector('#events').dataset.total === '0'").await?;
        ensure!(
            b.text("#events tbody").await? == "No events match these filters.",
            "an empty result says so"
        );

        // Reset, and the statistics.
        b.click("#event-filter a.button").await?;
        b.wait_js("all events again", &format!("return Number(document.querySelector('#events').dataset.total) >= {all}")).await?;
        b.wait_js(
            "command statistics",
            "const a = document.querySelector('[data-stat-kind=command] strong'); return !!a && Number(a.textContent) >= 2",
        )
        .await?;
        b.wait_visible("#stats-chart canvas").await?;
        Ok(())
    }
    .await;
    site.finish(b, result).await
}
