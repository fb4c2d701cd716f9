//! Nagle is off on every connection that carries commands and live data: the broker's accepted
//! MQTT sockets (vendored rumqttd patch), the backend's own MQTT client, and HTTP/WebSocket.
//! With Nagle on, a small write behind an unacknowledged one waits for the peer's delayed ACK
//! (~40 ms); the benchmark measures the latency, this checks the cause.

use std::net::SocketAddr;
use system_tests::sockets::{TcpSocket, tcp_sockets};
use system_tests::{spawn_app, wait_until};
use tokio::net::TcpStream;

/// Waits until this process holds a socket `pick` accepts. The option is set just after
/// accept(), so an early look may see it unset; one that stays unset times out and fails.
async fn wait_socket(what: &str, pick: impl Fn(&TcpSocket) -> bool) {
    wait_until(what, || std::future::ready(tcp_sockets().iter().any(&pick))).await;
}

/// The server's end of a connection from `client` to `server`, with Nagle off.
async fn accepted_nodelay(what: &str, server: SocketAddr, client: SocketAddr) {
    wait_socket(what, |s| {
        s.local.port() == server.port() && s.peer == client && s.nodelay
    })
    .await;
}

#[tokio::test]
async fn mqtt_and_http_connections_have_nagle_off() {
    let app = spawn_app().await;

    let mqtt = TcpStream::connect(app.mqtt_addr).await.unwrap();
    let ours = mqtt.local_addr().unwrap();
    // the client end is ours and keeps the default: the filter must not pick it
    assert!(!mqtt.nodelay().unwrap());
    accepted_nodelay(
        "TCP_NODELAY on the accepted MQTT socket",
        app.mqtt_addr,
        ours,
    )
    .await;

    // The backend's bus client, connected before spawn_app returned.
    let bus: Vec<TcpSocket> = tcp_sockets()
        .into_iter()
        .filter(|s| s.peer.port() == app.mqtt_addr.port() && s.local != ours)
        .collect();
    assert!(!bus.is_empty(), "no backend MQTT client found");
    assert!(
        bus.iter().all(|s| s.nodelay),
        "bus without TCP_NODELAY: {bus:?}"
    );

    let http = TcpStream::connect(app.http_addr).await.unwrap();
    let client = http.local_addr().unwrap();
    accepted_nodelay(
        "TCP_NODELAY on the accepted HTTP socket",
        app.http_addr,
        client,
    )
    .await;
}
