// smart-outlet patch: authorization hook (whole file). rumqttd 0.20 authenticates a CONNECT
// but has no per-topic authorization; this adds a hook beside the auth hook, asked for every
// SUBSCRIBE filter, every PUBLISH (after topic-alias resolution) and the will at CONNECT.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What to do with a PUBLISH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Route it.
    Allow,
    /// Drop it (a QoS 1/2 publish is still acknowledged, so the client does not resend it).
    Drop,
    /// Drop it and disconnect the client.
    Disconnect,
}

/// Per-connection authorization, decided at CONNECT by the login handler.
pub trait Authorizer: Send + Sync + 'static {
    /// May this connection publish `topic` (retained or not)?
    fn publish(&self, topic: &str, retain: bool) -> Verdict;
    /// May this connection subscribe to `filter`? `false` answers SUBACK 0x80 for it.
    fn subscribe(&self, filter: &str) -> bool;
    /// May this connection leave a will on `topic`? `false` refuses the CONNECT.
    fn will(&self, topic: &str, retain: bool) -> bool;
}

/// A future that completes when the connection's credentials are revoked.
pub type Revoked = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the login handler decided for an admitted client.
pub struct Admission {
    /// `None` = everything allowed.
    pub authorizer: Option<Arc<dyn Authorizer>>,
    /// When it completes, the connection is closed.
    pub revoked: Option<Revoked>,
}

/// The credentials a client presented.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    /// Client id as sent (may be empty).
    pub client_id: String,
    /// Username and password, if the CONNECT had them.
    pub login: Option<(String, String)>,
    /// Peer address.
    pub peer: Option<std::net::SocketAddr>,
}

/// Decides whether a CONNECT is admitted, and with which rights. `None` refuses it.
pub type LoginHandler = Arc<
    dyn Fn(LoginRequest) -> Pin<Box<dyn Future<Output = Option<Admission>> + Send>>
        + Send
        + Sync,
>;
