//! The limits a public broker needs, against the real broker over TCP on ephemeral ports:
//! per-IP connections, connection rates, the CONNECT deadline (slowloris), a silent
//! authentication hook, retained messages per client and in total, QoS 2 state awaiting
//! PUBREL. Each checks its counter in `Stats`.

mod mqtt_bytes;

use broker::stats::{Refusal, Stats};
use broker::{Admitted, Authenticator, BoxFuture, Broker};
use mqtt_bytes::{connect, publish};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use settings::{MqttSettings, Settings};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Everything here should happen within this; a test failing to see it fails.
const PATIENCE: Duration = Duration::from_secs(10);

fn settings(tweak: impl FnOnce(&mut MqttSettings)) -> MqttSettings {
    let mut s = Settings::for_tests().mqtt;
    s.addr = broker::free_local_addr().unwrap();
    s.allow_anonymous = true;
    // the tests connect from 127.0.0.1, exempt by default
    s.limits.exempt_networks.clear();
    s.limits.connection_rate_per_ip = 1000;
    s.limits.connection_burst_per_ip = 1000;
    tweak(&mut s);
    s
}

async fn start(s: &MqttSettings, auth: Option<Arc<dyn Authenticator>>) -> Broker {
    broker::start(s, auth, Default::default()).await.unwrap()
}

async fn wait_until<F: Fn() -> bool>(what: &str, f: F) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Polls until CONNACK; Err if the broker closes the connection first.
async fn connack(ev: &mut EventLoop) -> Result<(), rumqttc::ConnectionError> {
    loop {
        if let Event::Incoming(Packet::ConnAck(_)) = ev.poll().await? {
            return Ok(());
        }
    }
}

fn client(addr: SocketAddr, id: &str) -> (AsyncClient, EventLoop) {
    let mut o = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    o.set_keep_alive(Duration::from_secs(30));
    AsyncClient::new(o, 100)
}

/// A client connected with CONNACK, retried while a start-up probe still holds a slot.
async fn connected(addr: SocketAddr, id: &str) -> (AsyncClient, EventLoop) {
    within(&format!("{id} connected"), async {
        loop {
            let (c, mut ev) = client(addr, id);
            if connack(&mut ev).await.is_ok() {
                return (c, ev);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// Keeps an event loop running (acks, pings) and forwards incoming publishes.
fn drive(mut ev: EventLoop) -> tokio::sync::mpsc::UnboundedReceiver<rumqttc::Publish> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(e) = ev.poll().await {
            if let Event::Incoming(Packet::Publish(p)) = e
                && tx.send(p).is_err()
            {
                break;
            }
        }
    });
    rx
}

/// True once the peer has closed the connection (EOF or reset).
async fn closed_by_peer(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 64];
    loop {
        match s.read(&mut b).await {
            Ok(0) | Err(_) => return true,
            Ok(_) => continue,
        }
    }
}

fn refusals(stats: &Stats, why: Refusal) -> u64 {
    stats.refusals(why)
}

#[tokio::test]
async fn connections_past_the_per_ip_limit_are_closed_and_counted() {
    let s = settings(|s| s.limits.max_connections_per_ip = 3);
    let b = start(&s, None).await;
    let stats = b.stats();

    let mut held = Vec::new();
    for i in 0..3 {
        held.push(connected(s.addr, &format!("held-{i}")).await);
    }
    let before = refusals(stats, Refusal::PerIp);
    for _ in 0..2 {
        let mut extra = TcpStream::connect(s.addr).await.unwrap();
        assert!(
            within("the extra socket closed", closed_by_peer(&mut extra)).await,
            "extra socket must be closed"
        );
    }
    wait_until("two per_ip refusals counted", || {
        refusals(stats, Refusal::PerIp) >= before + 2
    })
    .await;
    let sample = stats
        .samples()
        .into_iter()
        .find(|m| m.0 == "mqtt_connections_refused_total")
        .unwrap();
    assert!(
        sample
            .2
            .iter()
            .any(|(l, v)| *l == Some(("limit", "per_ip")) && *v >= 2),
        "{sample:?}"
    );

    // The held clients are still served: a publish round-trips.
    let (c0, ev0) = held.remove(0);
    let (c1, ev1) = held.remove(0);
    let mut rx = drive(ev1);
    c1.subscribe("t/x", QoS::AtLeastOnce).await.unwrap();
    let _ = drive(ev0);
    within("the held client's publish arrives", async {
        loop {
            c0.publish("t/x", QoS::AtLeastOnce, false, b"hi".to_vec())
                .await
                .unwrap();
            if let Ok(Some(p)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
                assert_eq!(&p.payload[..], b"hi");
                break;
            }
        }
    })
    .await;

    // Once one closes, a legitimate client connects again.
    c0.disconnect().await.unwrap();
    drop(c0);
    let _again = connected(s.addr, "legit").await;
    b.shutdown();
}

/// Four quick connections to a broker set up by `tweak`: the last is refused as `why`.
async fn a_fourth_quick_connection_is_refused(tweak: impl FnOnce(&mut MqttSettings), why: Refusal) {
    let s = settings(tweak);
    let b = start(&s, None).await;
    let mut socks = Vec::new();
    for _ in 0..4 {
        socks.push(TcpStream::connect(s.addr).await.unwrap());
    }
    let stats = b.stats();
    wait_until(&format!("a {why:?} refusal"), || refusals(stats, why) >= 1).await;
    b.shutdown();
}

#[tokio::test]
async fn connection_rates_per_ip_and_in_total_are_limited_and_counted() {
    // per source: a burst of 3 at 1/s (the start-up probe takes one token)
    let per_ip = |s: &mut MqttSettings| {
        s.limits.connection_rate_per_ip = 1;
        s.limits.connection_burst_per_ip = 3;
    };
    a_fourth_quick_connection_is_refused(per_ip, Refusal::RatePerIp).await;
    let in_total = |s: &mut MqttSettings| {
        s.limits.connection_rate_total = 1;
        s.limits.connection_burst_total = 3;
    };
    a_fourth_quick_connection_is_refused(in_total, Refusal::RateTotal).await;
}

#[tokio::test]
async fn a_connect_trickled_byte_by_byte_is_cut_at_the_deadline() {
    let s = settings(|s| s.connection_timeout = Duration::from_millis(1000));
    let b = start(&s, None).await;
    let stats = b.stats();
    let before = stats.handshake_timeouts.load(Relaxed);

    let sock = TcpStream::connect(s.addr).await.unwrap();
    let (mut rd, mut wr) = sock.into_split();
    let started = Instant::now();
    // A long client id: the whole CONNECT would take ~6 s at one byte per 50 ms.
    let packet = connect(4, &"x".repeat(100), true);
    let writer = tokio::spawn(async move {
        for byte in packet.iter().take(packet.len() - 1) {
            if wr.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut buf = [0u8; 16];
    let n = within("the slow client cut", rd.read(&mut buf)).await;
    let elapsed = started.elapsed();
    assert!(matches!(n, Ok(0) | Err(_)), "no CONNACK expected: {n:?}");
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_millis(3000),
        "cut after {elapsed:?}, expected ≈ 1 s"
    );
    writer.abort();
    wait_until("the handshake timeout counted", || {
        stats.handshake_timeouts.load(Relaxed) > before
    })
    .await;
    b.shutdown();
}

/// An authentication hook that never answers.
struct Silent;

impl Authenticator for Silent {
    fn authenticate(&self, _: String, _: String, _: String) -> BoxFuture<Option<Admitted>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_silent_authentication_hook_refuses_the_client_in_time() {
    let s = settings(|s| {
        s.allow_anonymous = false;
        s.connection_timeout = Duration::from_millis(500);
    });
    let b = start(&s, Some(Arc::new(Silent))).await;
    let (_c, mut ev) = {
        let mut o = MqttOptions::new("dev", s.addr.ip().to_string(), s.addr.port());
        o.set_credentials("dev", "secret");
        AsyncClient::new(o, 10)
    };
    let started = Instant::now();
    let r = within("refusal", connack(&mut ev)).await;
    assert!(r.is_err(), "no CONNACK from a silent hook");
    assert!(started.elapsed() < Duration::from_secs(3));
    let stats = b.stats();
    wait_until("auth timeout counted", || {
        stats.auth_timeouts.load(Relaxed) >= 1
    })
    .await;
    b.shutdown();
}

/// Collects the retained messages a fresh subscriber of `filter` gets, up to the live
/// marker `mark` published after subscribing.
async fn retained_seen(addr: SocketAddr, id: &str, filter: &str) -> Vec<(String, Vec<u8>)> {
    let (c, ev) = connected(addr, id).await;
    let mut rx = drive(ev);
    c.subscribe(filter, QoS::AtLeastOnce).await.unwrap();
    c.subscribe("mark", QoS::AtLeastOnce).await.unwrap();
    let mut seen = Vec::new();
    within("retained messages and the marker", async {
        loop {
            // The marker is published until it arrives: it comes after the retained ones,
            // which the broker sends on SUBACK.
            c.publish("mark", QoS::AtLeastOnce, false, b"m".to_vec())
                .await
                .unwrap();
            while let Ok(Some(p)) =
                tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
            {
                if p.topic == "mark" {
                    return;
                }
                if p.retain {
                    seen.push((p.topic.clone(), p.payload.to_vec()));
                }
            }
        }
    })
    .await;
    c.disconnect().await.ok();
    seen.sort();
    seen
}

/// A fresh subscriber of `r/#` gets exactly these retained messages (topic order).
async fn assert_retained(addr: SocketAddr, id: &str, expected: &[(&str, &str)]) {
    let seen = retained_seen(addr, id, "r/#").await;
    let expected: Vec<(String, Vec<u8>)> = expected
        .iter()
        .map(|(topic, payload)| (topic.to_string(), payload.as_bytes().to_vec()))
        .collect();
    assert_eq!(seen, expected);
}

async fn publish_retained(c: &AsyncClient, topic: &str, payload: &[u8]) {
    c.publish(topic, QoS::AtLeastOnce, true, payload.to_vec())
        .await
        .unwrap();
}

#[tokio::test]
async fn retained_limits_refuse_new_topics_but_updates_and_clears_work() {
    let s = settings(|s| {
        s.limits.retained_per_client = 2;
        s.limits.retained_total = 3;
    });
    let b = start(&s, None).await;
    let stats = b.stats();

    let (a, ev) = connected(s.addr, "ccu-a").await;
    let mut a_rx = drive(ev);
    // ccu-a hears its own publishes: once one arrives, all before it were processed
    a.subscribe("r/#", QoS::AtLeastOnce).await.unwrap();
    publish_retained(&a, "r/1", b"one").await;
    publish_retained(&a, "r/2", b"two").await;
    publish_retained(&a, "r/3", b"three").await; // past the client's limit
    wait_until("a per-client refusal", || {
        stats.retained_refused_client.load(Relaxed) == 1
    })
    .await;
    assert_retained(s.addr, "sub-1", &[("r/1", "one"), ("r/2", "two")]).await;

    // update an existing topic, clear another, then a new one fits again
    publish_retained(&a, "r/1", b"uno").await;
    publish_retained(&a, "r/2", b"").await;
    publish_retained(&a, "r/3", b"three-b").await;
    within("ccu-a's last publish processed", async {
        while let Some(p) = a_rx.recv().await {
            if p.topic == "r/3" && &p.payload[..] == b"three-b" {
                break;
            }
        }
    })
    .await;
    assert_retained(s.addr, "sub-2", &[("r/1", "uno"), ("r/3", "three-b")]).await;
    assert_eq!(stats.retained_refused_client.load(Relaxed), 1);

    // the broker-wide limit: 2 stored + 1 more = 3; the next new topic is refused
    let (d, ev) = connected(s.addr, "ccu-d").await;
    let _d_rx = drive(ev);
    publish_retained(&d, "r/d1", b"d1").await;
    publish_retained(&d, "r/d2", b"d2").await;
    wait_until("a total refusal", || {
        stats.retained_refused_total.load(Relaxed) == 1
    })
    .await;
    let seen = retained_seen(s.addr, "sub-3", "r/#").await;
    let topics: Vec<&str> = seen.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(topics, vec!["r/1", "r/3", "r/d1"]);
    b.shutdown();
}

#[tokio::test]
async fn qos2_publishes_awaiting_pubrel_past_the_limit_disconnect() {
    let s = settings(|s| s.limits.qos2_inflight_per_client = 2);
    let b = start(&s, None).await;
    let stats = b.stats();

    let mut sock = within("connected", async {
        loop {
            let mut sock = TcpStream::connect(s.addr).await.unwrap();
            sock.write_all(&connect(4, "q2", true)).await.unwrap();
            let mut ack = [0u8; 4];
            if sock.read_exact(&mut ack).await.is_ok() && ack[0] == 0x20 {
                return sock;
            }
        }
    })
    .await;
    // Two QoS 2 publishes without PUBREL are within the limit: both get a PUBREC.
    for pkid in 1..=2 {
        sock.write_all(&publish(b"q/t", 2, pkid, None, b"x"))
            .await
            .unwrap();
    }
    let mut pubrecs = [0u8; 8];
    within("two PUBRECs", sock.read_exact(&mut pubrecs))
        .await
        .unwrap();
    assert_eq!((pubrecs[0], pubrecs[4]), (0x50, 0x50));
    assert_eq!(stats.qos2_inflight_disconnects.load(Relaxed), 0);
    // The third one is past it: the broker disconnects.
    sock.write_all(&publish(b"q/t", 2, 3, None, b"x"))
        .await
        .unwrap();
    assert!(within("disconnect", closed_by_peer(&mut sock)).await);
    wait_until("the QoS 2 disconnect counted", || {
        stats.qos2_inflight_disconnects.load(Relaxed) == 1
    })
    .await;
    // A well-behaved QoS 2 client (PUBREL after each PUBREC) is not affected.
    let (c, ev) = connected(s.addr, "q2-good").await;
    let _rx = drive(ev);
    for _ in 0..5 {
        c.publish("q/t", QoS::ExactlyOnce, false, b"y".to_vec())
            .await
            .unwrap();
    }
    c.disconnect().await.unwrap();
    assert_eq!(stats.qos2_inflight_disconnects.load(Relaxed), 1);
    b.shutdown();
}
