//! The gateway's sockets, each in its own task that reports to its torrent as
//! [`session::Event`]s: a TCP peer connection (dialled or accepted), an HTTP(S) tracker GET and
//! a UDP tracker socket. Nothing here knows BitTorrent: the session and the engine do.

use std::{net::SocketAddr, time::Duration};

use session::{ClassicTrackerIdx, Event};

use super::rate_cap::{self, PeerCaps};
use swarm::PeerKey;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpStream, UdpSocket},
    sync::mpsc::{UnboundedReceiver, UnboundedSender},
};

/// A dial that has not connected this long fails (the session's own deadline is longer).
const DIAL_TIMEOUT: Duration = Duration::from_secs(10);
/// An HTTP(S) tracker gets this long for the whole GET.
const HTTP_TIMEOUT: Duration = Duration::from_secs(20);
/// Largest tracker response body read.
const MAX_HTTP_RESPONSE: usize = tracker_classic::MAX_HTTP_BODY + 16 * 1024;
/// Bytes read from a peer at a time.
const READ_CHUNK: usize = 64 * 1024;

pub(super) type Events = UnboundedSender<Event>;

/// What every torrent's sockets share: the tracker HTTP client and the rate caps.
#[derive(Debug, Clone)]
pub(super) struct Shared {
    pub(super) http: reqwest::Client,
    pub(super) caps: PeerCaps,
}

/// Largest write between two waits on the upload cap.
const CAPPED_WRITE: usize = 64 * 1024;

/// Dials `addr`, then runs the connection (see [`run_peer`]).
pub(super) async fn dial_peer(
    peer: PeerKey,
    addr: SocketAddr,
    outbox: UnboundedReceiver<Vec<u8>>,
    events: Events,
    caps: PeerCaps,
) {
    match tokio::time::timeout(DIAL_TIMEOUT, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            if events.send(Event::PeerOpen { peer }).is_ok() {
                run_peer(peer, stream, outbox, events, caps).await;
            }
        }
        Ok(Err(error)) => {
            tracing::debug!(%addr, %error, "dial failed");
            let _ = events.send(Event::PeerClosed { peer });
        }
        Err(_) => {
            let _ = events.send(Event::PeerClosed { peer });
        }
    }
}

/// Moves bytes both ways until either side ends, then reports the close. With caps, each
/// write waits for the upload cap (in pieces of [`CAPPED_WRITE`]) and each read for the
/// download cap before the next read.
pub(super) async fn run_peer(
    peer: PeerKey,
    stream: TcpStream,
    mut outbox: UnboundedReceiver<Vec<u8>>,
    events: Events,
    caps: PeerCaps,
) {
    let (mut r, mut w) = stream.into_split();
    let write = async {
        while let Some(bytes) = outbox.recv().await {
            let step = if caps.upload.is_some() {
                CAPPED_WRITE
            } else {
                bytes.len().max(1)
            };
            for part in bytes.chunks(step) {
                rate_cap::spend(caps.upload.as_ref(), part.len()).await;
                if let Err(error) = w.write_all(part).await {
                    return format!("writing: {error}");
                }
            }
        }
        "the torrent let go of it".to_owned()
    };
    let read = async {
        let mut buf = vec![0u8; READ_CHUNK];
        let mut total = 0u64;
        loop {
            match r.read(&mut buf).await {
                Ok(0) => return format!("the peer closed it after {total} bytes"),
                Err(error) => return format!("reading after {total} bytes: {error}"),
                Ok(n) => {
                    total += n as u64;
                    let bytes = buf[..n].to_vec();
                    if events.send(Event::PeerData { peer, bytes }).is_err() {
                        return "the torrent stopped".to_owned();
                    }
                    rate_cap::spend(caps.download.as_ref(), n).await;
                }
            }
        }
    };
    let why = tokio::select! {
        why = write => why,
        why = read => why,
    };
    tracing::debug!(?peer, why, "peer connection ended");
    let _ = events.send(Event::PeerClosed { peer });
}

/// The client HTTP and HTTPS tracker announces go through: rustls, with the system's roots
/// (`SSL_CERT_FILE` / `SSL_CERT_DIR` point it elsewhere, e.g. at a private tracker's CA).
pub(super) fn tracker_client() -> Result<reqwest::Client, reqwest::Error> {
    client_builder().build()
}

fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .user_agent(concat!("shoal/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::limited(3))
}

/// GETs an HTTP(S) tracker's announce URL and reports the body (or why there is none).
pub(super) async fn tracker_get(
    client: reqwest::Client,
    tracker: ClassicTrackerIdx,
    url: String,
    events: Events,
) {
    let reply = http_get(&client, &url).await;
    let _ = events.send(Event::ClassicTrackerReply { tracker, reply });
}

fn host_of(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// A GET whose status must be 200 and whose body is at most [`MAX_HTTP_RESPONSE`] bytes.
async fn http_get(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let host = host_of(url);
    let fail = |e: reqwest::Error| format!("{host}: {}", chain(&e));
    let mut response = client.get(url).send().await.map_err(fail)?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(format!(
            "{host}: HTTP status {}",
            response.status().as_u16()
        ));
    }
    let too_big = || format!("{host} sent more than we accept");
    if response
        .content_length()
        .is_some_and(|n| n > MAX_HTTP_RESPONSE as u64)
    {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(fail)? {
        if body.len() + chunk.len() > MAX_HTTP_RESPONSE {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An error with its causes: reqwest's own message ("error sending request") names none.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// One UDP tracker's socket: sends the datagrams it is handed, reports every datagram it
/// receives. IPv4 only (the address is resolved to its first IPv4 address).
pub(super) async fn udp_tracker(
    tracker: ClassicTrackerIdx,
    host_port: String,
    mut outbox: UnboundedReceiver<Vec<u8>>,
    events: Events,
) {
    let fail = |why: String| {
        let _ = events.send(Event::ClassicTrackerReply {
            tracker,
            reply: Err(why),
        });
    };
    let addr = match tokio::net::lookup_host(&host_port).await {
        Ok(mut addrs) => addrs.find(SocketAddr::is_ipv4),
        Err(e) => return fail(format!("resolving {host_port}: {e}")),
    };
    let Some(addr) = addr else {
        return fail(format!("{host_port} has no IPv4 address"));
    };
    let socket = match UdpSocket::bind(("0.0.0.0", 0)).await {
        Ok(s) => s,
        Err(e) => return fail(format!("opening a UDP socket: {e}")),
    };
    if let Err(e) = socket.connect(addr).await {
        return fail(format!("UDP to {host_port}: {e}"));
    }
    let mut buf = vec![0u8; tracker_classic::MAX_DATAGRAM + 1];
    loop {
        tokio::select! {
            datagram = outbox.recv() => {
                let Some(datagram) = datagram else { return };
                // A lost or refused datagram is the announcer's to retry.
                let _ = socket.send(&datagram).await;
            }
            received = socket.recv(&mut buf) => {
                // An ICMP "port unreachable" shows as an error here: wait for the retry.
                let Ok(n) = received else { continue };
                let reply = Ok(buf[..n].to_vec());
                if events.send(Event::ClassicTrackerReply { tracker, reply }).is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "net_tests.rs"]
mod tests;
