//! One TCP port for everything: connections whose request is `GET /announce` (that path
//! exactly, with or without a query string) go to the embedded WebSocket tracker (which reads
//! the HTTP head and upgrades itself, with its own limits); every other connection, including
//! `/announcement` or `/announce/x`, goes to the axum app.
//!
//! The first bytes are only peeked, never consumed, so whichever side gets the connection sees
//! it from its first byte. A client that sends too little to decide within the timeout is
//! dropped. One connection carries one kind of traffic: a keep-alive HTTP connection never
//! becomes a tracker connection (browsers open a fresh one for a WebSocket).

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::{mpsc, watch},
};

/// The start of a tracker connection's request line; the byte after it must end the path.
const TRACKER_REQUEST: &[u8] = b"GET /announce";
/// Time a client has to send its request line.
const DECIDE_TIMEOUT: Duration = Duration::from_secs(10);

/// The app's side of the split: an [`axum::serve::Listener`].
pub(crate) struct AppListener {
    rx: mpsc::Receiver<(TcpStream, SocketAddr)>,
    local: SocketAddr,
}

impl axum::serve::Listener for AppListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            // The acceptor stopped (shutdown): never hand out another connection.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// A client's address as handlers read it (`ConnectInfo<PeerAddr>`), for routers served
/// through an [`AppListener`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub(crate) SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, AppListener>>
    for PeerAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, AppListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// Starts accepting on `listener`; tracker connections are served by `tracker`, the rest are
/// returned through the [`AppListener`]. Stops accepting when `stop` turns true.
pub(crate) fn split(
    listener: TcpListener,
    tracker: Arc<tracker::Embedded>,
    mut stop: watch::Receiver<bool>,
) -> AppListener {
    let local = listener
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                accepted = listener.accept() => accepted,
            };
            let (tcp, addr) = match accepted {
                Ok(conn) => conn,
                Err(error) => {
                    // Usually out of file descriptors: wait instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let (tx, tracker) = (tx.clone(), Arc::clone(&tracker));
            tokio::spawn(async move {
                match tokio::time::timeout(DECIDE_TIMEOUT, is_tracker(&tcp)).await {
                    Ok(Ok(true)) => tracker.handle_connection(tcp, addr).await,
                    Ok(Ok(false)) => {
                        let _ = tx.send((tcp, addr)).await;
                    }
                    _ => {}
                }
            });
        }
    });
    AppListener { rx, local }
}

/// Peeks until the request line says whether this is for the tracker.
async fn is_tracker(tcp: &TcpStream) -> std::io::Result<bool> {
    let mut buf = [0u8; TRACKER_REQUEST.len() + 1];
    loop {
        let n = tcp.peek(&mut buf).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        match route(buf.get(..n).unwrap_or_default()) {
            Some(tracker) => return Ok(tracker),
            // Only part of the request line so far: peek returns at once while those bytes
            // wait, so give the client a moment to send more.
            None => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

/// Who takes a connection whose first bytes are `seen`: `Some(true)` the tracker (the path is
/// `/announce`, ended by the space before the HTTP version or by a query), `Some(false)` the
/// app, `None` when too few bytes have arrived to tell.
fn route(seen: &[u8]) -> Option<bool> {
    let common = seen.len().min(TRACKER_REQUEST.len());
    if seen.get(..common) != TRACKER_REQUEST.get(..common) {
        return Some(false);
    }
    match seen.get(TRACKER_REQUEST.len()) {
        None => None,
        Some(b' ' | b'?') => Some(true),
        Some(_) => Some(false),
    }
}

#[cfg(test)]
#[path = "one_port_tests.rs"]
mod tests;
