//! `shoal serve`: hosts the built browser app on one port.
//!
//! Static files come from the Trunk output folder with their proper MIME types (`.wasm` as
//! `application/wasm`, which streaming compilation requires) and gzip/brotli compression.
//! Paths without a file extension are app routes and get `index.html` (a single-page app); a
//! missing file with an extension is a plain 404, so a broken asset link is visible as one.

use std::{
    future::IntoFuture,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::Context;
use axum::{
    body::Body,
    extract::State,
    http::{header, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use tower_http::{compression::CompressionLayer, services::ServeDir, trace::TraceLayer};

use rtc::{HostConfig, Str0mHost};

use crate::{
    library::LibraryItem,
    seeder::{self, SeederConfig, SeederFigures},
    BadInput,
};

/// `shoal serve` options.
#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (app, tracker at /announce, library at /files, /api, /metrics).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// The built app (the output of `trunk build`).
    #[arg(long, default_value = "dist", env = "SHOAL_DIST")]
    pub(crate) dist: PathBuf,
    /// Folder of media files to seed (default: the built-in demo in .demo, made by
    /// scripts/make-demo.sh, when it exists).
    #[arg(long, env = "SHOAL_LIBRARY")]
    pub(crate) library: Option<PathBuf>,
    /// Do not list /files/... as a web seed in the torrents and magnets.
    #[arg(long)]
    pub(crate) no_webseed: bool,
    /// Do not seed over WebRTC (the library is still served over HTTP and as a web seed).
    #[arg(long)]
    pub(crate) no_webrtc: bool,
    /// UDP address browsers connect to over WebRTC (a concrete IP: it is sent to them).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub(crate) webrtc_listen: SocketAddr,
    /// Most WebRTC peers at once, over all torrents.
    #[arg(long, default_value_t = 200)]
    pub(crate) max_peers: usize,
    /// Most WebRTC peers per torrent.
    #[arg(long, default_value_t = 30)]
    pub(crate) max_peers_per_torrent: usize,
    /// Public base URL of this server, used in web seed URLs (default http://LISTEN).
    #[arg(long)]
    pub(crate) public_url: Option<String>,
    /// Where made torrents are cached (keyed by path, size and modification time).
    #[arg(long, env = "SHOAL_CACHE")]
    pub(crate) cache_dir: Option<PathBuf>,
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging();
    if !args.dist.join("index.html").is_file() {
        return Err(BadInput(format!(
            "no built app in {}: build it with `trunk build --release` (scripts/run.sh does it for you)",
            args.dist.display()
        ))
        .into());
    }
    let library = match &args.library {
        Some(dir) if !dir.is_dir() => {
            return Err(BadInput(format!("--library {}: not a folder", dir.display())).into())
        }
        Some(dir) => Some(dir.clone()),
        None => Some(PathBuf::from(".demo")).filter(|d| d.is_dir()),
    };
    if library.is_none() {
        tracing::warn!(
            "no --library and no .demo folder (scripts/make-demo.sh makes it): seeding nothing"
        );
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(serve(args, library))
}

pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// The app-only router (what [`serve`] mounts as its fallback), for the tests.
#[cfg(test)]
pub(crate) fn router(dist: PathBuf) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .fallback_service(app_files(dist))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

fn app_files(dist: PathBuf) -> ServeDir<axum::routing::MethodRouter> {
    ServeDir::new(&dist)
        .append_index_html_on_directories(true)
        .fallback(get(spa_index).with_state(dist))
}

async fn serve(args: ServeArgs, library: Option<PathBuf>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    let shutdown =
        crate::tracker_cmd::early_shutdown_signal().context("installing signal handlers")?;
    let base_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{bound}"))
        .trim_end_matches('/')
        .to_owned();
    let tracker_url = format!("{}/announce", base_url.replacen("http", "ws", 1));
    let tracker = Arc::new(
        tracker::Embedded::new(tracker::Config::default()).context("starting the tracker")?,
    );
    let peer_id = crate::seed_cmd::new_peer_id();
    let cache_dir = args
        .cache_dir
        .clone()
        .or_else(crate::seed_cmd::default_cache_dir);
    let (seedables, items) = match &library {
        Some(dir) => {
            let (dir, base, tr, ws) = (
                dir.clone(),
                base_url.clone(),
                tracker_url.clone(),
                !args.no_webseed,
            );
            tokio::task::spawn_blocking(move || {
                crate::library::load(&dir, &base, &tr, ws, cache_dir, peer_id)
            })
            .await
            .context("hashing the library")?
            .context("reading the library")?
        }
        None => (Vec::new(), Vec::new()),
    };
    tracing::info!(files = items.len(), "library ready");
    let figures = Arc::new(SeederFigures::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let seeder = if args.no_webrtc || seedables.is_empty() {
        None
    } else {
        let host = Str0mHost::bind(
            args.webrtc_listen,
            HostConfig::default().with_max_connections(args.max_peers),
        )
        .await
        .map_err(|e| BadInput(format!("--webrtc-listen {}: {e}", args.webrtc_listen)))?;
        tracing::info!(udp = %host.local_addr(), "WebRTC peer ready");
        let cfg = SeederConfig {
            tracker_url: tracker_url.clone(),
            peer_id,
            max_peers_per_torrent: args.max_peers_per_torrent,
        };
        let mut stop = stop_rx.clone();
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        Some(tokio::spawn(seeder::run(
            cfg,
            host,
            seedables,
            Arc::clone(&figures),
            stopped,
        )))
    };
    let state = Companion {
        items: Arc::new(items),
        tracker: Arc::clone(&tracker),
        figures,
    };
    let app = Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route("/api/library", get(api_library))
        .route("/torrents/{file}", get(torrent_file))
        .merge(crate::addon_routes::router(
            Arc::clone(&state.items),
            &base_url,
            &tracker_url,
        ))
        .with_state(state)
        .route(
            "/files/{*path}",
            get(crate::files::serve_file)
                .with_state(crate::files::FilesRoot(library.clone().unwrap_or_default())),
        )
        .fallback_service(app_files(args.dist.clone()))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http());

    tracing::info!(
        "Shoal is serving {} at http://{bound}/ (tracker {tracker_url})",
        args.dist.display()
    );
    println!("Shoal is running: open http://{bound}/ (Ctrl-C stops it)");
    let http = crate::one_port::split(listener, Arc::clone(&tracker), stop_rx.clone());
    let mut stop_http = stop_rx;
    let server = tokio::spawn(
        axum::serve(http, app)
            .with_graceful_shutdown(async move {
                let _ = stop_http.wait_for(|s| *s).await;
            })
            .into_future(),
    );
    shutdown.await;
    tracing::info!("stopping");
    let _ = stop_tx.send(true);
    tracker.shutdown();
    if let Some(seeder) = seeder {
        // The seeder announces `stopped` to our own tracker: give it a moment.
        let _ = tokio::time::timeout(Duration::from_secs(3), seeder).await;
    }
    match tokio::time::timeout(Duration::from_secs(5), server).await {
        Ok(Ok(result)) => result.context("serving HTTP")?,
        Ok(Err(error)) => tracing::error!(%error, "the HTTP server failed"),
        Err(_) => tracing::warn!("some HTTP connections did not finish in 5 s"),
    }
    tracing::info!("stopped");
    Ok(())
}

#[derive(Clone)]
struct Companion {
    items: Arc<Vec<LibraryItem>>,
    tracker: Arc<tracker::Embedded>,
    figures: Arc<SeederFigures>,
}

async fn api_library(State(c): State<Companion>) -> Response {
    let body = companion_api::Library {
        items: c.items.iter().map(|i| i.entry.clone()).collect(),
    };
    (
        [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        axum::Json(body),
    )
        .into_response()
}

/// `/torrents/HASH.torrent`: a library torrent's file (what a client needs when it has only a
/// web seed to download from: magnets get their metadata from peers).
async fn torrent_file(
    State(c): State<Companion>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    let hash = file.strip_suffix(".torrent").unwrap_or_default();
    match c.items.iter().find(|i| i.info_hash == hash) {
        Some(item) => (
            [
                (header::CONTENT_TYPE, "application/x-bittorrent"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            ],
            item.torrent.clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

async fn metrics(State(c): State<Companion>) -> Response {
    use std::sync::atomic::Ordering::Relaxed;
    let mut text = String::new();
    let f = &c.figures;
    text.push_str("# HELP shoal_peers Open WebRTC peer connections of the seeder.\n");
    text.push_str("# TYPE shoal_peers gauge\n");
    text.push_str(&format!("shoal_peers {}\n", f.peers.load(Relaxed)));
    text.push_str("# HELP shoal_uploaded_bytes_total Piece bytes sent to peers, by transport.\n");
    text.push_str("# TYPE shoal_uploaded_bytes_total counter\n");
    text.push_str(&format!(
        "shoal_uploaded_bytes_total{{transport=\"webrtc\"}} {}\n",
        f.uploaded_webrtc.load(Relaxed)
    ));
    text.push_str(&format!(
        "shoal_uploaded_bytes_total{{transport=\"http\"}} {}\n",
        crate::files::HTTP_BYTES.load(Relaxed)
    ));
    text.push_str("# HELP shoal_offers_refused_total WebRTC offers refused at a peer cap.\n");
    text.push_str("# TYPE shoal_offers_refused_total counter\n");
    text.push_str(&format!(
        "shoal_offers_refused_total {}\n",
        f.offers_refused.load(Relaxed)
    ));
    text.push_str("# HELP shoal_library_files Files in the library.\n");
    text.push_str("# TYPE shoal_library_files gauge\n");
    text.push_str(&format!("shoal_library_files {}\n", c.items.len()));
    // The embedded tracker's own figures, with its metric names.
    text.push_str(&c.tracker.snapshot().to_prometheus());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

#[cfg(not(unix))]
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// App routes (no file extension) get the app's `index.html`; anything else is a 404.
async fn spa_index(State(dist): State<PathBuf>, uri: Uri) -> Response {
    if has_extension(uri.path()) {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    match tokio::fs::read(dist.join("index.html")).await {
        Ok(html) => Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            // The page names hashed asset files: it must be revalidated to pick up a new build.
            .header(header::CACHE_CONTROL, "no-cache")
            .body(Body::from(html))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        Err(error) => {
            tracing::error!(%error, "index.html went missing");
            (StatusCode::SERVICE_UNAVAILABLE, "the app is not built\n").into_response()
        }
    }
}

fn has_extension(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    Path::new(last).extension().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_extensionless_paths_are_app_routes() {
        assert!(!has_extension("/"));
        assert!(!has_extension("/play"));
        assert!(!has_extension("/addons/"));
        assert!(has_extension("/missing.js"));
        assert!(has_extension("/a/b/shoal-app_bg.wasm"));
    }

    async fn get_path(dist: &Path, path: &str) -> (StatusCode, Option<String>, Vec<u8>) {
        use tower::ServiceExt;
        let request = axum::http::Request::get(path)
            .body(Body::empty())
            .expect("request");
        let response = router(dist.to_path_buf())
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        (status, content_type, body.to_vec())
    }

    #[tokio::test]
    async fn serves_files_routes_and_404s() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("index.html"), "<p>app</p>").expect("write");
        std::fs::write(dir.path().join("app_bg.wasm"), b"\0asm").expect("write");

        let (status, kind, body) = get_path(dir.path(), "/app_bg.wasm").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(kind.as_deref(), Some("application/wasm"));
        assert_eq!(body, b"\0asm");

        let (status, kind, body) = get_path(dir.path(), "/play").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(kind.as_deref(), Some("text/html; charset=utf-8"));
        assert_eq!(body, b"<p>app</p>");

        let (status, _, _) = get_path(dir.path(), "/missing.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (status, _, _) = get_path(dir.path(), "/../Cargo.toml").await;
        assert_ne!(status, StatusCode::OK);

        let (status, _, body) = get_path(dir.path(), "/health").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b"ok\n");
    }
}
