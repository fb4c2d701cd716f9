//! What arrives on the live fan-out channels is input like any other: anyone who may connect to
//! the database can `NOTIFY` them. A payload that is not another instance's envelope (or
//! watchers announcement) is counted and dropped, nothing panics, and the relay goes on.

use super::needs_postgres;
use backend::fanout::{CHANNEL, WATCH_CHANNEL};
use backend::live::LiveEvent;
use std::sync::atomic::Ordering::Relaxed;
use system_tests::{spawn_app, wait_for_event, wait_until};

#[tokio::test]
async fn an_unreadable_fanout_payload_is_counted_and_the_relay_goes_on() {
    let a = spawn_app().await;
    needs_postgres(&a);
    let (alice, _secret, outlet) = a.seed().await;
    let mut live = a.backend().subscribe();
    let store = a.store();
    let lost = || a.backend().metrics().live_fanout_lost.load(Relaxed);
    let nested = "[".repeat(7_000);
    let hostile = [
        "not json",
        r#"{"from":"x","events":[{"type":"bogus"}]}"#,
        r#"{"from":"x","events":[{"type":"reading","user_id":"1; DROP TABLE users"}]}"#,
        r#"{"from":"x","events":"#,
        nested.as_str(),
    ];
    for payload in hostile {
        store.notify(CHANNEL, payload).await.unwrap();
    }
    // the watchers' channel too (`fanout::watch`)
    for payload in ["not json", r#"{"from":7}"#, r#"{"from":"x","users":["1"]}"#] {
        store.notify(WATCH_CHANNEL, payload).await.unwrap();
    }
    let unreadable = hostile.len() as u64 + 3;
    wait_until("every unreadable payload counted", || async {
        lost() == unreadable
    })
    .await;

    // An envelope from another instance still reaches this instance's live streams.
    let reading = LiveEvent::Reading {
        user_id: alice.id,
        ccu_id: "02".into(),
        outlet_id: outlet.id,
        device_id: "FE".into(),
        current_a: 4_242,
        current_b: 0,
        relay_a: None,
        relay_b: None,
        is_overload: false,
        ts: backend::clock::now_ms(),
    };
    let envelope = serde_json::json!({"from": "another instance", "events": [reading]});
    store.notify(CHANNEL, &envelope.to_string()).await.unwrap();
    wait_for_event(&mut live, "the relayed reading", |e| match e {
        LiveEvent::Reading { current_a, .. } if *current_a == 4_242 => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(lost(), unreadable);
    assert_eq!(a.backend().metrics().live_fanout_received.load(Relaxed), 1);
}
