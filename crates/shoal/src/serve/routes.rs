//! The companion's router: which path is answered by what, and which answers carry CORS.
//!
//! | path | answered by | CORS |
//! |---|---|---|
//! | `/health`, `/metrics` | here, `metrics.rs` | no |
//! | `/api/library`, `/torrents/HASH.torrent` | here | open |
//! | `/files/...` | `files.rs` (byte ranges) | open |
//! | `/manifest.json`, `/catalog`, `/meta`, `/stream`, `/posters`, `/api/companion` | `addon_routes.rs` | open (its own layer) |
//! | `/embed.js` | `app_files.rs` (`<shoal-player>` for other sites) | open |
//! | `/api/torrents...` | `gateway/routes.rs` | open |
//! | `/hls/HASH/N/…` | `gateway/hls/routes.rs` | open |
//! | `/stream/HASH/N` (taken before routing, not compressed) | `gateway/routes.rs` | open (set on the response) |
//! | anything else | the app's files (`app_files.rs`) | no |
//!
//! `/announce` never gets here: `one_port.rs` hands those connections to the tracker first.

use std::{path::PathBuf, sync::Arc};

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use tower_http::{
    compression::{
        predicate::{NotForContentType, Predicate},
        CompressionLayer, DefaultPredicate,
    },
    trace::TraceLayer,
};

use crate::{files::FilesRoot, library::LibraryItem, seeder::SeederFigures};

/// What the companion's own handlers read.
#[derive(Clone)]
pub(super) struct Companion {
    pub(super) items: Arc<Vec<LibraryItem>>,
    pub(super) tracker: Arc<tracker::Embedded>,
    pub(super) figures: Arc<SeederFigures>,
    /// The live channels (`--channel`).
    pub(super) channels: Arc<crate::channel::Channels>,
    /// The gateway to TCP swarms, unless `--no-gateway`.
    pub(super) gateway: Option<Arc<crate::gateway::Gateway>>,
}

/// Where things are: on disk, and as clients reach them.
pub(super) struct Places {
    /// The library folder `/files` serves (empty: nothing is found).
    pub(super) library: PathBuf,
    /// The built app.
    pub(super) dist: PathBuf,
    /// This server as clients reach it, `http://host:port`.
    pub(super) base_url: String,
    /// The embedded tracker's URL.
    pub(super) tracker_url: String,
}

/// Every HTTP route of `shoal serve`.
pub(super) fn router(companion: Companion, places: Places) -> Router {
    let addon = crate::addon_routes::router(
        Arc::clone(&companion.items),
        &places.base_url,
        &places.tracker_url,
        crate::channel::LiveAddon {
            channels: Arc::clone(&companion.channels),
            base_url: places.base_url.trim_end_matches('/').into(),
        },
    );
    let channels = crate::channel::router(crate::channel::ChannelRoutes {
        channels: Arc::clone(&companion.channels),
        base_url: places.base_url.trim_end_matches('/').into(),
    });
    let shared = Router::new()
        .route("/api/library", get(api_library))
        .route("/torrents/{file}", get(torrent_file))
        .with_state(companion.clone())
        .route(
            "/files/{*path}",
            get(crate::files::serve_file).with_state(FilesRoot(places.library)),
        )
        .layer(crate::cors::open());
    let gateway = companion.gateway.clone();
    let mut app = Router::new()
        .route(companion_api::HEALTH_PATH, get(super::health::health))
        .route("/metrics", get(super::metrics::metrics))
        .with_state(companion)
        .merge(shared)
        .merge(addon)
        .merge(channels)
        .route(
            "/embed.js",
            get(super::app_files::embed_script).with_state(places.dist.clone()),
        );
    if let Some(g) = &gateway {
        let api = crate::gateway::routes::router(Arc::clone(g))
            .merge(crate::gateway::hls::routes::router(Arc::clone(g)))
            .layer(crate::cors::open());
        app = app.merge(api);
    }
    let mut app = app
        .fallback_service(super::app_files::service(places.dist))
        // Video (library files, channel segments) does not compress: never spend CPU on it.
        .layer(
            CompressionLayer::new().compress_when(
                DefaultPredicate::new()
                    .and(NotForContentType::const_new("video/"))
                    .and(NotForContentType::const_new("application/x-bittorrent")),
            ),
        );
    if let Some(g) = gateway {
        // Outside the compression layer: a video stream is not worth compressing (and ranges
        // of a compressed body would not be the file's).
        app = app.layer(axum::middleware::from_fn_with_state(
            g,
            crate::gateway::routes::intercept_streams,
        ));
    }
    app.layer(TraceLayer::new_for_http())
}

/// `GET /api/library`: every library item, for the app's home page.
async fn api_library(State(c): State<Companion>) -> Response {
    Json(companion_api::Library {
        items: c.items.iter().map(|i| i.entry.clone()).collect(),
    })
    .into_response()
}

/// `/torrents/HASH.torrent`: a library torrent's file (what a client needs when it has only a
/// web seed to download from: magnets get their metadata from peers).
async fn torrent_file(State(c): State<Companion>, Path(file): Path<String>) -> Response {
    let hash = file.strip_suffix(".torrent").unwrap_or_default();
    match c.items.iter().find(|i| i.info_hash == hash) {
        Some(item) => (
            [(header::CONTENT_TYPE, "application/x-bittorrent")],
            item.torrent.clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

#[cfg(test)]
#[path = "routes_tests.rs"]
mod tests;
