//! The MQTT uplink over rumqttc: credentials, client id = CCU id, retained last will, the
//! `cmd` and `devices` subscriptions, and a session that counts as up only once subscribed.
//!
//! "Up only once subscribed" matters: the server pushes held commands as soon as the CCU
//! says it is online, so the core must not publish its status before the subscriptions are
//! acknowledged.

use super::{Inbound, Uplink, UplinkEvents};
use crate::SimError;
use ccu_core::hal::MqttSession;
use ccu_core::protocol::Status;
use rumqttc::{
    AsyncClient, Event, EventLoop, LastWill, MqttOptions, Outgoing, Packet, QoS, SubscribeFilter,
};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Where the broker listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddr {
    /// Host name or IP.
    pub host: String,
    /// TCP port (1883 by default on the server).
    pub port: u16,
}

impl BrokerAddr {
    /// A broker address.
    pub fn new(host: impl Into<String>, port: u16) -> BrokerAddr {
        BrokerAddr {
            host: host.into(),
            port,
        }
    }
}

impl From<std::net::SocketAddr> for BrokerAddr {
    fn from(addr: std::net::SocketAddr) -> Self {
        BrokerAddr::new(addr.ip().to_string(), addr.port())
    }
}

/// How to log in.
#[derive(Debug, Clone)]
pub struct MqttConfig {
    /// The broker.
    pub broker: BrokerAddr,
    /// The CCU id: username, client id and topic level.
    pub ccu_id: String,
    /// The CCU's secret.
    pub password: String,
    /// MQTT keep-alive (the broker refuses less than 5 s).
    pub keep_alive: Duration,
    /// Pause between connection attempts.
    pub reconnect_delay: Duration,
}

/// Requests buffered between the core and the rumqttc event loop.
const REQUEST_CAPACITY: usize = 256;
/// How long a goodbye may take before the connection is dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// An MQTT session to the server; implements the core's `MqttSession`.
#[derive(Debug)]
pub struct MqttUplink {
    config: MqttConfig,
    client: Option<AsyncClient>,
    task: Option<JoinHandle<()>>,
    connected: watch::Sender<bool>,
    messages: mpsc::UnboundedSender<Inbound>,
    published: u64,
}

impl MqttUplink {
    /// An uplink (not yet connecting) and the events the runner listens to.
    pub fn new(config: MqttConfig) -> (MqttUplink, UplinkEvents) {
        let (connected, connected_rx) = watch::channel(false);
        let (messages, messages_rx) = mpsc::unbounded_channel();
        let uplink = MqttUplink {
            config,
            client: None,
            task: None,
            connected,
            messages,
            published: 0,
        };
        let events = UplinkEvents {
            messages: messages_rx,
            connected: connected_rx,
        };
        (uplink, events)
    }

    fn topic(&self, kind: &str) -> String {
        format!("ccu/{}/{kind}", self.config.ccu_id)
    }

    /// Client options: username = client id = CCU id, will = `{"online":false}` retained.
    pub fn options(&self) -> MqttOptions {
        let c = &self.config;
        let mut o = MqttOptions::new(&c.ccu_id, &c.broker.host, c.broker.port);
        o.set_credentials(&c.ccu_id, &c.password)
            .set_keep_alive(c.keep_alive)
            .set_clean_session(true)
            .set_last_will(LastWill::new(
                self.topic("status"),
                offline_status(),
                QoS::AtLeastOnce,
                true,
            ));
        o
    }
}

fn offline_status() -> Vec<u8> {
    let status = Status {
        online: false,
        firmware: None,
        dropped: None,
    };
    serde_json::to_vec(&status).unwrap_or_else(|_| br#"{"online":false}"#.to_vec())
}

impl MqttSession for MqttUplink {
    type Error = SimError;

    fn is_connected(&self) -> bool {
        *self.connected.borrow()
    }

    fn publish(&mut self, topic: &str, payload: &[u8], retain: bool) -> Result<(), SimError> {
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| SimError::Stopped(self.config.ccu_id.clone()))?;
        client.try_publish(topic, QoS::AtLeastOnce, retain, payload.to_vec())?;
        self.published += 1;
        Ok(())
    }
}

impl Uplink for MqttUplink {
    fn connect(&mut self) {
        if self.task.is_some() {
            return;
        }
        let (client, mut eventloop) = AsyncClient::new(self.options(), REQUEST_CAPACITY);
        // Acks and readings are small packets; Nagle would hold them behind the broker's
        // delayed ACK. The porting guide asks the same of the ESP32 (lwIP TCP_NODELAY).
        let mut net = eventloop.network_options();
        net.set_tcp_nodelay(true);
        eventloop.set_network_options(net);
        let session = Session {
            ccu_id: self.config.ccu_id.clone(),
            client: client.clone(),
            subscriptions: vec![self.topic("cmd"), self.topic("devices")],
            connected: self.connected.clone(),
            messages: self.messages.clone(),
            reconnect_delay: self.config.reconnect_delay,
        };
        self.task = Some(tokio::spawn(session.drive(eventloop)));
        self.client = Some(client);
    }

    fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            // Dropping the event loop drops the TCP stream without a DISCONNECT.
            task.abort();
        }
        self.client = None;
        self.connected.send_replace(false);
    }

    async fn close(&mut self) {
        let (Some(client), Some(mut task)) = (self.client.take(), self.task.take()) else {
            return;
        };
        if self.is_connected() {
            let _ = client.try_publish(
                self.topic("status"),
                QoS::AtLeastOnce,
                true,
                offline_status(),
            );
            let _ = client.try_disconnect();
            if tokio::time::timeout(CLOSE_TIMEOUT, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        } else {
            task.abort();
        }
        self.connected.send_replace(false);
    }

    fn published(&self) -> u64 {
        self.published
    }
}

/// What the connection task needs.
struct Session {
    ccu_id: String,
    client: AsyncClient,
    subscriptions: Vec<String>,
    connected: watch::Sender<bool>,
    messages: mpsc::UnboundedSender<Inbound>,
    reconnect_delay: Duration,
}

impl Session {
    /// Polls the event loop forever: subscribe on CONNACK, up on SUBACK, forward publishes,
    /// reconnect after a pause on errors; ends after our DISCONNECT went out.
    async fn drive(self, mut eventloop: EventLoop) {
        let mut failures = 0u32;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    failures = 0;
                    let filters = self
                        .subscriptions
                        .iter()
                        .map(|t| SubscribeFilter::new(t.clone(), QoS::AtLeastOnce));
                    if let Err(e) = self.client.try_subscribe_many(filters) {
                        tracing::warn!(ccu = %self.ccu_id, "cannot subscribe: {e}");
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if !self.connected.send_replace(true) {
                        tracing::info!(ccu = %self.ccu_id, "MQTT session up");
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let _ = self.messages.send(Inbound {
                        topic: p.topic,
                        payload: p.payload.to_vec(),
                    });
                }
                Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                    self.connected.send_replace(false);
                    return;
                }
                Ok(_) => {}
                Err(e) => {
                    let was_up = self.connected.send_replace(false);
                    if was_up || failures == 0 {
                        tracing::warn!(ccu = %self.ccu_id, "MQTT connection failed: {e}");
                    }
                    failures = failures.saturating_add(1);
                    tokio::time::sleep(self.reconnect_delay).await;
                }
            }
        }
    }
}
