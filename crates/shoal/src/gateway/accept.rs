//! The TCP listener every gateway torrent shares: an incoming connection is read up to the info
//! hash of its handshake and handed to that torrent's task, which reads the rest. At most
//! [`MAX_PENDING_HANDSHAKES`] connections wait for their handshake at once, each for at most
//! [`HANDSHAKE_TIMEOUT`].

use std::{
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use metainfo::InfoHash;
use tokio::{
    io::AsyncReadExt,
    net::{TcpListener, TcpStream},
};

use super::{torrent::Cmd, Gateway};

/// An incoming peer must send the first 48 bytes of its handshake within this long.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Most incoming connections waiting for their handshake at once; more are closed at once.
const MAX_PENDING_HANDSHAKES: usize = 256;
/// The handshake up to and including the info hash: length byte, protocol, reserved, hash.
const HANDSHAKE_PREFIX: usize = 1 + 19 + 8 + 20;

/// Accepts peers and hands each to its torrent once the start of its handshake names one.
pub(super) async fn accept_peers(listener: TcpListener, gateway: std::sync::Weak<Gateway>) {
    let pending = Arc::new(tokio::sync::Semaphore::new(MAX_PENDING_HANDSHAKES));
    loop {
        let Ok((stream, addr)) = listener.accept().await else {
            continue;
        };
        let Some(g) = gateway.upgrade() else {
            return;
        };
        let Ok(permit) = Arc::clone(&pending).try_acquire_owned() else {
            g.figures.incoming_refused.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        tokio::spawn(async move {
            let _permit = permit;
            let routed = tokio::time::timeout(HANDSHAKE_TIMEOUT, route(stream, &g)).await;
            if !matches!(routed, Ok(true)) {
                tracing::debug!(%addr, "incoming peer dropped: no handshake for a torrent we run");
                g.figures.incoming_refused.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
}

/// Reads the handshake up to the info hash and passes the connection on; whether it was taken.
async fn route(mut stream: TcpStream, g: &Gateway) -> bool {
    let mut read = vec![0u8; HANDSHAKE_PREFIX];
    if stream.read_exact(&mut read).await.is_err() {
        return false;
    }
    if read[0] != 19 || &read[1..20] != b"BitTorrent protocol" {
        return false;
    }
    let Some(hash) = InfoHash::from_slice(&read[28..48]) else {
        return false;
    };
    let Some(handle) = g.get(&hash) else {
        return false;
    };
    let _ = stream.set_nodelay(true);
    tracing::debug!(peer = ?stream.peer_addr().ok(), info_hash = %hash.to_hex(), "incoming peer");
    handle.cmds.send(Cmd::Incoming { stream, read }).is_ok()
}
