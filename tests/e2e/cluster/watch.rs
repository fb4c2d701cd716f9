//! Readings cross instances only while another instance has a browser of their user: with
//! one instance, or nobody watching elsewhere, sharing them cost a fifth of PostgreSQL
//! ingest (`backend::fanout::watch`). A browser that arrives on another instance gets every
//! reading from its first message on (sent once the others know of it); once it leaves,
//! sharing stops.

use super::{needs_postgres, ws_of};
use std::sync::atomic::Ordering::Relaxed;
use system_tests::ws::next_json;
use system_tests::{ApiClient, spawn_app, spawn_app_sharing, wait_until};

#[tokio::test]
async fn readings_cross_instances_only_while_a_browser_of_their_user_watches() {
    let a = spawn_app().await;
    needs_postgres(&a);
    let b = spawn_app_sharing(&a, |_| {}).await;
    let (alice, secret, _outlet) = a.seed().await;
    let dev = a.device("02", &secret).await;
    let unwatched = || a.backend().metrics().live_fanout_unwatched.load(Relaxed);

    // Nobody watches Alice on B: A keeps her readings to itself.
    dev.reading("FE", 1, 0).await;
    wait_until("a reading not shared", || async { unwatched() == 1 }).await;

    // Alice opens the dashboard on B. Its first message comes once A has been told of her
    // (`LiveHub::announced`): every reading from then on reaches her socket.
    let cookie = ApiClient::login_at(b.http_addr, &alice.username, "correct horse battery")
        .await
        .cookie;
    let mut ws = ws_of(b.http_addr, &cookie).await;
    next_json(&mut ws, |v| v["type"] == "hello").await;
    let before = unwatched();
    for ma in 1_000..1_050 {
        dev.reading("FE", ma, 0).await;
    }
    for ma in 1_000..1_050 {
        let v = next_json(&mut ws, |v| v["type"] == "reading").await;
        assert_eq!(v["current_a"], ma, "every reading, in order");
    }
    assert_eq!(unwatched(), before, "none held back while she watches");

    // She leaves: B announces it (within a second) and A stops sharing her readings.
    drop(ws);
    wait_until("sharing stops once the browser left", || async {
        dev.reading("FE", 7, 0).await;
        unwatched() > before
    })
    .await;
    b.app.stop().await;
}
