//! The built app's static files, from the Trunk output folder, with their proper MIME types
//! (`.wasm` as `application/wasm`, which streaming compilation requires). Paths without a file
//! extension are app routes and get `index.html` (a single-page app); a missing file with an
//! extension is a plain 404, so a broken asset link is visible as one.

use std::path::{Path, PathBuf};

use axum::{
    body::Body,
    extract::State,
    http::{header, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, MethodRouter},
};
use tower_http::services::ServeDir;

/// The service for every path no other route takes.
pub(super) fn service(dist: PathBuf) -> ServeDir<MethodRouter> {
    ServeDir::new(&dist)
        .append_index_html_on_directories(true)
        .fallback(get(spa_index).with_state(dist))
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
}
