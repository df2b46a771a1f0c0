//! The add-on routes, asked the way a client asks them, and read back with the app's own
//! lenient parser (`shoal-addon`), so what the companion writes is what the app understands.

use std::sync::Arc;

use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
    Router,
};
use tower::ServiceExt;

use super::*;

const BASE: &str = "http://127.0.0.1:8080";
const TRACKER: &str = "ws://127.0.0.1:8080/announce";

fn item(n: usize, title: &str) -> LibraryItem {
    let info_hash = format!("{n:040x}");
    LibraryItem {
        entry: companion_api::LibraryItem {
            title: title.to_owned(),
            path: format!("films/{title}.mp4"),
            size: 1_696_732 + n as u64,
            duration: None,
            magnet: format!("magnet:?xt=urn:btih:{info_hash}"),
            info_hash: info_hash.clone(),
            file_index: 0,
            url: format!("{BASE}/files/films/{title}.mp4"),
            torrent_url: format!("{BASE}/torrents/{info_hash}.torrent"),
            mime: "video/mp4".to_owned(),
        },
        torrent: Vec::new(),
    }
}

fn app(items: Vec<LibraryItem>) -> Router {
    let live = LiveAddon {
        channels: Arc::default(),
        base_url: BASE.into(),
    };
    router(Arc::new(items), &format!("{BASE}/"), TRACKER, live)
}

fn library() -> Vec<LibraryItem> {
    let mut items = vec![item(1, "Big Clock"), item(2, "small clock & bells")];
    let mut mkv = item(3, "Sea");
    mkv.mime = "video/x-matroska".to_owned();
    items.push(mkv);
    items
}

struct Answer {
    status: StatusCode,
    cors: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

async fn ask(router: Router, method: Method, path: &str) -> Answer {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::ORIGIN, "http://elsewhere.example")
        .body(Body::empty())
        .expect("request");
    let response = router.oneshot(request).await.expect("infallible");
    let status = response.status();
    let cors = response
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body")
        .to_vec();
    Answer { status, cors, body }
}

async fn get(path: &str) -> Answer {
    ask(app(library()), Method::GET, path).await
}

#[tokio::test]
async fn manifest_is_what_the_app_can_install() {
    let answer = get("/manifest.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.cors.as_deref(), Some("*"));
    let json = answer.json();
    assert_eq!(json["id"], "org.shoal.companion");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["name"], "Shoal library (127.0.0.1:8080)");
    assert_eq!(json["logo"], "http://127.0.0.1:8080/favicon.svg");
    assert_eq!(json["catalogs"][0]["extra"][0]["name"], "search");

    let manifest = addon::Manifest::from_json(&answer.body).expect("the app accepts it");
    assert!(manifest.serves("meta", "movie", "shoal:0123"));
    assert!(manifest.serves("stream", "movie", "shoal:0123"));
    assert!(!manifest.serves("stream", "movie", "tt0111161"));
    assert!(!manifest.serves("stream", "series", "shoal:0123"));
    assert_eq!(manifest.browsable_catalogs().count(), 1);
    assert_eq!(manifest.search_catalogs().count(), 1);
}

#[tokio::test]
async fn companion_answer_names_the_manifest() {
    let answer = get("/api/companion").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json()["addon"],
        "http://127.0.0.1:8080/manifest.json"
    );
    let empty = ask(app(Vec::new()), Method::GET, "/api/companion").await;
    assert_eq!(empty.json()["addon"], serde_json::Value::Null);
}

#[tokio::test]
async fn catalog_lists_the_library_and_the_app_parses_it() {
    let answer = get("/catalog/movie/shoal-library.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.cors.as_deref(), Some("*"));
    let metas = addon::parse_catalog(&answer.body).expect("parses");
    let names: Vec<_> = metas.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Big Clock", "small clock & bells", "Sea"]);
    assert_eq!(metas[0].id, format!("shoal:{:040x}", 1));
    assert_eq!(metas[0].kind, "movie");
    assert_eq!(
        answer.json()["metas"][0]["description"],
        "films/Big Clock.mp4 · 1.6 MiB"
    );
}

#[tokio::test]
async fn catalog_search_is_case_insensitive_and_decoded() {
    let names = |answer: Answer| -> Vec<String> {
        assert_eq!(answer.status, StatusCode::OK);
        addon::parse_catalog(&answer.body)
            .expect("parses")
            .into_iter()
            .map(|m| m.name)
            .collect()
    };
    assert_eq!(
        names(get("/catalog/movie/shoal-library/search=CLOCK.json").await),
        ["Big Clock", "small clock & bells"]
    );
    // `%26` is a literal `&` inside the value, not a new extra.
    assert_eq!(
        names(get("/catalog/movie/shoal-library/search=clock%20%26%20bells.json").await),
        ["small clock & bells"]
    );
    assert_eq!(
        names(get("/catalog/movie/shoal-library/search=clock+%26+bells.json").await),
        ["small clock & bells"]
    );
    assert!(names(get("/catalog/movie/shoal-library/search=nothing.json").await).is_empty());
    // The request the app itself writes.
    let manifest = addon::Manifest::from_json(&get("/manifest.json").await.body).expect("ok");
    let request = addon::ResourceRequest::catalog(&manifest.catalogs[0], &[("search", "sea")])
        .expect("accepted");
    let url = addon::TransportUrl::parse("http://127.0.0.1:8080/manifest.json")
        .expect("url")
        .resource_url(&request);
    let path = url.trim_start_matches("http://127.0.0.1:8080");
    assert_eq!(names(get(path).await), ["Sea"]);
}

#[tokio::test]
async fn catalog_pages_by_hundred() {
    let items: Vec<_> = (0..250).map(|n| item(n, &format!("clip {n:03}"))).collect();
    let page = |path: &'static str| {
        let items = items.clone();
        async move {
            let answer = ask(app(items), Method::GET, path).await;
            addon::parse_catalog(&answer.body).expect("parses")
        }
    };
    let first = page("/catalog/movie/shoal-library.json").await;
    assert_eq!(first.len(), 100);
    assert_eq!(first[0].name, "clip 000");
    let second = page("/catalog/movie/shoal-library/skip=100.json").await;
    assert_eq!(second.len(), 100);
    assert_eq!(second[0].name, "clip 100");
    let last = page("/catalog/movie/shoal-library/search=clip&skip=200.json").await;
    assert_eq!(last.len(), 50);
    assert_eq!(last[49].name, "clip 249");
    assert!(
        page("/catalog/movie/shoal-library/skip=18446744073709551615.json")
            .await
            .is_empty()
    );
    // Not a number: the first page.
    assert_eq!(
        page("/catalog/movie/shoal-library/skip=lots.json")
            .await
            .len(),
        100
    );
}

#[tokio::test]
async fn meta_describes_one_file() {
    let id = format!("shoal%3A{:040x}", 2);
    let answer = get(&format!("/meta/movie/{id}.json")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.cors.as_deref(), Some("*"));
    let meta = addon::parse_meta(&answer.body).expect("parses");
    assert_eq!(meta.preview.name, "small clock & bells");
    assert_eq!(
        meta.single_video_id(),
        Some(format!("shoal:{:040x}", 2).as_str())
    );
    // Unescaped colons and upper-case hex name the same item.
    let answer = get(&format!("/meta/movie/shoal:{:040X}.json", 2)).await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn streams_are_the_torrent_then_the_http_file() {
    let answer = get(&format!("/stream/movie/shoal%3A{:040x}.json", 1)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.cors.as_deref(), Some("*"));
    let json = answer.json();
    let torrent = &json["streams"][0];
    assert_eq!(torrent["infoHash"], format!("{:040x}", 1));
    assert_eq!(torrent["fileIdx"], 0);
    assert_eq!(torrent["sources"][0], format!("tracker:{TRACKER}"));
    assert_eq!(torrent["behaviorHints"]["filename"], "Big Clock.mp4");
    assert_eq!(torrent["behaviorHints"]["videoSize"], 1_696_733);
    assert_eq!(torrent["behaviorHints"]["notWebReady"], false);
    assert_eq!(
        json["streams"][1]["url"],
        "http://127.0.0.1:8080/files/films/Big Clock.mp4"
    );

    let streams = addon::parse_streams(&answer.body).expect("parses");
    assert_eq!(streams.len(), 2);
    assert_eq!(streams[0].kind(), addon::StreamKind::Torrent);
    let magnet = streams[0].magnet().expect("a magnet").to_uri();
    assert!(magnet.contains(&format!("{:040x}", 1)), "{magnet}");
    assert!(magnet.contains("announce"), "{magnet}");
    assert_eq!(streams[0].quality().size_bytes, Some(1_696_733));
    assert_eq!(streams[1].kind(), addon::StreamKind::Http);
    assert!(streams[1].web_ready());

    let mkv = get(&format!("/stream/movie/shoal%3A{:040x}.json", 3)).await;
    assert_eq!(
        mkv.json()["streams"][1]["behaviorHints"]["notWebReady"],
        true
    );
}

#[tokio::test]
async fn unknown_things_are_404_json_or_no_streams() {
    for path in [
        "/catalog/movie/other.json",
        "/catalog/series/shoal-library.json",
        "/catalog/movie/shoal-library",
        "/meta/movie/shoal%3Anope.json",
        "/meta/movie/tt0111161.json",
        "/meta/series/shoal%3A0000000000000000000000000000000000000001.json",
    ] {
        let answer = get(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.cors.as_deref(), Some("*"), "{path}");
        assert!(answer.json()["err"].is_string(), "{path}");
    }
    for path in [
        "/stream/movie/shoal%3Anope.json",
        "/stream/movie/tt0111161.json",
        "/stream/series/tt0898266%3A9%3A17.json",
        "/stream/movie/%FF%FE.json",
    ] {
        let answer = get(path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert_eq!(answer.json()["streams"], serde_json::json!([]), "{path}");
    }
    // What the app's Service Worker answers in a playing page, when no worker is there.
    let answer = get(&format!("/stream/{:040x}/0", 1)).await;
    assert_eq!(answer.json()["streams"], serde_json::json!([]));
}

#[tokio::test]
async fn preflight_is_answered() {
    let request = Request::builder()
        .method(Method::OPTIONS)
        .uri("/catalog/movie/shoal-library.json")
        .header(header::ORIGIN, "http://elsewhere.example")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
        .body(Body::empty())
        .expect("request");
    let response = app(library()).oneshot(request).await.expect("infallible");
    assert!(response.status().is_success(), "{}", response.status());
    let allowed = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(
        allowed(header::ACCESS_CONTROL_ALLOW_ORIGIN).as_deref(),
        Some("*")
    );
    let methods = allowed(header::ACCESS_CONTROL_ALLOW_METHODS).unwrap_or_default();
    assert!(methods.contains("GET"), "{methods}");
}

#[test]
fn sizes_are_in_the_units_the_app_shows() {
    assert_eq!(human_size(999), "999 B");
    assert_eq!(human_size(1_696_732), "1.6 MiB");
    assert_eq!(human_size(3_556_630_000), "3.3 GiB");
    assert_eq!(human_size(u64::MAX), "16777216.0 TiB");
}

#[test]
fn extras_decode_names_and_values() {
    assert_eq!(
        parse_extras("search=a%20b&skip=100&junk&genre=Sci%2DFi"),
        [
            ("search".to_owned(), "a b".to_owned()),
            ("skip".to_owned(), "100".to_owned()),
            ("genre".to_owned(), "Sci-Fi".to_owned()),
        ]
    );
}

#[tokio::test]
async fn twins_are_named_by_file_and_posters_are_served() {
    let mut webm = item(9, "Sea");
    webm.path = "films/Sea.webm".into();
    let mut items = library();
    items.push(webm);
    let answer = ask(
        app(items.clone()),
        Method::GET,
        "/catalog/movie/shoal-library.json",
    )
    .await;
    let metas = addon::parse_catalog(&answer.body).expect("parses");
    let names: Vec<_> = metas.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["Big Clock", "small clock & bells", "Sea.mp4", "Sea.webm"]
    );
    assert_eq!(
        metas[3].poster.as_deref(),
        Some(format!("http://127.0.0.1:8080/posters/{:040x}.svg", 9).as_str())
    );

    let request = Request::get(format!("/posters/{:040x}.svg", 9))
        .body(Body::empty())
        .expect("request");
    let response = app(items.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("image/svg+xml")
    );
    let svg = ask(
        app(items.clone()),
        Method::GET,
        &format!("/posters/{:040x}.svg", 9),
    )
    .await;
    assert!(String::from_utf8_lossy(&svg.body).contains("WEBM"));
    let missing = ask(app(items), Method::GET, "/posters/nope.svg").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[test]
fn running_times_read_like_stremio_add_ons_write_them() {
    assert_eq!(runtime_text(20.008).as_deref(), Some("20 s"));
    assert_eq!(runtime_text(0.2).as_deref(), Some("1 s"));
    assert_eq!(runtime_text(60.0).as_deref(), Some("1 min"));
    assert_eq!(runtime_text(5_430.0).as_deref(), Some("91 min"));
    assert_eq!(runtime_text(0.0), None);
    assert_eq!(runtime_text(f64::NAN), None);
}

#[tokio::test]
async fn channels_add_a_tv_catalog_to_the_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let channel = crate::channel::testing_channel("demo", dir.path());
    let live = LiveAddon {
        channels: Arc::new(crate::channel::Channels {
            list: vec![channel],
            figures: Default::default(),
        }),
        base_url: BASE.into(),
    };
    let app = router::<()>(Arc::new(Vec::new()), &format!("{BASE}/"), TRACKER, live);
    let get = |path: &str| {
        let app = app.clone();
        let request = Request::get(path).body(Body::empty()).expect("request");
        async move {
            let response = app.oneshot(request).await.expect("infallible");
            let body = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .expect("body");
            serde_json::from_slice::<serde_json::Value>(&body).expect("JSON")
        }
    };
    let manifest = get("/manifest.json").await;
    assert_eq!(manifest["types"], serde_json::json!(["movie", "tv"]));
    assert_eq!(
        manifest["idPrefixes"],
        serde_json::json!(["shoal:", "shoal-live:"])
    );
    assert_eq!(manifest["catalogs"][1]["type"], "tv");
    assert_eq!(manifest["catalogs"][1]["id"], "live");
    let catalog = get("/catalog/tv/live.json").await;
    assert_eq!(catalog["metas"][0]["id"], "shoal-live:demo");
    let streams = get("/stream/tv/shoal-live%3Ademo.json").await;
    assert_eq!(streams["streams"][0]["name"], "Shoal P2P");
    assert_eq!(streams["streams"][1]["name"], "Shoal HTTP");
    let meta = get("/meta/tv/shoal-live:demo.json").await;
    assert_eq!(meta["meta"]["name"], "demo");
    // With channels and no library, the companion still offers its add-on.
    let companion = get("/api/companion").await;
    assert_eq!(companion["addon"], format!("{BASE}/manifest.json"));
}
