//! The little HTTP the tracker needs: read one request head, then either upgrade to WebSocket
//! or answer `/stats`, `/metrics` or `/` and close.
//!
//! Why not a full HTTP stack (axum/hyper)? The tracker's hot path is the WebSocket; owning the
//! request parsing lets the same code run over plain TCP and TLS streams, bounds the head
//! (8 KiB, one read deadline) before any allocation grows, and hands the socket to tungstenite
//! without an extra layer. Every other request is one short response followed by close.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// Largest request head accepted.
const MAX_HEAD: usize = 8 * 1024;

/// What the tracker cares about in a request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    /// `Sec-WebSocket-Key`, when the request asks for a WebSocket upgrade.
    pub(crate) websocket_key: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum HeadError {
    #[error("request head over {MAX_HEAD} bytes")]
    TooLarge,
    #[error("connection closed before the request head ended")]
    Eof,
    #[error("malformed request line")]
    Malformed,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads until the blank line; returns the request and any bytes read past it.
pub(crate) async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> Result<(Request, Vec<u8>), HeadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(HeadError::Eof);
        }
        let searched_from = buf.len().saturating_sub(3);
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if let Some(end) = find_blank_line(&buf, searched_from) {
            let rest = buf.split_off(end);
            return Ok((parse_head(&buf)?, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
    }
}

/// Index just past the first `\r\n\r\n` at or after `from`.
fn find_blank_line(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| from + i + 4)
}

pub(crate) fn parse_head(head: &[u8]) -> Result<Request, HeadError> {
    let text = std::str::from_utf8(head).map_err(|_| HeadError::Malformed)?;
    let mut lines = text.split("\r\n");
    let mut first = lines.next().ok_or(HeadError::Malformed)?.split(' ');
    let method = first.next().ok_or(HeadError::Malformed)?.to_owned();
    let path = first.next().ok_or(HeadError::Malformed)?.to_owned();
    if !first.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(HeadError::Malformed);
    }
    let (mut upgrade, mut key) = (false, None);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("upgrade") {
            upgrade = value.eq_ignore_ascii_case("websocket");
        } else if name.eq_ignore_ascii_case("sec-websocket-key") {
            key = Some(value.to_owned());
        }
    }
    Ok(Request {
        method,
        path,
        websocket_key: key.filter(|_| upgrade),
    })
}

/// Writes the `101 Switching Protocols` reply.
pub(crate) async fn accept_websocket<S: AsyncWrite + Unpin>(
    stream: &mut S,
    key: &str,
) -> std::io::Result<()> {
    let reply = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    );
    stream.write_all(reply.as_bytes()).await?;
    stream.flush().await
}

/// Writes a complete response and asks the client to close.
pub(crate) async fn respond<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.flush().await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_upgrade_and_plain_requests() {
        let head = b"GET /announce HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\n\
            Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        let req = parse_head(head).unwrap();
        assert_eq!(req.path, "/announce");
        assert_eq!(
            req.websocket_key.as_deref(),
            Some("dGhlIHNhbXBsZSBub25jZQ==")
        );
        let req = parse_head(b"GET /stats HTTP/1.1\r\nSec-WebSocket-Key: a\r\n\r\n").unwrap();
        assert_eq!((req.method.as_str(), req.websocket_key), ("GET", None));
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
        assert!(parse_head(b"\xff\xfe\r\n\r\n").is_err());
    }

    #[tokio::test]
    async fn reads_the_head_and_keeps_the_rest() {
        let mut input: &[u8] = b"GET / HTTP/1.1\r\nA: b\r\n\r\nextra";
        let (req, rest) = read_head(&mut input).await.unwrap();
        assert_eq!(req.path, "/");
        assert_eq!(rest, b"extra");
        let big = vec![b'a'; MAX_HEAD + 10];
        assert!(matches!(
            read_head(&mut big.as_slice()).await,
            Err(HeadError::TooLarge)
        ));
        let mut eof: &[u8] = b"GET / HTTP/1.1\r\n";
        assert!(matches!(read_head(&mut eof).await, Err(HeadError::Eof)));
    }
}
