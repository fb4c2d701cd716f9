//! A browser's WebSocket in tests: connect to a `/ws…` path of an instance with a session
//! cookie, and wait for the next JSON message that a test is looking for.

use crate::wait::DEADLINE;
use futures_util::StreamExt;
use serde_json::Value;
use std::net::SocketAddr;
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};

/// A client WebSocket.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `ws://<http_addr><path>`, sending `cookie` when given.
pub async fn ws_connect(
    http_addr: SocketAddr,
    path: &str,
    cookie: Option<&str>,
) -> Result<Ws, tungstenite::Error> {
    let mut req = format!("ws://{http_addr}{path}")
        .into_client_request()
        .expect("a WebSocket URL");
    if let Some(c) = cookie {
        req.headers_mut()
            .insert("cookie", c.parse().expect("a cookie header"));
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

/// The next text message on `ws` that `pick` accepts (panics when the socket ends or nothing
/// comes within the deadline).
pub async fn next_json(ws: &mut Ws, mut pick: impl FnMut(&Value) -> bool) -> Value {
    tokio::time::timeout(DEADLINE, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("a JSON message");
                    if pick(&v) {
                        return v;
                    }
                }
                Some(Ok(_)) => continue,
                other => panic!("socket ended: {other:?}"),
            }
        }
    })
    .await
    .expect("timed out waiting for a WebSocket message")
}
