//! `TCP_NODELAY` on the pools' TCP connections: a workaround for sqlx 0.9.0.
//!
//! sqlx 0.9.0 stopped setting `TCP_NODELAY` on the sockets it connects
//! (launchbadge/sqlx#4335, fixed by #4336, unreleased when this was written). Without it,
//! Nagle's algorithm holds back the tail of any message written in more than one piece
//! until the server acknowledges the first piece, and the server delays that
//! acknowledgement (~40 ms on Linux) while it waits for the rest of the message. Over TLS
//! (PostgreSQL's default `sslmode=prefer` negotiates it when the server offers it) every
//! message over 16 KiB is written as several TLS records, one `write` each: an upload of
//! 300 tests (a ~40 KiB `INSERT`) took ~45 ms instead of ~5 ms, and PostgreSQL uploads
//! were capped near `pool size / 45 ms`.
//!
//! sqlx offers no handle on its socket, and this crate forbids `unsafe` code (so a raw
//! descriptor cannot be borrowed). On Linux, [`set_on_peer_sockets`] therefore runs in the
//! pools' `after_connect` hook: it takes a duplicate of each of this process's own
//! descriptors with `pidfd_getfd(2)` (safe in `rustix`; a process may always do this to
//! itself), keeps the connected TCP sockets whose peer is the database server, and sets
//! `TCP_NODELAY` on those that lack it (a socket option belongs to the socket, so setting
//! it through the duplicate sets it for sqlx's descriptor too). Elsewhere it does
//! nothing. A failure (old kernel, a seccomp filter denying `pidfd_getfd`) is logged once
//! and never fails the connection: only the latency is at stake.
//!
//! Delete this module when sqlx ships the fix (then [`set_on_peer_sockets`] finds nothing
//! to set; the `db_nodelay` test keeps checking the outcome).

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};

/// Which sockets are the database's: those connected to `port` on one of `ips` (on any
/// address when the host could not be resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Peer {
    ips: Vec<IpAddr>,
    port: u16,
}

impl Peer {
    /// The peer of a pool connecting to `host`:`port` (`host` resolved now).
    pub(crate) async fn resolve(host: &str, port: u16) -> Peer {
        let ips = match tokio::net::lookup_host((host, port)).await {
            Ok(addrs) => addrs.map(|a| a.ip().to_canonical()).collect(),
            Err(_) => Vec::new(),
        };
        Peer { ips, port }
    }

    fn matches(&self, addr: SocketAddr) -> bool {
        addr.port() == self.port
            && (self.ips.is_empty() || self.ips.contains(&addr.ip().to_canonical()))
    }
}

static WARNED: AtomicBool = AtomicBool::new(false);

/// The `after_connect` step: sets `TCP_NODELAY` on this process's TCP sockets connected
/// to the database at `host`:`port` that lack it (see the module docs). Never fails.
pub(crate) async fn after_connect(host: &str, port: u16) {
    let peer = Peer::resolve(host, port).await;
    match set_on_peer_sockets(&peer) {
        Ok(0) => {}
        Ok(n) => tracing::debug!(sockets = n, %host, port, "set TCP_NODELAY"),
        Err(e) => {
            if !WARNED.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    error = %e,
                    "cannot set TCP_NODELAY on database connections (sqlx#4335 workaround); \
                     messages over 16 KiB may wait ~40 ms on TLS connections"
                );
            }
        }
    }
}

/// Sets `TCP_NODELAY` on every TCP socket of this process connected to `peer` that lacks
/// it; returns how many it changed. Linux only (elsewhere: `Ok(0)`).
#[cfg(target_os = "linux")]
pub(crate) fn set_on_peer_sockets(peer: &Peer) -> std::io::Result<usize> {
    use rustix::net::sockopt;
    use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};

    let me = pidfd_open(getpid(), PidfdFlags::empty())?;
    let mut changed = 0;
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let Some(fd) = entry?
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<i32>().ok())
        else {
            continue;
        };
        // The descriptor may be closed (or be the directory's own) by now: skip it.
        let Ok(dup) = pidfd_getfd(&me, fd, PidfdGetfdFlags::empty()) else {
            continue;
        };
        // Not a socket, not connected, or not an IP socket: not ours to touch.
        let Some(addr) = rustix::net::getpeername(&dup)
            .ok()
            .flatten()
            .and_then(|a| SocketAddr::try_from(a).ok())
        else {
            continue;
        };
        if !peer.matches(addr) || sockopt::socket_type(&dup)? != rustix::net::SocketType::STREAM {
            continue;
        }
        if !sockopt::tcp_nodelay(&dup)? {
            sockopt::set_tcp_nodelay(&dup, true)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Sets `TCP_NODELAY` on every TCP socket of this process connected to `peer` that lacks
/// it; returns how many it changed. Linux only (here: `Ok(0)`).
#[cfg(not(target_os = "linux"))]
pub(crate) fn set_on_peer_sockets(_peer: &Peer) -> std::io::Result<usize> {
    Ok(0)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn peer_matching() {
        let peer = Peer {
            ips: vec![IpAddr::from([127, 0, 0, 1])],
            port: 5432,
        };
        assert!(peer.matches(SocketAddr::from(([127, 0, 0, 1], 5432))));
        assert!(!peer.matches(SocketAddr::from(([127, 0, 0, 1], 5433))));
        assert!(!peer.matches(SocketAddr::from(([10, 0, 0, 1], 5432))));
        // An IPv4-mapped IPv6 peer is the same host.
        let mapped =
            SocketAddr::from((std::net::Ipv4Addr::new(127, 0, 0, 1).to_ipv6_mapped(), 5432));
        assert!(peer.matches(mapped));
        let any = Peer {
            ips: Vec::new(),
            port: 5432,
        };
        assert!(any.matches(SocketAddr::from(([10, 0, 0, 1], 5432))));
    }

    #[tokio::test]
    async fn sets_nodelay_on_the_peer_sockets_only() -> std::io::Result<()> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let server = listener.local_addr()?;
        let to_peer = std::net::TcpStream::connect(server)?;
        let (accepted, _) = listener.accept()?;
        let other_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let to_other = std::net::TcpStream::connect(other_listener.local_addr()?)?;
        for s in [&to_peer, &accepted, &to_other] {
            s.set_nodelay(false)?;
        }
        let peer = Peer::resolve("127.0.0.1", server.port()).await;
        assert!(set_on_peer_sockets(&peer)? >= 1);
        assert!(to_peer.nodelay()?, "the socket to the peer");
        // The accepted end's peer is an ephemeral port; the other socket's peer differs.
        assert!(!accepted.nodelay()?);
        assert!(!to_other.nodelay()?);
        // Nothing left to change.
        assert_eq!(set_on_peer_sockets(&peer)?, 0);
        Ok(())
    }
}
