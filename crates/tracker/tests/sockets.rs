//! The server over real sockets on 127.0.0.1: relay an offer and its answer between two
//! WebSocket clients, reject a bad message without closing, serve `/stats` and `/metrics`,
//! forget a closed socket's peers, and shut down on request.

// Test helpers outside `#[test]` functions: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use shoal_tracker::{self as tracker, Config};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use tokio_tungstenite::{connect_async, tungstenite::Message, MaybeTlsStream, WebSocketStream};
use tracker_proto::{encode_binary_string, OutMessage};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn bin(b: u8) -> String {
    encode_binary_string(&[b; 20])
}

async fn recv(ws: &mut Ws) -> OutMessage {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("socket open")
            .expect("no socket error");
        if let Message::Text(text) = frame {
            return OutMessage::from_json(&text).expect("valid tracker message");
        }
    }
}

async fn send(ws: &mut Ws, value: serde_json::Value) {
    ws.send(Message::text(value.to_string())).await.unwrap();
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut body = String::new();
    tcp.read_to_string(&mut body).await.unwrap();
    body
}

async fn stats(addr: std::net::SocketAddr) -> serde_json::Value {
    let response = http_get(addr, "/stats").await;
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn relays_over_real_sockets_and_shuts_down() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        rng_seed: Some(1),
        ..Config::default()
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tracker::serve(config, listener, async {
        let _ = stop_rx.await;
    }));
    let url = format!("ws://{addr}/announce");

    let (mut a, _) = connect_async(url.as_str()).await.unwrap();
    let (mut b, _) = connect_async(url.as_str()).await.unwrap();
    let announce = |peer: u8, offers: serde_json::Value| {
        json!({"action": "announce", "info_hash": bin(1), "peer_id": bin(peer), "left": 10,
               "event": "started", "numwant": 1, "uploaded": 0, "downloaded": 0, "offers": offers})
    };
    send(&mut a, announce(0xa, json!([]))).await;
    let OutMessage::AnnounceResponse(r) = recv(&mut a).await else {
        panic!("announce response expected")
    };
    assert_eq!((r.incomplete, r.interval), (Some(1), Some(120)));

    let offer = json!([{"offer_id": bin(0x77), "offer": {"type": "offer", "sdp": "v=0\r\n"}}]);
    send(&mut b, announce(0xb, offer)).await;
    assert!(matches!(
        recv(&mut b).await,
        OutMessage::AnnounceResponse(_)
    ));
    let OutMessage::Offer(relayed) = recv(&mut a).await else {
        panic!("relayed offer expected")
    };
    assert_eq!(relayed.peer_id.0, [0xb; 20]);

    // A bad message on `a`: failure reason, socket stays usable.
    a.send(Message::text("{\"action\":\"announce\""))
        .await
        .unwrap();
    let OutMessage::Error(e) = recv(&mut a).await else {
        panic!("failure expected")
    };
    assert!(e.failure_reason.starts_with("invalid JSON message"));

    send(
        &mut a,
        json!({"action": "announce", "info_hash": bin(1), "peer_id": bin(0xa), "to_peer_id": bin(0xb),
               "offer_id": bin(0x77), "answer": {"type": "answer", "sdp": "v=0\r\n"}}),
    )
    .await;
    let OutMessage::Answer(answer) = recv(&mut b).await else {
        panic!("relayed answer expected")
    };
    assert_eq!(
        (answer.peer_id.0, answer.offer_id.0),
        ([0xa; 20], [0x77; 20])
    );

    let s = stats(addr).await;
    assert_eq!(
        (s["connections"].as_u64(), s["peers"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        (s["offers_relayed"].as_u64(), s["answers_routed"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(s["errors"]["malformed_json"].as_u64(), Some(1));
    let metrics = http_get(addr, "/metrics").await;
    assert!(metrics.contains("\r\n\r\n# HELP shoal_tracker_connections "));
    assert!(http_get(addr, "/nope").await.starts_with("HTTP/1.1 404"));

    // Closing `b` removes its peer from the swarm.
    b.close(None).await.unwrap();
    let mut peers = None;
    for _ in 0..100 {
        let s = stats(addr).await;
        peers = s["peers"].as_u64();
        if peers == Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(peers, Some(1));

    // Shutdown closes the remaining socket and the server returns.
    stop_tx.send(()).unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(frame)) = a.next().await {
            if frame.is_close() {
                break;
            }
        }
    });
    closed.await.unwrap();
    server.await.unwrap().unwrap();
}

/// Torrents `[h; 20]` for h = 1, 2, 3 live in shards 1, 2, 3 of 4 (see `swarm::shard_of`): one
/// socket's memberships, a scrape and a close all cross shards, on two worker threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crosses_shards_over_real_sockets() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config {
        rng_seed: Some(1),
        shards: 4,
        ..Config::default()
    };
    config.limits.max_torrents_per_connection = 2;
    for h in 1..=3u8 {
        assert_eq!(
            tracker::swarm::shard_of(&tracker_proto::Id20([h; 20]), 4),
            usize::from(h)
        );
    }
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tracker::serve(config, listener, async {
        let _ = stop_rx.await;
    }));
    let url = format!("ws://{addr}/announce");
    let (mut a, _) = connect_async(url.as_str()).await.unwrap();
    let (mut b, _) = connect_async(url.as_str()).await.unwrap();
    let announce = |hash: u8| {
        json!({"action": "announce", "info_hash": bin(hash), "peer_id": bin(0xa), "left": 10,
               "event": "started", "numwant": 0, "uploaded": 0, "downloaded": 0})
    };
    for hash in [1, 2] {
        send(&mut a, announce(hash)).await;
        let OutMessage::AnnounceResponse(r) = recv(&mut a).await else {
            panic!("announce response expected")
        };
        assert_eq!(r.info_hash.0, [hash; 20]);
    }
    send(&mut a, announce(3)).await;
    let OutMessage::Error(e) = recv(&mut a).await else {
        panic!("the third torrent is over the per-connection cap")
    };
    assert_eq!(
        e.failure_reason,
        "too many torrents on this connection: at most 2"
    );

    // `b` offers in both swarms: each offer reaches `a` through its own shard, and so does
    // the answer to the second.
    for hash in [1u8, 2] {
        let offer =
            json!([{"offer_id": bin(0x70 + hash), "offer": {"type": "offer", "sdp": "v=0\r\n"}}]);
        let mut announce = announce(hash);
        announce["peer_id"] = json!(bin(0xb));
        announce["offers"] = offer;
        send(&mut b, announce).await;
        assert!(matches!(
            recv(&mut b).await,
            OutMessage::AnnounceResponse(_)
        ));
        let OutMessage::Offer(relayed) = recv(&mut a).await else {
            panic!("relayed offer expected")
        };
        assert_eq!(
            (relayed.info_hash.0, relayed.peer_id.0),
            ([hash; 20], [0xb; 20])
        );
    }
    send(
        &mut a,
        json!({"action": "announce", "info_hash": bin(2), "peer_id": bin(0xa), "to_peer_id": bin(0xb),
               "offer_id": bin(0x72), "answer": {"type": "answer", "sdp": "v=0\r\n"}}),
    )
    .await;
    let OutMessage::Answer(answer) = recv(&mut b).await else {
        panic!("relayed answer expected")
    };
    assert_eq!(
        (answer.info_hash.0, answer.offer_id.0),
        ([2; 20], [0x72; 20])
    );

    let scrape = json!({"action": "scrape", "info_hash": [bin(2), bin(3), bin(1)]});
    send(&mut b, scrape.clone()).await;
    let OutMessage::ScrapeResponse(r) = recv(&mut b).await else {
        panic!("scrape response expected")
    };
    let mut counts: Vec<(u8, u64)> = r
        .files
        .iter()
        .map(|(h, s)| (h.0[0], s.incomplete))
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, [(1, 2), (2, 2), (3, 0)]);
    let s = stats(addr).await;
    assert_eq!(
        (s["swarms"].as_u64(), s["peers"].as_u64()),
        (Some(2), Some(4))
    );
    assert_eq!(
        (s["announces"].as_u64(), s["scrapes"].as_u64()),
        (Some(5), Some(1))
    );
    assert_eq!(
        (s["offers_relayed"].as_u64(), s["answers_routed"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(s["errors"]["too_many_torrents"].as_u64(), Some(1));

    // Closing `a` leaves both of its shards.
    a.close(None).await.unwrap();
    let mut peers = None;
    for _ in 0..100 {
        peers = stats(addr).await["peers"].as_u64();
        if peers == Some(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(peers, Some(2));
    send(&mut b, scrape).await;
    let OutMessage::ScrapeResponse(r) = recv(&mut b).await else {
        panic!("scrape response expected")
    };
    let mut counts: Vec<(u8, u64)> = r
        .files
        .iter()
        .map(|(h, s)| (h.0[0], s.incomplete))
        .collect();
    counts.sort_unstable();
    assert_eq!(counts, [(1, 1), (2, 1), (3, 0)]);

    stop_tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}
