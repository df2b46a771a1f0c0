//! The channel routes as a router answers them, and the channels in the add-on.

use axum::{body::Body, http::Request};
use tower::ServiceExt;

use super::*;
use crate::channel::{addon::LiveAddon, registry::Channel};

const BASE: &str = "http://127.0.0.1:8080";

/// A channel "demo" with one published segment on disk, and a file beside it that is not.
fn fixture(dir: &std::path::Path) -> Arc<Channels> {
    std::fs::write(dir.join("seg-000007.ts"), (0..=255u8).collect::<Vec<_>>()).expect("write");
    std::fs::write(dir.join("seg-000007.ts.torrent"), b"d4:infode").expect("write");
    std::fs::write(dir.join("seg-000006.ts"), b"expired").expect("write");
    let demo = Channel::new("demo", "Demo".into(), dir.to_path_buf());
    demo.update(|v| {
        v.playlist = "#EXTM3U\n".into();
        v.files.insert("seg-000007.ts".into());
        v.files.insert("seg-000007.ts.torrent".into());
    });
    let gone = Channel::new("gone", "Gone".into(), dir.to_path_buf());
    gone.fail("ffmpeg was not found on PATH".into());
    Arc::new(Channels {
        list: vec![Arc::new(demo), Arc::new(gone)],
        figures: Default::default(),
    })
}

async fn ask(
    channels: &Arc<Channels>,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let app: Router = router(ChannelRoutes {
        channels: Arc::clone(channels),
        base_url: BASE.into(),
    });
    let response = app.oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.expect("body");
    (parts.status, parts.headers, body.to_vec())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .header(header::ORIGIN, "http://elsewhere.example")
        .body(Body::empty())
        .expect("request")
}

fn text(headers: &axum::http::HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn playlists_are_short_lived_segments_immutable_and_the_rest_404() {
    let dir = tempfile::tempdir().expect("tempdir");
    let channels = fixture(dir.path());

    let (status, headers, body) = ask(&channels, get("/channels/demo/index.m3u8")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&headers, header::CONTENT_TYPE),
        "application/vnd.apple.mpegurl"
    );
    assert_eq!(text(&headers, header::CACHE_CONTROL), "max-age=1");
    assert_eq!(text(&headers, header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    assert_eq!(body, b"#EXTM3U\n");

    let (status, headers, body) = ask(&channels, get("/channels/demo/seg-000007.ts")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&headers, header::CONTENT_TYPE), "video/mp2t");
    assert!(text(&headers, header::CACHE_CONTROL).contains("immutable"));
    assert_eq!(body.len(), 256);

    let ranged = Request::get("/channels/demo/seg-000007.ts")
        .header(header::RANGE, "bytes=10-19")
        .body(Body::empty())
        .expect("request");
    let (status, headers, body) = ask(&channels, ranged).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(text(&headers, header::CONTENT_RANGE), "bytes 10-19/256");
    assert_eq!(body, (10..20u8).collect::<Vec<_>>());

    let (status, headers, _) = ask(&channels, get("/channels/demo/seg-000007.ts.torrent")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&headers, header::CONTENT_TYPE),
        "application/x-bittorrent"
    );

    for path in [
        "/channels/demo/seg-000006.ts",
        "/channels/demo/seg-000008.ts",
        "/channels/demo/..%2Fseg-000007.ts",
        "/channels/nope/index.m3u8",
        "/channels/gone/index.m3u8",
    ] {
        let (status, _, _) = ask(&channels, get(path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    // Served bytes are counted (256 + 10 + the torrent's 9).
    assert_eq!(
        channels
            .figures
            .http_bytes
            .load(std::sync::atomic::Ordering::Relaxed),
        256 + 10 + 9
    );
}

#[tokio::test]
async fn api_channels_lists_state_and_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let channels = fixture(dir.path());
    let (status, headers, body) = ask(&channels, get("/api/channels")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&headers, header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    let list: Vec<ChannelEntry> = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].playlist, format!("{BASE}/channels/demo/index.m3u8"));
    assert_eq!(list[0].state, ChannelState::Live);
    assert_eq!(list[0].error, None);
    assert_eq!(list[1].state, ChannelState::Ended);
    assert_eq!(
        list[1].error.as_deref(),
        Some("ffmpeg was not found on PATH")
    );
}

#[tokio::test]
async fn the_addon_lists_channels_as_tv_with_the_p2p_stream_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let live = LiveAddon {
        channels: fixture(dir.path()),
        base_url: BASE.into(),
    };
    let metas = live.metas();
    assert_eq!(metas.len(), 2);
    assert_eq!(metas[0]["id"], "shoal-live:demo");
    assert_eq!(metas[0]["type"], "tv");
    assert!(metas[1]["description"]
        .as_str()
        .is_some_and(|d| d.starts_with("The broadcast ended")));
    let streams = live.streams("shoal-live:demo");
    assert_eq!(streams.len(), 2);
    assert_eq!(streams[0]["name"], "Shoal P2P");
    assert_eq!(streams[0]["behaviorHints"]["shoal"]["live"], "demo");
    assert_eq!(
        streams[0]["behaviorHints"]["shoal"]["page"],
        format!("{BASE}/live/demo")
    );
    assert_eq!(streams[1]["name"], "Shoal HTTP");
    let playlist = format!("{BASE}/channels/demo/index.m3u8");
    assert_eq!(streams[0]["url"], playlist.as_str());
    assert_eq!(streams[1]["url"], playlist.as_str());
    assert!(live.streams("shoal-live:nope").is_empty());
    assert!(live.meta("shoal:demo").is_none());
    assert!(live.meta("shoal-live:demo").is_some());
}
