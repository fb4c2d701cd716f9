//! The backend's MQTT client (rumqttc), the same code for the embedded and an external
//! broker: subscribes to device topics (through `$share/<group>/` when configured),
//! hands every publish to ingest, and publishes commands and device lists at QoS 1.

use crate::Error;
use ccu_core::protocol::TopicKind;
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS, SubscribeFilter};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::sync::mpsc;

/// How to reach the broker.
#[derive(Debug, Clone)]
pub struct BusSettings {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// Client id.
    pub client_id: String,
    /// Shared-subscription group, if any.
    pub shared_group: Option<String>,
    /// Subscribe to device topics (not when the embedded broker hands them to the spool).
    pub subscribe_devices: bool,
    /// Keep-alive.
    pub keep_alive: Duration,
    /// Largest packet either way (bytes).
    pub max_packet_size: usize,
    /// A session the broker keeps across reconnections (a stable client id), with each
    /// device publish acknowledged only once what it produced is committed: what this
    /// process had received but not stored when it died is delivered again when it is back.
    pub persistent: bool,
}

/// Something the broker told the backend.
#[derive(Debug)]
pub enum BusEvent {
    /// (Re)connected and subscribed.
    Connected,
    /// A device publish.
    Message {
        /// Topic.
        topic: String,
        /// Payload.
        payload: bytes::Bytes,
        /// With a persistent session: acknowledge (`Bus::ack`) once it is stored.
        ack: Option<AckToken>,
    },
}

/// What acknowledging one received publish takes (its packet id and QoS, no payload) and,
/// for a publish received through an adopted session, that session's connection.
#[derive(Debug)]
pub struct AckToken {
    publish: rumqttc::Publish,
    via: Option<Arc<AdoptedLink>>,
}

impl AckToken {
    /// A publish received through an adopted session's connection: acknowledged there.
    pub fn via(publish: rumqttc::Publish, link: Arc<AdoptedLink>) -> AckToken {
        link.received.fetch_add(1, Relaxed);
        link.touch();
        AckToken {
            publish,
            via: Some(link),
        }
    }
}

/// One connection to another instance's broker session (`adopt`): its client, and how many
/// publishes it received and acknowledged (it is drained once they match and it fell quiet).
#[derive(Debug)]
pub struct AdoptedLink {
    client: AsyncClient,
    received: AtomicU64,
    acked: AtomicU64,
    /// Unix ms of the last publish received or acknowledged.
    last_activity: AtomicI64,
}

impl AdoptedLink {
    /// The link of `client`.
    pub fn new(client: AsyncClient) -> AdoptedLink {
        AdoptedLink {
            client,
            received: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            last_activity: AtomicI64::new(crate::clock::now_ms()),
        }
    }

    fn touch(&self) {
        self.last_activity
            .fetch_max(crate::clock::now_ms(), Relaxed);
    }

    /// Publishes received so far.
    pub fn received(&self) -> u64 {
        self.received.load(Relaxed)
    }

    /// Whether every publish received was acknowledged and nothing was received or
    /// acknowledged for `quiet_ms`.
    pub fn settled(&self, quiet_ms: i64) -> bool {
        // acked first: a publish received after this load is then seen by `received`
        let acked = self.acked.load(Relaxed);
        acked == self.received.load(Relaxed)
            && crate::clock::now_ms().saturating_sub(self.last_activity.load(Relaxed)) >= quiet_ms
    }
}

/// The publishing side; cheap to clone.
#[derive(Clone, Debug)]
pub struct Bus {
    client: AsyncClient,
    /// Acknowledgements written to the broker by this client's event loop.
    acks_sent: Arc<AtomicU64>,
    /// Acknowledgements handed to this client (not those of adopted sessions).
    acks_queued: Arc<AtomicU64>,
}

impl Bus {
    /// Creates the client; nothing happens until [`Bus::spawn_pump`] polls it.
    pub fn new(s: &BusSettings) -> (Bus, EventLoop) {
        let (client, eventloop) = Bus::connection(s);
        let bus = Bus {
            client,
            acks_sent: Arc::default(),
            acks_queued: Arc::default(),
        };
        (bus, eventloop)
    }

    /// A client and its event loop with `s`'s options (TCP_NODELAY).
    pub(crate) fn connection(s: &BusSettings) -> (AsyncClient, EventLoop) {
        let mut opts = MqttOptions::new(&s.client_id, &s.host, s.port);
        opts.set_credentials(&s.username, &s.password)
            .set_keep_alive(s.keep_alive)
            .set_clean_session(!s.persistent)
            .set_manual_acks(s.persistent)
            .set_max_packet_size(s.max_packet_size + 1024, s.max_packet_size + 1024)
            .set_inflight(1000)
            .set_request_channel_capacity(4096);
        let (client, mut eventloop) = AsyncClient::new(opts, 4096);
        // A command is one small PUBLISH: without TCP_NODELAY, Nagle holds it behind the
        // peer's delayed ACK of our previous segment (~40 ms on Linux).
        let mut net = eventloop.network_options();
        net.set_tcp_nodelay(true);
        eventloop.set_network_options(net);
        (client, eventloop)
    }

    /// Acknowledgements of received publishes this client wrote to the broker (not those of
    /// adopted sessions).
    pub fn acks_sent(&self) -> u64 {
        self.acks_sent.load(Relaxed)
    }

    /// Acknowledgements handed to this client and not written to the broker yet.
    pub fn acks_pending(&self) -> u64 {
        let queued = self.acks_queued.load(Relaxed);
        queued.saturating_sub(self.acks_sent.load(Relaxed))
    }

    /// Acknowledges a received publish (persistent sessions), waiting for room in the
    /// client's request queue: an acknowledgement is never dropped because the queue is full
    /// (a broker resends an unacknowledged publish only after a reconnect, and holds its
    /// in-flight window meanwhile). False when the connection's event loop is gone; the
    /// broker then delivers the publish again on the next session.
    pub async fn ack(&self, token: AckToken) -> bool {
        let client = token.via.as_ref().map_or(&self.client, |l| &l.client);
        match client.ack(&token.publish).await {
            Ok(()) => {
                match &token.via {
                    Some(link) => {
                        link.acked.fetch_add(1, Relaxed);
                        link.touch();
                    }
                    None => {
                        self.acks_queued.fetch_add(1, Relaxed);
                    }
                }
                true
            }
            Err(e) => {
                tracing::debug!(cause = %e, pkid = token.publish.pkid, "acknowledgement not sent; the broker delivers the publish again on the next session");
                false
            }
        }
    }

    /// Publishes at QoS 1.
    pub async fn publish(
        &self,
        topic: String,
        payload: Vec<u8>,
        retain: bool,
    ) -> Result<(), Error> {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload)
            .await
            .map_err(|e| Error::Publish(e.to_string()))
    }

    /// Publishes at QoS 0 without waiting; dropped when the client's queue is full.
    pub fn try_publish_qos0(&self, topic: String, payload: Vec<u8>) -> bool {
        self.client
            .try_publish(topic, QoS::AtMostOnce, false, payload)
            .is_ok()
    }

    /// Polls the connection, reconnecting with back-off, and forwards events to `tx` until
    /// `intake` stops; then drops `tx` (which ends the ingest loop once it has drained) and
    /// keeps polling, forwarding nothing more (what arrives stays unacknowledged: the broker
    /// delivers it again), so that the acknowledgements of the writer's last commits still
    /// reach the broker, until `link` stops.
    pub fn spawn_pump(
        mut eventloop: EventLoop,
        s: &BusSettings,
        client: Bus,
        tx: mpsc::Sender<BusEvent>,
        (mut intake, mut link): (crate::tasks::StopSignal, crate::tasks::StopSignal),
    ) -> tokio::task::JoinHandle<()> {
        let manual_acks = s.persistent;
        let filters = device_filters(s);
        let addr = format!("{}:{}", s.host, s.port);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            let mut tx = Some(tx);
            loop {
                let polled = tokio::select! {
                    biased;
                    _ = link.stopped() => {
                        tracing::debug!(broker = %addr, "backend MQTT client stopped");
                        return;
                    }
                    _ = intake.stopped(), if tx.is_some() => {
                        tx = None;
                        continue;
                    }
                    polled = eventloop.poll() => polled,
                };
                match polled {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        backoff = Duration::from_millis(100);
                        tracing::info!(broker = %addr, "backend connected to MQTT");
                        if filters.is_empty() {
                            if !forward(&tx, BusEvent::Connected).await {
                                return;
                            }
                            continue;
                        }
                        let subs = filters
                            .iter()
                            .map(|f| SubscribeFilter::new(f.clone(), QoS::AtLeastOnce));
                        if let Err(e) = client.client.try_subscribe_many(subs) {
                            tracing::error!(cause = %e, "cannot subscribe to device topics");
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if !forward(&tx, BusEvent::Connected).await {
                            return;
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(mut p))) => {
                        let payload = std::mem::take(&mut p.payload);
                        let topic = p.topic.clone();
                        let msg = BusEvent::Message {
                            topic,
                            payload,
                            ack: manual_acks.then_some(AckToken {
                                publish: p,
                                via: None,
                            }),
                        };
                        if !forward(&tx, msg).await {
                            return;
                        }
                    }
                    Ok(Event::Outgoing(rumqttc::Outgoing::PubAck(_))) if manual_acks => {
                        client.acks_sent.fetch_add(1, Relaxed);
                    }
                    Ok(_) => {}
                    Err(e) if tx.is_none() => {
                        // stopping: nothing is acknowledged on a new connection
                        tracing::debug!(broker = %addr, cause = %e, "backend MQTT connection lost while stopping");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(broker = %addr, cause = %e, "backend MQTT connection lost; reconnecting");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
            }
        })
    }
}

/// Hands `event` to ingest while the intake runs (true); false once ingest has ended. After
/// the intake stopped, nothing is forwarded (true: the pump goes on for the acknowledgements).
async fn forward(tx: &Option<mpsc::Sender<BusEvent>>, event: BusEvent) -> bool {
    match tx {
        Some(tx) => tx.send(event).await.is_ok(),
        None => true,
    }
}

/// The device topics the backend subscribes to (through `$share/<group>/` when configured);
/// none when the embedded broker hands device publishes to the spool.
pub fn device_filters(s: &BusSettings) -> Vec<String> {
    TopicKind::ALL
        .into_iter()
        .filter(|k| s.subscribe_devices && k.from_device())
        .map(|k| match &s.shared_group {
            Some(g) => format!("$share/{g}/ccu/+/{}", k.as_str()),
            None => format!("ccu/+/{}", k.as_str()),
        })
        .collect()
}
