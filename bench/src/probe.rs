//! A WebSocket client of `/ws` (API token auth) that timestamps every message it receives.

use futures_util::StreamExt;
use serde_json::Value;
use std::net::SocketAddr;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// Opens `/ws?token=…`, waits for its `hello`, and forwards `(message, received at)`.
pub async fn connect(
    http: SocketAddr,
    token: &str,
) -> anyhow::Result<mpsc::UnboundedReceiver<(Value, Instant)>> {
    let url = format!("ws://{http}/ws?token={token}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await?;
    match ws.next().await {
        Some(Ok(Message::Text(t))) if t.contains("hello") => {}
        other => anyhow::bail!("no hello on /ws: {other:?}"),
    }
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            let at = Instant::now();
            if let Message::Text(t) = msg
                && let Ok(v) = serde_json::from_str::<Value>(&t)
                && tx.send((v, at)).is_err()
            {
                break;
            }
        }
    });
    Ok(rx)
}
