//! A CCU over MQTT (rumqttc): status with a last will, publishes, and received commands.

use ccu_core::protocol::{Command, DeviceList};
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, MqttOptions, Packet, QoS};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::mpsc;

/// A connected CCU. Its event loop runs in a task; received publishes arrive on `rx`.
pub struct Device {
    /// The CCU id.
    pub id: String,
    /// The client.
    pub client: AsyncClient,
    /// Publishes received (topic, payload).
    pub rx: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
    task: tokio::task::JoinHandle<()>,
}

/// MQTT options of a CCU: client id = username = CCU id, will = `{"online":false}` retained.
pub fn options(addr: SocketAddr, id: &str, secret: &str) -> MqttOptions {
    let mut o = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    o.set_credentials(id, secret)
        .set_keep_alive(Duration::from_secs(5))
        .set_max_packet_size(1 << 20, 1 << 20)
        .set_last_will(LastWill::new(
            format!("ccu/{id}/status"),
            r#"{"online":false}"#,
            QoS::AtLeastOnce,
            true,
        ));
    o
}

/// Polls until CONNACK; an error means the broker refused or dropped the connection.
pub async fn connack(eventloop: &mut EventLoop) -> Result<(), rumqttc::ConnectionError> {
    loop {
        if let Event::Incoming(Packet::ConnAck(_)) = eventloop.poll().await? {
            return Ok(());
        }
    }
}

impl Device {
    /// Connects, subscribes to its `cmd` and `devices` topics and publishes status online.
    pub async fn connect(addr: SocketAddr, id: &str, secret: &str) -> anyhow::Result<Device> {
        Self::connect_with(options(addr, id, secret), id).await
    }

    /// As [`Device::connect`] with custom options.
    pub async fn connect_with(opts: MqttOptions, id: &str) -> anyhow::Result<Device> {
        let (client, mut eventloop) = AsyncClient::new(opts, 100);
        let mut net = eventloop.network_options();
        net.set_tcp_nodelay(true);
        eventloop.set_network_options(net);
        tokio::time::timeout(Duration::from_secs(10), connack(&mut eventloop)).await??;
        client
            .subscribe(format!("ccu/{id}/cmd"), QoS::AtLeastOnce)
            .await?;
        client
            .subscribe(format!("ccu/{id}/devices"), QoS::AtLeastOnce)
            .await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        if tx.send((p.topic, p.payload.to_vec())).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        });
        let d = Device {
            id: id.to_string(),
            client,
            rx,
            task,
        };
        d.publish(
            "status",
            r#"{"online":true,"firmware":"test"}"#.into(),
            true,
        )
        .await?;
        Ok(d)
    }

    /// Publishes on `ccu/<id>/<kind>` at QoS 1.
    pub async fn publish(&self, kind: &str, payload: Vec<u8>, retain: bool) -> anyhow::Result<()> {
        self.client
            .publish(
                format!("ccu/{}/{kind}", self.id),
                QoS::AtLeastOnce,
                retain,
                payload,
            )
            .await?;
        Ok(())
    }

    /// Publishes a JSON value on `ccu/<id>/<kind>`.
    pub async fn send(&self, kind: &str, value: serde_json::Value) {
        self.publish(kind, value.to_string().into_bytes(), false)
            .await
            .expect("publish");
    }

    /// Publishes a sensor reading of outlet `device`: socket A and B currents in mA.
    pub async fn reading(&self, device: &str, a: i64, b: i64) {
        let reading = serde_json::json!({"device_id": device, "current_a": a, "current_b": b});
        self.send("sensor", reading).await;
    }

    /// Waits until the broker closes this connection (panics after the deadline).
    pub async fn closed_by_broker(mut self) {
        let closed = async { while self.rx.recv().await.is_some() {} };
        tokio::time::timeout(crate::wait::DEADLINE, closed)
            .await
            .expect("the CCU's MQTT session must be closed");
    }

    /// The next command received (skipping device lists).
    pub async fn next_command(&mut self) -> Command {
        loop {
            let (topic, payload) = self.next_message().await;
            if topic.ends_with("/cmd") {
                return serde_json::from_slice(&payload).expect("command payload");
            }
        }
    }

    /// The next device list received (skipping commands).
    pub async fn next_devices(&mut self) -> DeviceList {
        loop {
            let (topic, payload) = self.next_message().await;
            if topic.ends_with("/devices") {
                return serde_json::from_slice(&payload).expect("devices payload");
            }
        }
    }

    /// The next message, within the harness deadline.
    pub async fn next_message(&mut self) -> (String, Vec<u8>) {
        tokio::time::timeout(crate::wait::DEADLINE, self.rx.recv())
            .await
            .expect("timed out waiting for a message")
            .expect("device connection closed")
    }

    /// Drops the TCP connection without DISCONNECT, so the broker fires the will.
    pub fn kill(self) {
        self.task.abort();
    }

    /// Sends DISCONNECT (no will).
    pub async fn disconnect(self) {
        let _ = self.client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_secs(2), self.task).await;
    }
}
