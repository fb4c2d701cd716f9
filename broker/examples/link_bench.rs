//! Measures how fast the backend can consume device publishes from the embedded broker:
//! through rumqttd's in-process local link, or through an MQTT client (rumqttc) on loopback.
//!
//! `cargo run --release -p broker --example link_bench -- [N]` (N publishes, default 50000).

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::time::{Duration, Instant};

const PAYLOAD: &str = r#"{"device_id":"FE","current_a":1250,"current_b":0,"relay_a":true,"relay_b":false,"is_overload":false}"#;

#[derive(Clone, Copy, Debug)]
enum Consumer {
    LocalLink,
    Rumqttc(QoS),
}

fn settings() -> settings::MqttSettings {
    let mut s = settings::Settings::default().mqtt;
    s.addr = broker::free_local_addr().expect("free port");
    s.allow_anonymous = true;
    s.max_connections = 100;
    s
}

async fn client(addr: std::net::SocketAddr, id: &str) -> (AsyncClient, rumqttc::EventLoop) {
    let mut o = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    o.set_keep_alive(Duration::from_secs(30)).set_inflight(1000);
    let (c, mut ev) = AsyncClient::new(o, 10_000);
    loop {
        if let Event::Incoming(Packet::ConnAck(_)) = ev.poll().await.expect("connect") {
            return (c, ev);
        }
    }
}

async fn run(consumer: Consumer, n: usize) -> (Duration, usize) {
    let s = settings();
    let b = broker::start(&s, None, Default::default())
        .await
        .expect("broker");
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<usize>(1);
    match consumer {
        Consumer::LocalLink => {
            let (mut tx, mut rx, _) =
                tokio::task::block_in_place(|| b.local_link("bench-link")).expect("link");
            tx.subscribe("ccu/+/sensor").expect("subscribe");
            tokio::spawn(async move {
                let mut got = 0;
                let _tx = tx;
                loop {
                    match rx.next().await {
                        Ok(Some(rumqttd::Notification::Forward(_))) => {
                            got += 1;
                            if got == n {
                                let _ = done_tx.send(got).await;
                                return;
                            }
                        }
                        Ok(Some(rumqttd::Notification::Unschedule)) => {
                            let _ = rx.wake().await;
                        }
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
            });
        }
        Consumer::Rumqttc(qos) => {
            let (c, mut ev) = client(s.addr, "bench-consumer").await;
            c.subscribe("ccu/+/sensor", qos).await.expect("subscribe");
            loop {
                if let Event::Incoming(Packet::SubAck(_)) = ev.poll().await.expect("suback") {
                    break;
                }
            }
            tokio::spawn(async move {
                let _c = c;
                let mut got = 0;
                while let Ok(e) = ev.poll().await {
                    if let Event::Incoming(Packet::Publish(_)) = e {
                        got += 1;
                        if got == n {
                            let _ = done_tx.send(got).await;
                            return;
                        }
                    }
                }
            });
        }
    }
    // Give the subscription a moment to register in the router.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (p, mut ev) = client(s.addr, "bench-device").await;
    tokio::spawn(async move { while ev.poll().await.is_ok() {} });
    let start = Instant::now();
    for _ in 0..n {
        p.publish("ccu/02/sensor", QoS::AtLeastOnce, false, PAYLOAD)
            .await
            .expect("publish");
    }
    let got = tokio::time::timeout(Duration::from_secs(120), done_rx.recv())
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    let elapsed = start.elapsed();
    b.shutdown();
    (elapsed, got)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000);
    println!(
        "{n} QoS 1 publishes of {} bytes from one device client",
        PAYLOAD.len()
    );
    println!(
        "{:<24} {:>10} {:>12} {:>10}",
        "consumer", "received", "msgs/s", "seconds"
    );
    for c in [
        Consumer::LocalLink,
        Consumer::Rumqttc(QoS::AtMostOnce),
        Consumer::Rumqttc(QoS::AtLeastOnce),
    ] {
        let (d, got) = run(c, n).await;
        let label = match c {
            Consumer::LocalLink => "local link (QoS 0)".to_string(),
            Consumer::Rumqttc(q) => format!("rumqttc loopback {q:?}"),
        };
        println!(
            "{label:<24} {got:>10} {:>12.0} {:>10.2}",
            got as f64 / d.as_secs_f64(),
            d.as_secs_f64()
        );
    }
}
