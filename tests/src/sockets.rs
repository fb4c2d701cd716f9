//! This process's own TCP connections and their options, read through `/proc/self/fd`
//! (Linux). The system tests run the server in-process, so both ends of a loopback connection
//! are visible here.
#![allow(unsafe_code)]

use std::net::SocketAddr;
use std::os::fd::{BorrowedFd, RawFd};

/// One connected TCP socket of this process.
#[derive(Clone, Copy, Debug)]
pub struct TcpSocket {
    /// Its own address.
    pub local: SocketAddr,
    /// The other end.
    pub peer: SocketAddr,
    /// Whether `TCP_NODELAY` (Nagle off) is set.
    pub nodelay: bool,
}

/// Every connected TCP socket open in this process right now.
pub fn tcp_sockets() -> Vec<TcpSocket> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<RawFd>().ok())
        else {
            continue;
        };
        let is_socket = std::fs::read_link(entry.path())
            .map(|t| t.to_string_lossy().starts_with("socket:["))
            .unwrap_or(false);
        if !is_socket {
            continue;
        }
        // SAFETY: the descriptor was open when listed and the borrow ends with this iteration;
        // we only read options through it and never close it. Should another thread close it
        // meanwhile, getsockopt fails with EBADF (or reads whatever socket reused the number,
        // which the caller's address filter discards); no memory is touched either way.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let sock = socket2::SockRef::from(&fd);
        let (Ok(local), Ok(peer), Ok(nodelay)) =
            (sock.local_addr(), sock.peer_addr(), sock.tcp_nodelay())
        else {
            continue;
        };
        if let (Some(local), Some(peer)) = (local.as_socket(), peer.as_socket()) {
            out.push(TcpSocket {
                local,
                peer,
                nodelay,
            });
        }
    }
    out
}
