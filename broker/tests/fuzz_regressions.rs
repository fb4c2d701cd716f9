//! Regressions of the fuzzing in `fuzz/` and of the issue "no client can stop the broker":
//! client bytes that panicked rumqttd (the router thread, a link task, or the listener's
//! will map), sent over real TCP to the real broker; afterwards a new client must still
//! connect and get a publish routed to a subscriber.
//!
//! `fuzz/regressions/<target>/*.mqtt` hold whole client byte streams (CONNECT first); each
//! is sent twice, on two successive connections, as a device retrying would.

mod mqtt_bytes;

use mqtt_bytes::{connect, connect_with_will, frame, publish, subscribe};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

/// Upper bound for any single wait; tests end as soon as the awaited event happens.
const WAIT: Duration = Duration::from_secs(10);

struct TestBroker {
    v4: SocketAddr,
    v5: SocketAddr,
    _broker: broker::Broker,
}

async fn start_broker() -> TestBroker {
    start_broker_with(|_| {}).await
}

async fn start_broker_with(f: impl FnOnce(&mut settings::MqttSettings)) -> TestBroker {
    let mut s = settings::Settings::default().mqtt;
    f(&mut s);
    s.addr = broker::free_local_addr().expect("free port");
    let v5 = loop {
        let a = broker::free_local_addr().expect("free port");
        if a != s.addr {
            break a;
        }
    };
    s.v5_addr = Some(v5);
    s.allow_anonymous = true;
    let b = broker::start(&s, None, Default::default())
        .await
        .expect("broker starts");
    TestBroker {
        v4: s.addr,
        v5,
        _broker: b,
    }
}

const PINGREQ: [u8; 2] = [0xC0, 0x00];
const PINGRESP: [u8; 2] = [0xD0, 0x00];

fn protocol_level(stream: &[u8]) -> u8 {
    stream
        .windows(4)
        .position(|w| w == b"MQTT")
        .and_then(|i| stream.get(i + 4).copied())
        .unwrap_or(4)
}

/// Sends `bytes` as one client, then a PINGREQ, and waits until the broker answered it or
/// closed the connection: either way every packet before it has reached the router.
/// Returns everything the broker sent.
async fn send_raw(b: &TestBroker, bytes: &[u8]) -> Vec<u8> {
    let addr = if protocol_level(bytes) == 5 {
        b.v5
    } else {
        b.v4
    };
    let mut s = TcpStream::connect(addr).await.expect("tcp connect");
    s.set_nodelay(true).ok();
    let mut all = bytes.to_vec();
    all.extend_from_slice(&PINGREQ);
    // the broker may close the socket half-way (that is fine): ignore write errors
    let _ = s.write_all(&all).await;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return got,
            Ok(Ok(n)) => {
                got.extend_from_slice(&buf[..n]);
                // (forwards queued behind the PINGRESP may follow it)
                if got.windows(2).any(|w| w == PINGRESP) {
                    return got;
                }
            }
        }
    }
}

static PROBES: AtomicUsize = AtomicUsize::new(0);

async fn client(addr: SocketAddr, id: &str) -> (AsyncClient, EventLoop) {
    let mut o = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    o.set_keep_alive(Duration::from_secs(30));
    let (c, mut ev) = AsyncClient::new(o, 16);
    timeout(WAIT, async {
        loop {
            match ev.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => return,
                Ok(_) => {}
                Err(e) => panic!("broker no longer admits a client: {e}"),
            }
        }
    })
    .await
    .expect("CONNACK in time");
    (c, ev)
}

/// A client subscribed to `filter`, once the broker has answered with SUBACK.
async fn subscriber(
    addr: SocketAddr,
    id: &str,
    filter: &str,
    qos: QoS,
) -> (AsyncClient, EventLoop) {
    let (c, mut ev) = client(addr, id).await;
    c.subscribe(filter, qos).await.expect("subscribe");
    timeout(WAIT, async {
        loop {
            if let Event::Incoming(Packet::SubAck(_)) = ev.poll().await.expect("suback") {
                return;
            }
        }
    })
    .await
    .expect("SUBACK in time");
    (c, ev)
}

/// Polls `ev` until a publish on `topic` arrives; `what` names it when it does not.
async fn publish_arrives(ev: &mut EventLoop, topic: &str, what: &str) {
    timeout(WAIT, async {
        loop {
            match ev.poll().await.expect("subscriber still connected") {
                Event::Incoming(Packet::Publish(p)) if p.topic == topic => return,
                _ => {}
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what}"));
}

/// A new subscriber and a new publisher connect, and the publish reaches the subscriber.
async fn assert_broker_alive(b: &TestBroker) {
    let n = PROBES.fetch_add(1, Ordering::Relaxed);
    let topic = format!("probe/{n}");
    let sub_id = format!("probe-sub-{n}");
    let (_sub, mut sub_ev) = subscriber(b.v4, &sub_id, &topic, QoS::AtLeastOnce).await;
    let (publ, mut pub_ev) = client(b.v4, &format!("probe-pub-{n}")).await;
    publ.publish(&topic, QoS::AtLeastOnce, false, "alive")
        .await
        .expect("publish");
    tokio::spawn(async move { while pub_ev.poll().await.is_ok() {} });
    let what = "the publish is routed to the subscriber";
    publish_arrives(&mut sub_ev, &topic, what).await;
}

/// Sends `stream` on two successive connections, then checks the broker.
async fn replay(b: &TestBroker, stream: &[u8]) {
    send_raw(b, stream).await;
    send_raw(b, stream).await;
    assert_broker_alive(b).await;
}

// ---- the one-publish router kill ----

/// A PUBLISH whose topic starts with a multi-byte UTF-8 character, while anyone (here: a
/// subscriber like the backend's `ccu/+/sensor`) is subscribed: `protocol::matches` sliced
/// `topic[..1]`, which panics off a char boundary, on the router thread. From then on no
/// client could connect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_on_multibyte_topic_does_not_kill_the_router() {
    let b = start_broker().await;
    let (_backend, mut backend_ev) =
        subscriber(b.v4, "backend", "ccu/+/sensor", QoS::AtLeastOnce).await;
    tokio::spawn(async move { while backend_ev.poll().await.is_ok() {} });

    let mut attack = connect(4, "02", true);
    attack.extend(publish("é/sensor".as_bytes(), 1, 1, None, b"{}"));
    let answer = send_raw(&b, &attack).await;
    // PUBACK for the publish (0x40 0x02 0x00 0x01) and the PINGRESP: the router handled both
    assert!(
        answer.windows(4).any(|w| w == [0x40, 0x02, 0x00, 0x01]),
        "no PUBACK: {answer:02x?}"
    );
    assert!(
        answer.windows(2).any(|w| w == PINGRESP),
        "no PINGRESP: {answer:02x?}"
    );
    assert_broker_alive(&b).await;
}

/// The same over the MQTT 5 listener, retained, then read back by a new subscription
/// (the retained store is matched with the same function).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retained_multibyte_topic_over_v5_does_not_kill_the_router() {
    let b = start_broker().await;
    let mut attack = connect(5, "v5-client", true);
    let mut p = publish("€".as_bytes(), 0, 0, Some(&[]), b"x");
    p[0] |= 0x01; // retain
    attack.extend(p);
    attack.extend(subscribe(5, 7, "#", 0));
    replay(&b, &attack).await;
}

// ---- the other crashes found ----

/// A v5 client's PUBLISH with properties forwarded to a v4 subscriber hit `unreachable!`
/// in the v4 encoder, killing the subscriber's link (here: the backend's bus).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v5_publish_with_properties_reaches_a_v4_subscriber() {
    let b = start_broker().await;
    let (_sub, mut sub_ev) =
        subscriber(b.v4, "v4-subscriber", "ccu/+/sensor", QoS::AtMostOnce).await;
    let mut attack = connect(5, "v5-publisher", true);
    // user property ("k", "v")
    let props = [0x26, 0, 1, b'k', 0, 1, b'v'];
    attack.extend(publish(b"ccu/02/sensor", 0, 0, Some(&props), b"{}"));
    send_raw(&b, &attack).await;
    let what = "the v5 publish reaches the v4 subscriber";
    publish_arrives(&mut sub_ev, "ccu/02/sensor", what).await;
    assert_broker_alive(&b).await;
}

/// A client id the router refuses (`+`, `$`, `#`, `/`), sent twice: the first link ended
/// without taking its will entry out, the second `try_send(..).unwrap()`ed into the dead
/// channel while holding the listener's std mutex, poisoning it: every later CONNECT on
/// that listener panicked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_client_id_twice_does_not_poison_the_listener() {
    let b = start_broker().await;
    for id in ["a+b", "$x", "#", "ccu/02"] {
        let answer = send_raw(&b, &connect(4, id, true)).await;
        // CONNACK, return code 2: identifier rejected
        assert_eq!(
            answer.get(..4),
            Some(&[0x20, 0x02, 0x00, 0x02][..]),
            "{id}: {answer:02x?}"
        );
        send_raw(&b, &connect(4, id, true)).await;
    }
    assert_broker_alive(&b).await;
}

/// The peer resets the connection right after CONNECT (upstream issue 1062): the router
/// registered it but the CONNACK write failed, and nobody ever told the router: the client
/// id and a connection slot stayed taken forever (and the next CONNECT with that client id
/// hit the poisoned will map as above). With room for 4 connections, 4 such clients used to
/// lock everybody out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_during_connack_frees_the_connection() {
    let b = start_broker_with(|s| s.max_connections = 4).await;
    for i in 0..4 {
        let s = TcpStream::connect(b.v4).await.expect("tcp connect");
        // RST on close instead of FIN (what the deprecation warns about is exactly the
        // point here, and a zero linger never blocks)
        #[allow(deprecated)]
        s.set_linger(Some(Duration::ZERO)).expect("linger");
        let mut s = s;
        s.write_all(&connect(4, &format!("reset-{i}"), true))
            .await
            .expect("write");
        drop(s);
    }
    // A well-behaved reconnect with a used client id is admitted (the router may still be
    // processing the resets: poll with a deadline).
    let deadline = Instant::now() + WAIT;
    loop {
        let answer = send_raw(&b, &connect(4, "reset-0", true)).await;
        if answer.get(..2) == Some(&[0x20, 0x02][..]) {
            break;
        }
        assert!(Instant::now() < deadline, "no CONNACK: {answer:02x?}");
    }
    assert_broker_alive(&b).await;
}

/// A persistent session that is the only member of a shared group, with a QoS 1 publish
/// in flight to it, disconnects: the group was dropped first, then
/// `expect("group must exists")` killed the router.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_shared_subscriber_disconnecting_with_inflight() {
    let b = start_broker().await;
    let mut s = connect(4, "shared-1", false);
    s.extend(subscribe(4, 1, "$share/g/ccu/+/sensor", 1));
    let mut sub = TcpStream::connect(b.v4).await.expect("tcp connect");
    sub.write_all(&s).await.expect("write");
    // CONNACK (4 bytes) then SUBACK (5 bytes)
    let mut buf = [0u8; 9];
    timeout(WAIT, sub.read_exact(&mut buf))
        .await
        .expect("in time")
        .expect("CONNACK and SUBACK");
    let mut p = connect(4, "publisher", true);
    p.extend(publish(b"ccu/02/sensor", 1, 1, None, b"{}"));
    send_raw(&b, &p).await;
    // wait for the forwarded QoS 1 publish, do not acknowledge it, go away
    let mut first = [0u8; 1];
    timeout(WAIT, sub.read_exact(&mut first))
        .await
        .expect("in time")
        .expect("forwarded publish");
    assert_eq!(first[0] & 0xF0, 0x30);
    drop(sub);
    assert_broker_alive(&b).await;
}

/// A CONNACK (or UNSUBACK) with a body from a client on the MQTT 5 listener reached
/// `unreachable!()` in the v5 decoder (found by `fuzz/`, v5_decode): the link task panicked
/// without telling the router, so the connection stayed registered and its will was never
/// published. Now it is a decode error: the link ends and the will fires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connack_from_a_v5_client_ends_its_link_cleanly() {
    let b = start_broker().await;
    let (_sub, mut sub_ev) = subscriber(b.v4, "will-watcher", "will/v5", QoS::AtMostOnce).await;
    let mut attack = connect_with_will(5, "v5-connack", "will/v5");
    attack.extend(frame(0x20, &[0x00, 0x00, 0x00]));
    send_raw(&b, &attack).await;
    let what = "the will of the dropped client is published";
    publish_arrives(&mut sub_ev, "will/v5", what).await;
    assert_broker_alive(&b).await;
}

// ---- every stored fuzz regression ----

fn regression_files() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root)
        .expect("fuzz/regressions exists")
        .flatten()
    {
        for f in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if f.path().extension().is_some_and(|e| e == "mqtt") {
                files.push(f.path());
            }
        }
    }
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_fuzz_regressions_leave_the_broker_alive() {
    let files = regression_files();
    assert!(!files.is_empty(), "no fuzz/regressions/*/*.mqtt");
    let b = start_broker().await;
    // like the backend: somebody is subscribed to device topics
    let (backend, mut backend_ev) = client(b.v4, "backend").await;
    backend
        .subscribe("ccu/+/sensor", QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    tokio::spawn(async move { while backend_ev.poll().await.is_ok() {} });
    for f in files {
        let bytes = std::fs::read(&f).expect("read regression");
        eprintln!("replaying {}", f.display());
        replay(&b, &bytes).await;
    }
}
