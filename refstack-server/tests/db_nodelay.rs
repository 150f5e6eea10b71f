//! sqlx 0.9.0 no longer sets `TCP_NODELAY` (launchbadge/sqlx#4335); `Db::connect` sets it
//! on the PostgreSQL and MariaDB pools' TCP connections itself (`src/db/nodelay.rs`).
//! Without it, a message written in several pieces (any message over 16 KiB on a TLS
//! connection: a 300-test upload) waits ~40 ms for the server's delayed ACK.
//!
//! The check here is independent of that code: every TCP socket of this process connected
//! to the database server's port must have `TCP_NODELAY`, after the pool opened several
//! connections and stored a large upload. Runs on each backend whose URL is set
//! (`REFSTACK_TEST_POSTGRES_URL`, `REFSTACK_TEST_MYSQL_URL`); Linux only.
#![cfg(target_os = "linux")]

use std::net::SocketAddr;
use std::str::FromStr;

use refstack_server::db::results::{self, NewResult, NewTestRun};
use refstack_server::db::testing::{self, MYSQL_ENV, POSTGRES_ENV, TestDb};
use rustix::process::{PidfdFlags, PidfdGetfdFlags, getpid, pidfd_getfd, pidfd_open};

/// `(peer, TCP_NODELAY)` of each of this process's TCP sockets connected to `port`.
fn sockets_to(port: u16) -> Vec<(SocketAddr, bool)> {
    let me = pidfd_open(getpid(), PidfdFlags::empty()).expect("pidfd_open");
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd") {
        let Some(fd) = entry
            .expect("fd entry")
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(dup) = pidfd_getfd(&me, fd, PidfdGetfdFlags::empty()) else {
            continue;
        };
        let Some(peer) = rustix::net::getpeername(&dup)
            .ok()
            .flatten()
            .and_then(|a| SocketAddr::try_from(a).ok())
        else {
            continue;
        };
        if peer.port() == port {
            let nodelay = rustix::net::sockopt::tcp_nodelay(&dup).expect("TCP_NODELAY");
            out.push((peer, nodelay));
        }
    }
    out
}

async fn check(db: TestDb, port: u16) {
    // Several connections at once, then a ~40 KiB insert.
    let pings: Vec<_> = (0..4).map(|_| db.ping()).collect();
    for outcome in futures_util::future::join_all(pings).await {
        outcome.unwrap_or_else(|e| panic!("{}: ping: {e}", db.label()));
    }
    let run = NewTestRun {
        cpid: "nodelay".into(),
        duration_seconds: 1,
        results: (0..300)
            .map(|i| NewResult {
                name: format!(
                    "tempest.api.compute.servers.test_servers.ServersTestJSON.test_{i:04}"
                ),
                uuid: Some(format!("00000000-0000-4000-8000-{i:012}")),
            })
            .collect(),
        uploader: None,
    };
    results::store_upload(&db, &run)
        .await
        .unwrap_or_else(|e| panic!("{}: upload: {e}", db.label()));
    let sockets = sockets_to(port);
    assert!(
        !sockets.is_empty(),
        "{}: no TCP socket to port {port} found",
        db.label()
    );
    for (peer, nodelay) in &sockets {
        assert!(
            nodelay,
            "{}: socket to {peer} lacks TCP_NODELAY",
            db.label()
        );
    }
}

fn port_of(var: &str) -> Option<u16> {
    let url = std::env::var(var).ok()?;
    Some(if var == POSTGRES_ENV {
        sqlx::postgres::PgConnectOptions::from_str(&url)
            .expect("PostgreSQL URL")
            .get_port()
    } else {
        sqlx::mysql::MySqlConnectOptions::from_str(&url)
            .expect("MySQL URL")
            .get_port()
    })
}

/// One test for both backends, one after the other: the check looks at every socket of
/// the process, so no other test may hold connections to the same port meanwhile.
#[tokio::test]
async fn database_connections_have_tcp_nodelay() {
    if let Some(db) = testing::postgres().await {
        check(db, port_of(POSTGRES_ENV).unwrap_or(5432)).await;
    }
    if let Some(db) = testing::mysql().await {
        check(db, port_of(MYSQL_ENV).unwrap_or(3306)).await;
    }
}
