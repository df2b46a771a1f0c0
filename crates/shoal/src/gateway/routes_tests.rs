use std::time::Duration;

use axum::{body::to_bytes, http::Request as HttpRequest};
use tower::ServiceExt;

use super::*;
use crate::gateway::GatewayConfig;

async fn gateway(dir: &std::path::Path, max_torrents: usize) -> Arc<Gateway> {
    let cfg = GatewayConfig {
        peer_listen: "127.0.0.1:0".parse().expect("addr"),
        dir: dir.to_path_buf(),
        max_torrents,
        max_peers_per_torrent: 5,
        per_ip_streams: 2,
        wait_for_peers: Duration::from_millis(300),
        extra_trackers: Vec::new(),
        dht: None,
        peer_id: *b"-SH0001-testtesttest",
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
    let req = HttpRequest::builder()
        .method(method)
        .uri(uri)
        .body(Body::from(body.to_owned()))
        .expect("request");
    let res = app.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let bytes = to_bytes(res.into_body(), 1 << 20).await.expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
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
    // No peer anywhere: the wait ends in a 504 naming what was missing.
    let (status, body) = call(&app, "GET", &format!("/stream/{hash}/0"), "").await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert!(body.contains("no peer sent the metadata"), "{body}");
    let (status, body) = call(&app, "GET", &format!("/stream/{}/0", "ab".repeat(20)), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("unknown info hash"), "{body}");
    // The add-on's /stream/TYPE/ID.json is left alone.
    let (status, body) = call(&app, "GET", "/stream/movie/tt0032138.json", "").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "the add-on's route")
    );
    let folder = dir.path().join(hash);
    assert!(folder.is_dir(), "the torrent's piece folder");
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
