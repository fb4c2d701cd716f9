//! A minimal CCU over MQTT (rumqttc) for load: its credentials, QoS 1, and a task that polls
//! the connection and hands incoming publishes to the caller.

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A connected CCU.
pub struct MqttCcu {
    /// Its client (publish with it).
    pub client: AsyncClient,
    /// `(topic, payload, received at)` of incoming publishes (if subscribed).
    pub incoming: mpsc::UnboundedReceiver<(String, Vec<u8>, Instant)>,
    /// Its id.
    pub id: String,
}

/// Failed reconnects in a row (200 ms apart) after which a client gives up.
const MAX_RECONNECTS: u32 = 50;

/// Options for CCU `id`: username = client id = `id`.
pub fn options(addr: SocketAddr, id: &str, secret: &str, inflight: u16) -> MqttOptions {
    let mut o = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    o.set_credentials(id, secret)
        .set_keep_alive(Duration::from_secs(60))
        .set_inflight(inflight)
        .set_clean_session(true);
    o
}

impl MqttCcu {
    /// Connects, waits for CONNACK (and the subscription to `cmd`, when `subscribe`).
    pub async fn connect(
        addr: SocketAddr,
        id: &str,
        secret: &str,
        subscribe: bool,
    ) -> anyhow::Result<MqttCcu> {
        MqttCcu::connect_counting(addr, id, secret, subscribe, None).await
    }

    /// [`MqttCcu::connect`], adding every PUBACK the server sends to `acks` (the publishes it
    /// has told the CCU are safe).
    pub async fn connect_counting(
        addr: SocketAddr,
        id: &str,
        secret: &str,
        subscribe: bool,
        acks: Option<Arc<AtomicU64>>,
    ) -> anyhow::Result<MqttCcu> {
        let (client, mut eventloop) = AsyncClient::new(options(addr, id, secret, 100), 1_000);
        let mut net = eventloop.network_options();
        net.set_tcp_nodelay(true);
        eventloop.set_network_options(net);
        loop {
            match eventloop.poll().await? {
                Event::Incoming(Packet::ConnAck(_)) => break,
                Event::Incoming(_) | Event::Outgoing(_) => {}
            }
        }
        if subscribe {
            client
                .subscribe(format!("ccu/{id}/cmd"), QoS::AtLeastOnce)
                .await?;
            loop {
                if let Event::Incoming(Packet::SubAck(_)) = eventloop.poll().await? {
                    break;
                }
            }
        }
        let (tx, incoming) = mpsc::unbounded_channel();
        // Reconnects like a CCU while anyone holds this CCU's client, and ends once every
        // request is sent and nobody can send more (or the server has been gone for 10 s): a
        // scenario's clients must not keep knocking on a stopped server's port through the
        // next scenarios.
        tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        failures = 0;
                        let _ = tx.send((p.topic, p.payload.to_vec(), Instant::now()));
                    }
                    Ok(Event::Incoming(Packet::PubAck(_))) => {
                        failures = 0;
                        if let Some(acks) = &acks {
                            acks.fetch_add(1, Relaxed);
                        }
                    }
                    Ok(_) => failures = 0,
                    Err(rumqttc::ConnectionError::RequestsDone) => break,
                    Err(_) if failures >= MAX_RECONNECTS => break,
                    Err(_) => {
                        failures += 1;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        });
        Ok(MqttCcu {
            client,
            incoming,
            id: id.to_string(),
        })
    }

    /// Publishes on `ccu/<id>/<kind>` at QoS 1 (waits while the request queue is full).
    pub async fn publish(&self, kind: &str, payload: Vec<u8>) -> anyhow::Result<()> {
        self.client
            .publish(
                format!("ccu/{}/{kind}", self.id),
                QoS::AtLeastOnce,
                false,
                payload,
            )
            .await?;
        Ok(())
    }
}

/// A sensor reading payload.
pub fn reading(device: &str, a: i64, b: i64) -> Vec<u8> {
    format!(r#"{{"device_id":"{device}","current_a":{a},"current_b":{b},"relay_a":true,"relay_b":true,"is_overload":false}}"#)
        .into_bytes()
}

/// A sensor reading payload measured at `ts` (unix ms): a reading the database can tell apart
/// from every other reading of its outlet.
pub fn reading_at(device: &str, a: i64, b: i64, ts: u64) -> Vec<u8> {
    format!(r#"{{"device_id":"{device}","current_a":{a},"current_b":{b},"relay_a":true,"relay_b":true,"is_overload":false,"ts":{ts}}}"#)
        .into_bytes()
}

/// Now, in unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
