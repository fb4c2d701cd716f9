//! The intake's commit decides whether acknowledgements leave: when it reports that what it
//! took this round is not durable (the spool's disk failed), a publisher waiting for its
//! PUBACK gets none and is disconnected, so its client keeps the message and sends it again;
//! once commits succeed, publishes are acknowledged as before. Real broker over TCP, real
//! rumqttc clients; the intake is a stand-in at the seam (`backend::intake` is the real one).

use broker::Intake;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet, QoS};
use settings::Settings;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(10);

/// Takes everything; commits succeed while `durable` is set.
#[derive(Default)]
struct Disk {
    durable: AtomicBool,
    taken: AtomicU64,
}

impl Intake for Disk {
    fn accept(&self, _client_id: &str, _topic: &str, _payload: &[u8]) -> bool {
        self.taken.fetch_add(1, Relaxed);
        true
    }

    fn commit(&self) -> bool {
        self.durable.load(Relaxed)
    }
}

fn client(addr: std::net::SocketAddr, id: &str) -> (AsyncClient, EventLoop) {
    let mut o = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    o.set_keep_alive(Duration::from_secs(30));
    AsyncClient::new(o, 10)
}

/// What became of one QoS 1 publish: acknowledged (true) or the connection closed first.
async fn publish_once(addr: std::net::SocketAddr, id: &str) -> bool {
    let (c, mut ev) = client(addr, id);
    let outcome = async {
        loop {
            match ev.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    c.publish("ccu/01/sensor", QoS::AtLeastOnce, false, b"{}".to_vec())
                        .await
                        .unwrap();
                }
                Ok(Event::Incoming(Packet::PubAck(_))) => return true,
                Ok(Event::Outgoing(Outgoing::Publish(_)) | _) => {}
                Err(_) => return false,
            }
        }
    };
    tokio::time::timeout(PATIENCE, outcome)
        .await
        .expect("the publish is acknowledged or the connection closed")
}

#[tokio::test]
async fn a_failed_commit_sends_no_acknowledgement_and_disconnects_the_publisher() {
    let mut s = Settings::for_tests().mqtt;
    s.addr = broker::free_local_addr().unwrap();
    s.allow_anonymous = true;
    let disk = Arc::new(Disk::default());
    let intake: Arc<dyn Intake> = disk.clone();
    let _broker = broker::start_with_intake(&s, None, Default::default(), Some(intake))
        .await
        .unwrap();

    assert!(
        !publish_once(s.addr, "ccu-a").await,
        "no PUBACK for a publish that is not durable"
    );
    assert_eq!(disk.taken.load(Relaxed), 1);

    disk.durable.store(true, Relaxed);
    assert!(publish_once(s.addr, "ccu-b").await, "acknowledged again");
    assert_eq!(disk.taken.load(Relaxed), 2);
}
