//! `shoal serve`: hosts the built browser app on one port.
//!
//! Static files come from the Trunk output folder with their proper MIME types (`.wasm` as
//! `application/wasm`, which streaming compilation requires) and gzip/brotli compression.
//! Paths without a file extension are app routes and get `index.html` (a single-page app); a
//! missing file with an extension is a plain 404, so a broken asset link is visible as one.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
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

use crate::BadInput;

pub(crate) fn run(listen: SocketAddr, dist: PathBuf) -> anyhow::Result<()> {
    init_logging();
    if !dist.join("index.html").is_file() {
        return Err(BadInput(format!(
            "no built app in {}: build it with `trunk build --release` (scripts/run.sh does it for you)",
            dist.display()
        ))
        .into());
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(serve(listen, dist))
}

pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

/// Builds the router for a dist folder; split from [`serve`] so tests can drive it directly.
pub(crate) fn router(dist: PathBuf) -> Router {
    let files = ServeDir::new(&dist)
        .append_index_html_on_directories(true)
        .fallback(get(spa_index).with_state(dist.clone()));
    Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .fallback_service(files)
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

async fn serve(listen: SocketAddr, dist: PathBuf) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let bound = listener.local_addr().context("reading the bound address")?;
    tracing::info!("Shoal is serving {} at http://{bound}/", dist.display());
    println!("Shoal is running: open http://{bound}/ (Ctrl-C stops it)");
    axum::serve(listener, router(dist))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    tracing::info!("stopped");
    Ok(())
}

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
