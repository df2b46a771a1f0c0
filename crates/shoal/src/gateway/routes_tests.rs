use std::time::Duration;

use axum::{body::to_bytes, http::Request as HttpRequest};
use tower::ServiceExt;

use super::*;
use crate::gateway::GatewayConfig;

async fn gateway(dir: &std::path::Path, max_torrents: usize) -> Arc<Gateway> {
    gateway_with(dir, max_torrents, Duration::from_millis(300)).await
}

/// A gateway whose requests wait `wait` when peers are there, 300 ms when none is.
async fn gateway_with(dir: &std::path::Path, max_torrents: usize, wait: Duration) -> Arc<Gateway> {
    let cfg = GatewayConfig {
        peer_listen: "127.0.0.1:0".parse().expect("addr"),
        dir: dir.to_path_buf(),
        max_torrents,
        max_peers_per_torrent: 5,
        per_ip_streams: 2,
        wait_for_peers: wait,
        no_peer_grace: Duration::from_millis(300),
        extra_trackers: Vec::new(),
        dht: None,
        max_download_kib: None,
        max_upload_kib: None,
        max_disk_bytes: None,
        peer_id: *b"-SH0001-testtesttest",
        seed_handoff: None,
        hls: crate::gateway::hls::HlsConfig {
            local_base: "http://127.0.0.1:9".into(),
            max_transcodes: 1,
            dir: dir.join("hls"),
            lead_segments: 30,
        },
    };
    Gateway::start(cfg).await.expect("gateway")
}

fn app(g: &Arc<Gateway>) -> Router {
    router(Arc::clone(g))
        .route("/stream/{a}/{b}", get(|| async { "the add-on's route" }))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(g),
            intercept_streams,
        ))
}

async fn call(app: &Router, method: &str, uri: &str, body: &str) -> (StatusCode, String) {
    let (status, _, body) = call_with_headers(app, method, uri, body).await;
    (status, body)
}

async fn call_with_headers(
    app: &Router,
    method: &str,
    uri: &str,
    body: &str,
) -> (StatusCode, HeaderMap, String) {
    let req = HttpRequest::builder()
        .method(method)
        .uri(uri)
        .body(Body::from(body.to_owned()))
        .expect("request");
    let res = app.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = to_bytes(res.into_body(), 1 << 20).await.expect("body");
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[test]
fn sources_are_magnets_hashes_json_or_torrents() {
    let hash = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
    assert!(matches!(source_of(hash.as_bytes()), Ok(Source::Magnet(_))));
    assert!(matches!(
        source_of(format!("{{\"magnet\":\"magnet:?xt=urn:btih:{hash}\"}}").as_bytes()),
        Ok(Source::Magnet(_))
    ));
    // A hash that happens to start with "d" is still a hash.
    assert!(matches!(
        source_of(b"d12fe1c06bba254a9dc9f519b335aa7c1367a88a"),
        Ok(Source::Magnet(_))
    ));
    let e = source_of(b"magnet:?xt=urn:btih:zz").err().expect("refused");
    assert_eq!(e.0, StatusCode::BAD_REQUEST);
    let e = source_of(b"d4:infod4:name1:xee").err().expect("refused");
    assert!(e.1.starts_with("not a usable .torrent"), "{}", e.1);
}

#[tokio::test]
async fn the_api_adds_shows_removes_and_answers_errors_in_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = gateway(dir.path(), 1).await;
    let app = app(&g);
    let hash = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
    let (status, body) = call(&app, "POST", "/api/torrents", hash).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = call(&app, "POST", "/api/torrents", &"ab".repeat(20)).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "the limit of 1: {body}"
    );
    let (status, body) = call(&app, "GET", &format!("/api/torrents/{hash}"), "").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["metadataReady"], false);
    // No peer anywhere: the wait ends in a 503 naming what was missing.
    let (status, body) = call(&app, "GET", &format!("/stream/{hash}/0"), "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("no peer to get the metadata from"), "{body}");
    let (status, body) = call(&app, "GET", &format!("/stream/{}/0", "ab".repeat(20)), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("unknown info hash"), "{body}");
    // The add-on's /stream/TYPE/ID.json is left alone.
    let (status, body) = call(&app, "GET", "/stream/movie/tt0032138.json", "").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "the add-on's route")
    );
    let folder = torrent_folder(dir.path(), hash).expect("the torrent's piece folder");
    let (status, _) = call(&app, "DELETE", &format!("/api/torrents/{hash}"), "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // The torrent's task deletes its folder once it has left the swarm.
    for _ in 0..100 {
        if !folder.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!folder.exists(), "the pieces are deleted");
    let (status, _) = call(&app, "GET", &format!("/api/torrents/{hash}"), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = call(&app, "GET", "/api/torrents/nothex", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

/// A torrent's metadata, as a .torrent body (one 40 KiB file of 16 KiB pieces nobody seeds).
fn lonely_torrent() -> Vec<u8> {
    let length = 40 * 1024;
    let pieces = vec![7u8; 20 * 3];
    let mut info = b"d6:lengthi".to_vec();
    info.extend_from_slice(
        format!("{length}e4:name8:film.mp412:piece lengthi16384e6:pieces60:").as_bytes(),
    );
    info.extend_from_slice(&pieces);
    info.push(b'e');
    let mut t = b"d4:info".to_vec();
    t.extend_from_slice(&info);
    t.push(b'e');
    t
}

// On tokio's paused clock (it jumps to the next timer whenever every task waits): the answer
// comes at the grace, where before the grace existed it was a 504 at the end of the wait.
#[tokio::test(start_paused = true)]
async fn without_peers_the_byte_routes_answer_503_with_retry_after_well_before_the_wait() {
    // Peers would get 10 minutes; a torrent nobody seeds gets the 300 ms grace.
    let start = tokio::time::Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let g = gateway_with(dir.path(), 4, Duration::from_secs(600)).await;
    let app = app(&g);
    let (status, body) = call(&app, "POST", "/api/torrents", &"cd".repeat(20)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let hash = "cd".repeat(20);
    for uri in [
        format!("/gateway/webseed/{hash}"),
        format!("/stream/{hash}/0"),
    ] {
        let (status, headers, body) = call_with_headers(&app, "GET", &uri, "").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{uri}: {body}");
        assert_eq!(
            headers.get(header::RETRY_AFTER).map(|v| v.as_bytes()),
            Some(&b"10"[..])
        );
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["retryAfter"], 10);
        let text = v["error"].as_str().expect("error text");
        assert!(text.contains("no peer to get the metadata from"), "{text}");
    }
    // With the metadata known (a .torrent) but no piece and no peer: the same for the bytes.
    let req = HttpRequest::builder()
        .method("POST")
        .uri("/api/torrents")
        .body(Body::from(lonely_torrent()))
        .expect("request");
    let res = app.clone().oneshot(req).await.expect("response");
    let body = to_bytes(res.into_body(), 1 << 20).await.expect("body");
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let hash = v["infoHash"].as_str().expect("info hash").to_owned();
    let (status, headers, body) = call_with_headers(
        &app,
        "GET",
        &format!("/gateway/webseed/{hash}/film.mp4"),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert!(
        body.contains("no peer to get the first bytes from"),
        "{body}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(600),
        "answered within the grace, not the wait (clock time: {:?})",
        start.elapsed()
    );
}

/// Remove and add the same torrent at once (`DELETE`, `POST`), as a client restarting a stream. The
/// removed torrent's task deletes its piece folder when it ends, after the new torrent has
/// made its own: the two must not be one folder. (They were: the new torrent's every piece
/// then failed to store, "No such file or directory", so it downloaded the first pieces over
/// and over and its stream answered 504 — the e2e gateway-readd test's third add.)
#[tokio::test]
async fn a_torrent_added_again_keeps_its_folder_when_the_removed_one_cleans_up() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = gateway(dir.path(), 1).await;
    let hash = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
    let source = || source_of(hash.as_bytes()).ok().expect("a hash");
    let (info_hash, new) = g.add(source()).expect("added");
    assert!(new);
    let first = g
        .tasks
        .lock()
        .expect("tasks")
        .pop()
        .expect("the first torrent's task");
    // Removed and added again with no await between, so the removed torrent's task cannot
    // end before the new torrent has made its folder (the order that lost the pieces).
    assert!(g.remove(&info_hash));
    let (_, new) = g.add(source()).expect("added again");
    assert!(new, "a new torrent");
    // The removed torrent's task ends (and cleans up) only now.
    first.await.expect("the first torrent's task ended");
    let folders: Vec<_> = std::fs::read_dir(dir.path())
        .expect("the gateway's folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(
        folders.len(),
        1,
        "the running torrent's folder: {folders:?}"
    );
    assert!(
        torrent_folder(dir.path(), hash).is_some_and(|f| f == folders[0]),
        "{folders:?}"
    );
}

/// The piece folder of a running torrent `hash` under the gateway's folder, if there is one.
fn torrent_folder(dir: &std::path::Path, hash: &str) -> Option<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(hash))
        })
}
