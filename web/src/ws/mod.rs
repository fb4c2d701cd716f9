//! WebSockets: `/ws` (one multiplexed stream of the user's live events for the dashboard) and
//! the old app's `/ws/sensor/<device_id>/` and `/ws/breaker/<ccu_id>/`, with their shapes.
//!
//! Every socket is authenticated (session cookie, or an API token in `Authorization` or
//! `?token=`) and sees only its user's devices. Each client reads its user's in-process
//! broadcast stream on its own: a slow client skips messages (and is told how many), or is
//! dropped when a send blocks for 5 s; it never slows ingest or other clients.

mod auth;
mod examples;
mod legacy;
mod messages;
mod records;

pub use examples::document;
pub use legacy::{breaker, sensor};
pub use messages::{Hello, Lagged, LiveMessage, WsMessage};
pub use records::{AlertMessage, CommandMessage};

use auth::WsUser;
use backend::Backend;
use backend::live::LiveEvent;
use futures_util::{SinkExt, StreamExt};
use poem::web::Data;
use poem::web::websocket::{Message, WebSocket, WebSocketConfig};
use poem::{IntoResponse, Response, handler};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Longest a send to one client may block before the client is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Clients send nothing but pings and close frames. tungstenite's default 128 KiB read
/// buffer is zeroed on every read attempt, and a socket's reader is polled whenever an event
/// wakes its task: with the default, `memset` took 60 % of the server's CPU under 100
/// dashboards (bench `live`, perf).
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .max_message_size(Some(64 * 1024))
        .max_frame_size(Some(64 * 1024))
}

/// What a stream turns a live event into (None: not for this client).
type Render = Box<dyn FnMut(&LiveEvent) -> Option<String> + Send + Sync>;

/// Pumps `user`'s live events into the socket until it closes.
fn stream(
    ws: WebSocket,
    backend: Backend,
    user: i32,
    first: Vec<String>,
    mut render: Render,
) -> Response {
    let mut rx = backend.subscribe_user(user);
    ws.config(config()).on_upgrade(move |socket| async move {
        let metrics = backend.clone();
        metrics.metrics().ws_clients.fetch_add(1, Relaxed);
        let (mut sink, mut incoming) = socket.split();
        let mut alive = true;
        // the first message says the stream is live: on every instance, readings included
        if !backend.live_announced(user).await {
            tracing::debug!(user, "live stream starts before the other instances were told");
        }
        for text in first {
            if sink.send(Message::Text(text)).await.is_err() {
                alive = false;
            }
        }
        while alive {
            tokio::select! {
                ev = rx.recv() => {
                    let text = match ev {
                        Ok(ev) => match render(&ev) {
                            Some(t) => t,
                            None => continue,
                        },
                        Err(RecvError::Lagged(n)) => {
                            backend.metrics().ws_skipped.fetch_add(n, Relaxed);
                            WsMessage::Lagged(Lagged::new(n)).to_text()
                        }
                        Err(RecvError::Closed) => break,
                    };
                    match tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Text(text))).await {
                        Ok(Ok(())) => {}
                        _ => alive = false,
                    }
                }
                msg = incoming.next() => match msg {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => alive = false,
                    Some(Ok(_)) => {}
                },
            }
        }
        metrics.metrics().ws_clients.fetch_sub(1, Relaxed);
    })
    .into_response()
}

/// `/ws`: every live event of the user, as `{"type": …, …}` JSON ([`WsMessage`]).
#[handler]
pub async fn live(ws: WebSocket, backend: Data<&Backend>, WsUser(user): WsUser) -> Response {
    let hello = WsMessage::Hello(Hello::new(user)).to_text();
    let render: Render =
        Box::new(move |ev| (ev.user_id() == user).then(|| WsMessage::from(ev).to_text()));
    stream(ws, backend.clone(), user, vec![hello], render)
}
