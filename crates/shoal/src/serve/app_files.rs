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

/// `/embed.js`, the `<shoal-player>` script other sites load: any origin may fetch it (a
/// `type="module"` or `crossorigin` script tag needs CORS, and CORS also lets the host page see
/// its errors), and it is revalidated on every load so a new build reaches embedding sites.
pub(super) async fn embed_script(State(dist): State<PathBuf>) -> Response {
    match tokio::fs::read(dist.join("embed.js")).await {
        Ok(script) => Response::builder()
            .header(header::CONTENT_TYPE, "text/javascript; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-cache")
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .header("cross-origin-resource-policy", "cross-origin")
            .body(Body::from(script))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        Err(_) => (StatusCode::NOT_FOUND, "this build has no embed.js\n").into_response(),
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
}
