//! A fake uplink that records publishes and lets a test inject the server's messages.
#![allow(dead_code)] // each test binary uses a different subset

use ccu_core::hal::MqttSession;
use ccu_sim::uplink::{Inbound, Uplink, UplinkEvents};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The error of a publish while disconnected.
#[derive(Debug)]
pub struct Offline;

/// A recorded publish.
#[derive(Debug, Clone)]
pub struct Published {
    pub topic: String,
    pub payload: serde_json::Value,
    pub retain: bool,
}

/// The "network": connected on `connect`, down on `cut`.
pub struct FakeUplink {
    connected: watch::Sender<bool>,
    log: Arc<Mutex<Vec<Published>>>,
    published: u64,
}

/// The test's side of the fake.
pub struct Server {
    pub messages: mpsc::UnboundedSender<Inbound>,
    pub log: Arc<Mutex<Vec<Published>>>,
}

pub fn fake() -> (FakeUplink, UplinkEvents, Server) {
    let (connected, connected_rx) = watch::channel(false);
    let (messages, messages_rx) = mpsc::unbounded_channel();
    let log = Arc::new(Mutex::new(Vec::new()));
    let uplink = FakeUplink {
        connected,
        log: log.clone(),
        published: 0,
    };
    let events = UplinkEvents {
        messages: messages_rx,
        connected: connected_rx,
    };
    (uplink, events, Server { messages, log })
}

impl MqttSession for FakeUplink {
    type Error = Offline;

    fn is_connected(&self) -> bool {
        *self.connected.borrow()
    }

    fn publish(&mut self, topic: &str, payload: &[u8], retain: bool) -> Result<(), Offline> {
        if !self.is_connected() {
            return Err(Offline);
        }
        self.published += 1;
        self.log.lock().unwrap().push(Published {
            topic: topic.to_string(),
            payload: serde_json::from_slice(payload).expect("JSON payload"),
            retain,
        });
        Ok(())
    }
}

impl Uplink for FakeUplink {
    fn connect(&mut self) {
        self.connected.send_replace(true);
    }

    fn cut(&mut self) {
        self.connected.send_replace(false);
    }

    async fn close(&mut self) {
        self.connected.send_replace(false);
    }

    fn published(&self) -> u64 {
        self.published
    }
}

impl Server {
    pub fn send(&self, topic: &str, payload: &str) {
        self.messages
            .send(Inbound {
                topic: topic.to_string(),
                payload: payload.as_bytes().to_vec(),
            })
            .unwrap();
    }

    /// Publishes on topics ending with `kind`, oldest first.
    pub fn on(&self, kind: &str) -> Vec<Published> {
        let log = self.log.lock().unwrap();
        log.iter()
            .filter(|p| p.topic.ends_with(kind))
            .cloned()
            .collect()
    }

    /// Polls (in tokio time, usually paused) until `pick` finds something, or panics.
    pub async fn wait_for<T>(&self, what: &str, mut pick: impl FnMut(&Server) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(v) = pick(self) {
                return v;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
