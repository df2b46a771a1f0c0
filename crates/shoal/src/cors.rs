//! The one CORS policy of the companion, for the answers other sites' pages may read: the
//! add-on (Stremio clients and Shoal apps on other origins fetch it), `/api/library`,
//! `/torrents/...` and `/files/...` (a web seed is read from whatever origin the player runs
//! on). They are public, read-only and sent without credentials, so any origin may read them.
//! The app's own pages, `/metrics` and `/health` get no CORS: only the app's origin reads them.

use std::time::Duration;

use axum::http::{header, Method};
use tower_http::cors::{Any, CorsLayer};

/// How long a browser may cache a preflight's answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// Any origin may `GET`/`HEAD` with any request header (a player sends `Range`) and read the
/// headers a ranged reader needs. Preflights are answered by the layer itself.
pub(crate) fn open() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers(Any)
        .expose_headers([
            header::CONTENT_RANGE,
            header::CONTENT_LENGTH,
            header::ACCEPT_RANGES,
        ])
        .max_age(PREFLIGHT_MAX_AGE)
}
