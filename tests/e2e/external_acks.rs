//! With an external broker and a persistent session, each device publish is acknowledged to
//! the broker once its batch is committed. A batch commits thousands at once, more than the
//! MQTT client's request queue holds: none of those acknowledgements may be dropped, or the
//! broker keeps the publishes in flight (a window that stalls ingest once full) and delivers
//! them again at the next session. Nor at a graceful stop: the connection stays up until the
//! acknowledgements of the last commit are written.

use crate::external_mosquitto::{Mosquitto, use_mosquitto};
use backend::metrics::Transport;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use system_tests::{Device, spawn_app_with, wait_until};

/// More publishes in one batch than the client's request queue (4 096) takes.
const PUBLISHES: i64 = 6_000;
/// Publishes in the batch the writer still holds when the server stops.
const LAST_BATCH: i64 = 3_000;

#[tokio::test]
async fn every_publish_of_a_large_batch_is_acknowledged_to_the_broker() {
    let m = Mosquitto::start().await;
    let port = m.port;
    let settings = move |s: &mut settings::Settings| {
        use_mosquitto(s, port);
        s.mqtt.external.instance_id = "acks".into();
        s.history.interval = Duration::ZERO;
        s.history.batch_size = 100_000;
        // one batch takes everything the CCU sends
        s.history.flush_interval = Duration::from_secs(30);
    };
    let a = spawn_app_with(settings).await;
    let (_, secret, outlet) = a.seed().await;
    let dev = Device::connect(a.mqtt_addr, "02", &secret).await.unwrap();
    let start = backend::clock::now_ms() - PUBLISHES - LAST_BATCH - 10_000;
    for i in 0..PUBLISHES {
        let reading = serde_json::json!({"device_id": "FE", "current_a": 1000, "current_b": 0, "ts": start + i});
        dev.send("sensor", reading).await;
    }
    let received = |app: &backend::Backend| app.metrics().ingested_total(Transport::Mqtt);
    wait_until("every publish received", || async {
        received(a.backend()) == PUBLISHES as u64
    })
    .await;
    a.backend().flush().await;
    assert_eq!(
        a.store().count_readings(outlet.id).await.unwrap(),
        PUBLISHES as u64
    );
    // Every acknowledgement is written to the broker (none dropped on a full queue).
    wait_until("every publish acknowledged to the broker", || async {
        // and the CCU's status message
        a.backend().broker_acks_sent() == PUBLISHES as u64 + 1
    })
    .await;
    // A second burst the writer still holds (30 s flush interval) when the server stops:
    // the graceful stop commits it and writes its acknowledgements before it disconnects.
    let more = start + PUBLISHES;
    for i in 0..LAST_BATCH {
        let reading = serde_json::json!({"device_id": "FE", "current_a": 1000, "current_b": 0, "ts": more + i});
        dev.send("sensor", reading).await;
    }
    let total = (PUBLISHES + LAST_BATCH) as u64;
    wait_until("the second burst received", || async {
        received(a.backend()) == total
    })
    .await;
    dev.disconnect().await;
    let backend = a.backend().clone();
    let system_tests::TestApp {
        app,
        settings,
        db,
        dir,
        ..
    } = a;
    app.stop().await;
    assert_eq!(
        backend.broker_acks_sent(),
        total + 1,
        "acknowledged at the stop"
    );
    let failed = backend.metrics().broker_acks_failed.load(Relaxed);
    assert_eq!(failed, 0);
    assert_eq!(
        backend.store().count_readings(outlet.id).await.unwrap(),
        total
    );
    drop(backend);

    // The same session again, on the same database: what the broker still held
    // unacknowledged would come back now.
    let mut s = settings.clone();
    let data = tempfile::tempdir().unwrap();
    s.data_dir = data.path().to_path_buf();
    s.http.addr = "127.0.0.1:0".parse().unwrap();
    s.history.flush_interval = Duration::from_millis(20);
    let again = smart_outlet::startup::Application::build(s).await.unwrap();
    // A reading after the reconnect: once it is in, anything redelivered came before it.
    let dev = Device::connect(again.mqtt_addr(), "02", &secret)
        .await
        .unwrap();
    dev.reading("FE", 4242, 0).await;
    let b = again.backend().clone();
    wait_until("the reading after the reconnect", || async {
        b.state().outlet(outlet.id).and_then(|o| o.current_a) == Some(4242)
    })
    .await;
    assert_eq!(
        received(&b),
        1,
        "publishes delivered again: their acknowledgements were lost"
    );
    again.stop().await;
    drop((db, dir));
}
