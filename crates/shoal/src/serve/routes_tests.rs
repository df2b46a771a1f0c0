//! The whole router of `shoal serve`, as the server mounts it, without a socket.

use axum::{
    body::Body,
    http::{HeaderMap, Method, Request},
};
use tower::ServiceExt;

use super::*;

/// A built app and a library folder, on disk for the test's lifetime.
struct Fixture {
    dist: tempfile::TempDir,
    library: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dist = tempfile::tempdir().expect("tempdir");
        std::fs::write(dist.path().join("index.html"), "<p>app</p>").expect("write");
        std::fs::write(dist.path().join("app_bg.wasm"), b"\0asm").expect("write");
        std::fs::write(dist.path().join("embed.js"), "customElements").expect("write");
        let library = tempfile::tempdir().expect("tempdir");
        std::fs::write(library.path().join("clip.mp4"), b"0123456789").expect("write");
        Self { dist, library }
    }

    fn router(&self) -> Router {
        let companion = Companion {
            items: Arc::new(Vec::new()),
            tracker: Arc::new(tracker::Embedded::new(tracker::Config::default()).expect("tracker")),
            figures: Arc::default(),
            channels: Arc::default(),
            gateway: None,
        };
        router(
            companion,
            Places {
                library: self.library.path().to_path_buf(),
                dist: self.dist.path().to_path_buf(),
                base_url: "http://127.0.0.1:8080".into(),
                tracker_url: "ws://127.0.0.1:8080/announce".into(),
            },
        )
    }

    async fn ask(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let response = self.router().oneshot(request).await.expect("infallible");
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.expect("body");
        (parts.status, parts.headers, body.to_vec())
    }

    /// A `GET` as a page of another site sends it.
    async fn get(&self, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
        let request = Request::get(path)
            .header(header::ORIGIN, "http://elsewhere.example")
            .body(Body::empty())
            .expect("request");
        self.ask(request).await
    }
}

fn text<'a>(headers: &'a HeaderMap, name: &header::HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn serves_app_files_routes_and_404s() {
    let fx = Fixture::new();

    let (status, headers, body) = fx.get("/app_bg.wasm").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&headers, &header::CONTENT_TYPE),
        Some("application/wasm")
    );
    assert_eq!(body, b"\0asm");

    let (status, headers, body) = fx.get("/play").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&headers, &header::CONTENT_TYPE),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(body, b"<p>app</p>");

    let (status, _, _) = fx.get("/missing.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _, _) = fx.get("/../Cargo.toml").await;
    assert_ne!(status, StatusCode::OK);

    let (status, _, body) = fx.get("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"ok\n");
    // Asked for JSON: the figures an app weighs to pick a streaming server.
    let request = Request::get("/health")
        .header(header::ACCEPT, "application/json")
        .body(Body::empty())
        .expect("request");
    let (status, headers, body) = fx.ask(request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&headers, &header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some("*")
    );
    let health: companion_api::Health = serde_json::from_slice(&body).expect("health JSON");
    assert!(health.ok);
    assert_eq!((health.gateway, health.active_streams), (false, 0));
    assert!(
        health.load_per_core.is_some_and(|l| l >= 0.0),
        "Linux has a load average"
    );
    assert!(health.free_memory_bytes.is_some_and(|m| m > 0));

    let (status, _, _) = fx.get("/torrents/0000.torrent").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn shared_answers_allow_any_origin_and_the_app_does_not() {
    let fx = Fixture::new();
    let cors = |headers: &HeaderMap| {
        text(headers, &header::ACCESS_CONTROL_ALLOW_ORIGIN).map(str::to_owned)
    };

    let (status, headers, body) = fx.get("/api/library").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cors(&headers).as_deref(), Some("*"));
    let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(json, serde_json::json!({ "items": [] }));

    let (status, headers, _) = fx.get("/manifest.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cors(&headers).as_deref(), Some("*"));

    // A ranged read of a web seed from another origin: the player must see the range headers.
    let request = Request::get("/files/clip.mp4")
        .header(header::ORIGIN, "http://elsewhere.example")
        .header(header::RANGE, "bytes=2-5")
        .body(Body::empty())
        .expect("request");
    let (status, headers, body) = fx.ask(request).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, b"2345");
    assert_eq!(cors(&headers).as_deref(), Some("*"));
    assert_eq!(text(&headers, &header::CONTENT_TYPE), Some("video/mp4"));
    let exposed = text(&headers, &header::ACCESS_CONTROL_EXPOSE_HEADERS)
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(exposed.contains("content-range"), "{exposed}");

    // Only the app's own origin reads these.
    for path in ["/metrics", "/play", "/health"] {
        let (status, headers, _) = fx.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(cors(&headers), None, "{path}");
    }
}

#[tokio::test]
async fn preflights_are_answered_where_cors_is_open() {
    let fx = Fixture::new();
    let preflight = |path: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri(path)
            .header(header::ORIGIN, "http://elsewhere.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "range")
            .body(Body::empty())
            .expect("request")
    };
    for path in ["/files/clip.mp4", "/api/library", "/stream/movie/x.json"] {
        let (status, headers, _) = fx.ask(preflight(path)).await;
        assert!(status.is_success(), "{path}: {status}");
        assert_eq!(
            text(&headers, &header::ACCESS_CONTROL_ALLOW_ORIGIN),
            Some("*"),
            "{path}"
        );
        let methods = text(&headers, &header::ACCESS_CONTROL_ALLOW_METHODS).unwrap_or_default();
        assert!(methods.contains("GET"), "{path}: {methods}");
        assert!(
            headers.contains_key(header::ACCESS_CONTROL_ALLOW_HEADERS),
            "{path}"
        );
    }
    // No CORS on /metrics: a preflight there gets no permission.
    let (_, headers, _) = fx.ask(preflight("/metrics")).await;
    assert_eq!(text(&headers, &header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
}

#[tokio::test]
async fn embed_script_is_open_to_every_site_and_revalidated() {
    let fx = Fixture::new();
    let (status, headers, body) = fx.get("/embed.js").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&headers, &header::CONTENT_TYPE),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        text(&headers, &header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some("*")
    );
    assert_eq!(text(&headers, &header::CACHE_CONTROL), Some("no-cache"));
    assert_eq!(body, b"customElements");
    std::fs::remove_file(fx.dist.path().join("embed.js")).expect("remove");
    let (status, _, _) = fx.get("/embed.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
