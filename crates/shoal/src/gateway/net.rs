//! The gateway's sockets, each in its own task that reports to its torrent as
//! [`session::Event`]s: a TCP peer connection (dialled or accepted), an HTTP tracker GET and a
//! UDP tracker socket. Nothing here knows BitTorrent: the session and the engine do.

use std::{net::SocketAddr, time::Duration};

use session::{ClassicTrackerIdx, Event};
use swarm::PeerKey;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpStream, UdpSocket},
    sync::mpsc::{UnboundedReceiver, UnboundedSender},
};

/// A dial that has not connected this long fails (the session's own deadline is longer).
const DIAL_TIMEOUT: Duration = Duration::from_secs(10);
/// An HTTP tracker gets this long for the whole GET.
const HTTP_TIMEOUT: Duration = Duration::from_secs(20);
/// Largest HTTP response read (headers and body).
const MAX_HTTP_RESPONSE: usize = tracker_classic::MAX_HTTP_BODY + 16 * 1024;
/// Bytes read from a peer at a time.
const READ_CHUNK: usize = 64 * 1024;

pub(super) type Events = UnboundedSender<Event>;

/// Dials `addr`, then runs the connection (see [`run_peer`]).
pub(super) async fn dial_peer(
    peer: PeerKey,
    addr: SocketAddr,
    outbox: UnboundedReceiver<Vec<u8>>,
    events: Events,
) {
    match tokio::time::timeout(DIAL_TIMEOUT, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            if events.send(Event::PeerOpen { peer }).is_ok() {
                run_peer(peer, stream, outbox, events).await;
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

/// Moves bytes both ways until either side ends, then reports the close.
pub(super) async fn run_peer(
    peer: PeerKey,
    stream: TcpStream,
    mut outbox: UnboundedReceiver<Vec<u8>>,
    events: Events,
) {
    let (mut r, mut w) = stream.into_split();
    let write = async {
        while let Some(bytes) = outbox.recv().await {
            if let Err(error) = w.write_all(&bytes).await {
                return format!("writing: {error}");
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

/// GETs an HTTP tracker's announce URL and reports the body (or why there is none).
pub(super) async fn tracker_get(tracker: ClassicTrackerIdx, url: String, events: Events) {
    let reply = match tokio::time::timeout(HTTP_TIMEOUT, http_get(&url)).await {
        Ok(result) => result,
        Err(_) => Err(format!("{} did not answer in time", host_of(&url))),
    };
    let _ = events.send(Event::ClassicTrackerReply { tracker, reply });
}

fn host_of(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// A plain HTTP/1.1 GET (`Connection: close`), for tracker announces: status 200 required,
/// body by `Content-Length`, chunked, or to the end; at most [`MAX_HTTP_RESPONSE`] bytes.
async fn http_get(url: &str) -> Result<Vec<u8>, String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!(
            "{}: only http:// trackers are reachable (no TLS client here)",
            host_of(url)
        )
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let target = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let mut stream = TcpStream::connect(&target)
        .await
        .map_err(|e| format!("connecting to {authority}: {e}"))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: shoal\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("sending to {authority}: {e}"))?;
    let mut response = Vec::new();
    let mut limited = (&mut stream).take(MAX_HTTP_RESPONSE as u64 + 1);
    limited
        .read_to_end(&mut response)
        .await
        .map_err(|e| format!("reading from {authority}: {e}"))?;
    if response.len() > MAX_HTTP_RESPONSE {
        return Err(format!("{authority} sent more than we accept"));
    }
    parse_http_response(&response).map_err(|why| format!("{authority}: {why}"))
}

/// Splits a whole HTTP/1.1 response into status and body.
fn parse_http_response(response: &[u8]) -> Result<Vec<u8>, String> {
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no complete HTTP header")?;
    let head = String::from_utf8_lossy(&response[..end]);
    let body = &response[end + 4..];
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or("no HTTP status")?;
    if status != 200 {
        return Err(format!("HTTP status {status}"));
    }
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        return dechunk(body);
    }
    match header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        Some(n) if n <= body.len() => Ok(body[..n].to_vec()),
        Some(_) => Err("the body is shorter than its Content-Length".to_owned()),
        None => Ok(body.to_vec()),
    }
}

/// Decodes a chunked body (bounded by the response it comes from).
fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk size line is cut off")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "a bad chunk size")?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = body.get(..size).ok_or("a chunk is cut off")?;
        out.extend_from_slice(chunk);
        body = body.get(size + 2..).ok_or("a chunk is cut off")?;
    }
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
mod tests {
    use super::*;

    #[test]
    fn http_responses_by_length_chunked_and_status() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef";
        assert_eq!(parse_http_response(r), Ok(b"abc".to_vec()));
        let r = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_http_response(r), Ok(b"abcde".to_vec()));
        let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nabc";
        assert!(parse_http_response(r).is_err());
        let r = b"HTTP/1.1 404 Not Found\r\n\r\n";
        assert_eq!(parse_http_response(r), Err("HTTP status 404".to_owned()));
        assert!(parse_http_response(b"HTTP/1.1 200").is_err());
    }
}
