//! The HTTP listener: poem's TCP acceptor with `TCP_NODELAY` on every accepted connection.
//!
//! Live readings and command results go out as small WebSocket frames; with Nagle's algorithm
//! a frame written while the previous one is unacknowledged waits for the browser's delayed
//! ACK (up to 40 ms on Linux).

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};

/// Accepts TCP connections and disables Nagle on each.
pub struct NoDelayAcceptor {
    listener: TcpListener,
    local: LocalAddr,
}

impl NoDelayAcceptor {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(addr: SocketAddr) -> std::io::Result<NoDelayAcceptor> {
        let listener = TcpListener::bind(addr).await?;
        let local = LocalAddr(listener.local_addr()?.into());
        Ok(NoDelayAcceptor { listener, local })
    }
}

impl Acceptor for NoDelayAcceptor {
    type Io = TcpStream;

    fn local_addr(&self) -> Vec<LocalAddr> {
        vec![self.local.clone()]
    }

    async fn accept(&mut self) -> std::io::Result<(TcpStream, LocalAddr, RemoteAddr, Scheme)> {
        let (io, peer) = self.listener.accept().await?;
        if let Err(e) = io.set_nodelay(true) {
            tracing::warn!(%peer, cause = %e, "cannot set TCP_NODELAY");
        }
        Ok((
            io,
            self.local.clone(),
            RemoteAddr(peer.into()),
            Scheme::HTTP,
        ))
    }
}
