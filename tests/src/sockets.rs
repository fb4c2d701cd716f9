//! This process's own TCP connections and their options, read (and one of them set) through
//! `/proc/self/fd` (Linux). The system tests run the server in-process, so both ends of a
//! loopback connection are visible here.
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
    let mut out = Vec::new();
    each_tcp_socket(|sock, local, peer| {
        if let Ok(nodelay) = sock.tcp_nodelay() {
            out.push(TcpSocket {
                local,
                peer,
                nodelay,
            });
        }
    });
    out
}

/// Sets `SO_SNDBUF` of this process's connection from `local` to `peer` (which turns the
/// kernel's send-buffer autotuning off for it, up to 4 MiB by default): a test's stand-in for
/// a slow link, so that the sender blocks after a few KiB instead of megabytes. False when
/// there is no such connection.
pub fn set_send_buffer_size(local: SocketAddr, peer: SocketAddr, bytes: usize) -> bool {
    let mut found = false;
    each_tcp_socket(|sock, l, p| {
        if (l, p) == (local, peer) {
            found |= sock.set_send_buffer_size(bytes).is_ok();
        }
    });
    found
}

/// Calls `f` with every connected TCP socket of this process and its two addresses.
fn each_tcp_socket(mut f: impl FnMut(socket2::SockRef<'_>, SocketAddr, SocketAddr)) {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
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
        // we only read and set options through it and never close it. Should another thread
        // close it meanwhile, getsockopt fails with EBADF (or reads whatever socket reused the
        // number, which the address filters discard); no memory is touched either way.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let sock = socket2::SockRef::from(&fd);
        let (Ok(local), Ok(peer)) = (sock.local_addr(), sock.peer_addr()) else {
            continue;
        };
        if let (Some(local), Some(peer)) = (local.as_socket(), peer.as_socket()) {
            f(sock, local, peer);
        }
    }
}
