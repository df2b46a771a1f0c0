//! Which side of the port gets a connection: by the bytes alone, then over real sockets.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

#[test]
fn only_the_announce_path_goes_to_the_tracker() {
    assert_eq!(route(b"GET /announce HTTP/1.1\r\n"), Some(true));
    assert_eq!(route(b"GET /announce?info_hash=x HTTP/1.1"), Some(true));
    assert_eq!(route(b"GET /announcement HTTP/1.1"), Some(false));
    assert_eq!(route(b"GET /announce/x HTTP/1.1"), Some(false));
    assert_eq!(route(b"GET /announce.json HTTP/1.1"), Some(false));
    assert_eq!(route(b"GET / HTTP/1.1"), Some(false));
    assert_eq!(route(b"POST /announce HTTP/1.1"), Some(false));
    assert_eq!(route(b"GET /files/a.mp4 HTTP/1.1"), Some(false));
    // Too little to tell yet: wait for more.
    assert_eq!(route(b"GET /"), None);
    assert_eq!(route(b"GET /announce"), None);
}

/// Sends `request` on a new connection to `addr` and returns the connection.
async fn send(addr: SocketAddr, request: &str) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(request.as_bytes()).await.expect("write");
    tcp
}

/// A guard against a hang when a connection went to the wrong side (never a timing check:
/// every wait below ends as soon as the right side has the connection).
const HANG: Duration = Duration::from_secs(60);

#[tokio::test]
async fn lookalike_paths_reach_the_app_and_announce_reaches_the_tracker() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let tracker = Arc::new(tracker::Embedded::new(tracker::Config::default()).expect("tracker"));
    let (_stop_tx, stop_rx) = watch::channel(false);
    let mut app = split(listener, Arc::clone(&tracker), stop_rx);

    // The tracker answers a plain GET of its path itself (it is no WebSocket upgrade): an
    // HTTP answer on the socket shows the tracker, not the app, had the connection.
    let mut announce = send(addr, "GET /announce?x=1 HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let mut answer = Vec::new();
    tokio::time::timeout(HANG, announce.read_to_end(&mut answer))
        .await
        .expect("the tracker answers /announce")
        .expect("read");
    assert!(answer.starts_with(b"HTTP/1.1 "), "{answer:?}");

    for path in ["/announcement", "/announce/x"] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n");
        let _client = send(addr, &request).await;
        let (tcp, _) = tokio::time::timeout(HANG, axum::serve::Listener::accept(&mut app))
            .await
            .expect("the app gets the connection");
        let mut seen = vec![0u8; request.len()];
        let mut got = 0;
        while got < seen.len() {
            got = tcp.peek(&mut seen).await.expect("peek");
        }
        assert_eq!(seen, request.as_bytes(), "{path}");
    }
    tracker.shutdown();
}
