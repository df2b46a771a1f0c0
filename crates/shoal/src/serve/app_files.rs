//! The built app's static files, from the Trunk output folder, with their proper MIME types
//! (`.wasm` as `application/wasm`, which streaming compilation requires). Paths without a file
//! extension are app routes and get the app's page: `player.html` (the player module) for the
//! pages a viewer lands on to watch, `index.html` (the whole app) for the others, as
//! [`companion_api::is_player_page`] says (docs/reach.md, "Two modules"); a missing file with an
//! extension is a plain 404, so a broken asset link is visible as one. A file with a `.br` or
//! `.gz` copy beside it (scripts/precompress.mjs writes them at build time) is sent as that copy
//! to a browser that accepts the encoding, instead of being compressed on every request: the
//! 1.5 MiB wasm cost 50–120 ms of CPU per viewer in a release build (over a second in a debug
//! one), on the viewer's start-up path.

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
        .precompressed_br()
        .precompressed_gzip()
        // `/` is an app route like the others (the player module's), not `index.html`.
        .append_index_html_on_directories(false)
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

/// App routes (no file extension) get the app's page ([`page_for`]); anything else is a 404.
async fn spa_index(State(dist): State<PathBuf>, uri: Uri) -> Response {
    if has_extension(uri.path()) {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    match tokio::fs::read(dist.join(page_for(&dist, uri.path()))).await {
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

/// The page that shows the app route `path`: the player module's where it has that page and
/// the build has the module, else the whole app's.
fn page_for(dist: &Path, path: &str) -> &'static str {
    if companion_api::is_player_page(path) && dist.join(companion_api::PLAYER_HTML).is_file() {
        companion_api::PLAYER_HTML
    } else {
        "index.html"
    }
}

fn has_extension(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    Path::new(last).extension().is_some()
}

#[cfg(test)]
mod tests {
    use axum::{body::to_bytes, http::Request};
    use tower::ServiceExt;

    use super::*;

    async fn get_with(dist: &Path, path: &str, accept: &str) -> (Option<String>, Vec<u8>) {
        let request = Request::get(path)
            .header(header::ACCEPT_ENCODING, accept)
            .body(Body::empty())
            .expect("request");
        let response = service(dist.to_path_buf())
            .oneshot(request)
            .await
            .expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
        let encoding = response
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().expect("ascii").to_owned());
        let body = to_bytes(Body::new(response.into_body()), usize::MAX)
            .await
            .expect("body");
        (encoding, body.to_vec())
    }

    #[tokio::test]
    async fn precompressed_copies_go_to_browsers_that_take_them() {
        let dist = tempfile::tempdir().expect("tempdir");
        std::fs::write(dist.path().join("app_bg.wasm"), b"the wasm").expect("write");
        std::fs::write(dist.path().join("app_bg.wasm.br"), b"brotli copy").expect("write");
        std::fs::write(dist.path().join("app_bg.wasm.gz"), b"gzip copy").expect("write");
        std::fs::write(dist.path().join("plain.js"), b"no copies").expect("write");
        let wasm = "/app_bg.wasm";
        assert_eq!(
            get_with(dist.path(), wasm, "gzip, deflate, br").await,
            (Some("br".to_owned()), b"brotli copy".to_vec())
        );
        assert_eq!(
            get_with(dist.path(), wasm, "gzip").await,
            (Some("gzip".to_owned()), b"gzip copy".to_vec())
        );
        assert_eq!(
            get_with(dist.path(), wasm, "identity").await,
            (None, b"the wasm".to_vec())
        );
        // Without a copy the file itself (the router's compression layer may still compress).
        assert_eq!(
            get_with(dist.path(), "/plain.js", "br").await,
            (None, b"no copies".to_vec())
        );
    }

    #[tokio::test]
    async fn the_player_pages_get_the_player_module_and_the_others_the_whole_app() {
        let dist = tempfile::tempdir().expect("tempdir");
        std::fs::write(dist.path().join("index.html"), b"whole").expect("write");
        for path in [
            "/discover",
            "/live",
            "/detail/movie/tt1",
            "/nowhere",
            "/index.html",
        ] {
            assert_eq!(get_with(dist.path(), path, "").await.1, b"whole", "{path}");
        }
        // A build without the player module: every route gets the whole app.
        assert_eq!(get_with(dist.path(), "/", "").await.1, b"whole");
        std::fs::write(dist.path().join("player.html"), b"player").expect("write");
        for path in ["/", "/play", "/watch", "/embed", "/live/news"] {
            assert_eq!(get_with(dist.path(), path, "").await.1, b"player", "{path}");
        }
        for path in [
            "/discover",
            "/search",
            "/addons",
            "/live",
            "/downloads",
            "/index.html",
        ] {
            assert_eq!(get_with(dist.path(), path, "").await.1, b"whole", "{path}");
        }
    }

    #[test]
    fn only_extensionless_paths_are_app_routes() {
        assert!(!has_extension("/"));
        assert!(!has_extension("/play"));
        assert!(!has_extension("/addons/"));
        assert!(has_extension("/missing.js"));
        assert!(has_extension("/a/b/shoal-app_bg.wasm"));
    }
}
