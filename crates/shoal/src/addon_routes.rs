//! The library as a Stremio add-on (protocol v3), so the app — or any Stremio client — can
//! browse and play it like any other add-on.
//!
//! `/manifest.json` declares one movie catalog (searchable, paged with `skip`), and with live
//! channels a `tv` catalog `live` (answered by `channel/addon.rs`); every library
//! file is an item `shoal:<info hash>` with a meta and two streams: the torrent (info hash, file
//! index and this companion's tracker as `tracker:` source, so a browser finds the companion's
//! WebRTC peer) and the plain HTTP file under `/files/...`. `/api/companion` tells the app
//! that it is served by a companion and where the add-on is, which is how the app installs it.
//!
//! Every answer allows any origin (add-ons are fetched from other sites' pages), through the
//! companion's one CORS layer (`cors.rs`), which also answers preflights for clients that send
//! them. Path pieces are read from the raw URI and percent-decoded here (not by the router),
//! so a `%26` in a search stays a literal `&` rather than splitting the extras, and bad
//! encoding is just an unknown id.

use std::sync::Arc;

use axum::{
    extract::State,
    http::{header, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde::Serialize;

use crate::{channel::LiveAddon, library::LibraryItem};

/// Stable add-on id: clients key installed add-ons by it.
const ADDON_ID: &str = "org.shoal.companion";
/// The one catalog's id.
const CATALOG_ID: &str = "shoal-library";
/// Content type of every item: each library file is a single video, which Stremio clients
/// show as a movie.
const TYPE: &str = "movie";
/// Ids of library items: the prefix and the file's info hash.
const ID_PREFIX: &str = "shoal:";
/// Items per catalog page (clients page with `skip` in steps of this).
const PAGE: usize = 100;
/// Longest search text looked at (more is cut off, it cannot match a file name anyway).
const MAX_SEARCH_CHARS: usize = 200;

/// What the add-on routes need: the library and the addresses clients reach this server at.
#[derive(Clone)]
struct AddonLibrary {
    items: Arc<Vec<LibraryItem>>,
    base_url: Arc<str>,
    tracker_url: Arc<str>,
    /// The live channels (type `tv`), answered by `channel/addon.rs`.
    live: LiveAddon,
}

/// The add-on routes, with open CORS, ready to be merged into the companion's router.
/// `base_url` is this server as clients reach it (`http://host:port`), `tracker_url` its
/// WebSocket tracker, `live` the channels.
pub(crate) fn router<S>(
    items: Arc<Vec<LibraryItem>>,
    base_url: &str,
    tracker_url: &str,
    live: LiveAddon,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let state = AddonLibrary {
        items,
        base_url: base_url.trim_end_matches('/').into(),
        tracker_url: tracker_url.into(),
        live,
    };
    Router::new()
        .route("/api/companion", get(companion))
        .route("/manifest.json", get(manifest))
        .route("/catalog/{type}/{file}", get(catalog))
        .route("/catalog/{type}/{id}/{extra}", get(catalog))
        .route("/meta/{type}/{file}", get(meta))
        .route("/stream/{type}/{file}", get(streams))
        .route("/posters/{file}", get(poster))
        .with_state(state)
        .layer(crate::cors::open())
}

/// `GET /api/companion`: where this companion's add-on is (the app installs it once); `null`
/// while the library is empty and there is no channel, as there is nothing to browse.
async fn companion(State(lib): State<AddonLibrary>) -> Response {
    let addon = (!lib.items.is_empty() || lib.live.any())
        .then(|| format!("{}/manifest.json", lib.base_url));
    Json(companion_api::CompanionInfo {
        addon,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
    .into_response()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    id: &'static str,
    version: &'static str,
    name: String,
    description: String,
    logo: String,
    resources: [&'static str; 3],
    types: Vec<&'static str>,
    id_prefixes: Vec<&'static str>,
    catalogs: Vec<serde_json::Value>,
    behavior_hints: ManifestHints,
}

#[derive(Serialize)]
struct Catalog {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'static str,
    name: &'static str,
    extra: [Extra; 2],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Extra {
    name: &'static str,
    is_required: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManifestHints {
    p2p: bool,
    configurable: bool,
}

/// `GET /manifest.json`.
async fn manifest(State(lib): State<AddonLibrary>) -> Response {
    let (mut types, mut id_prefixes, mut catalogs) =
        (vec![TYPE], vec![ID_PREFIX], vec![library_catalog()]);
    if lib.live.any() {
        types.push(crate::channel::addon::TYPE);
        id_prefixes.push(crate::channel::addon::ID_PREFIX);
        catalogs.push(LiveAddon::catalog_entry());
    }
    let host = lib
        .base_url
        .split_once("://")
        .map_or(&*lib.base_url, |(_, host)| host);
    Json(Manifest {
        id: ADDON_ID,
        version: env!("CARGO_PKG_VERSION"),
        name: format!("Shoal library ({host})"),
        description: format!(
            "The {} video files this Shoal companion seeds: streamed from its peer over WebRTC, or over plain HTTP.",
            lib.items.len()
        ),
        logo: format!("{}/favicon.svg", lib.base_url),
        resources: ["catalog", "meta", "stream"],
        types,
        id_prefixes,
        catalogs,
        behavior_hints: ManifestHints {
            p2p: true,
            configurable: false,
        },
    })
    .into_response()
}

/// The library's catalog, as the manifest lists it.
fn library_catalog() -> serde_json::Value {
    serde_json::to_value(Catalog {
        kind: TYPE,
        id: CATALOG_ID,
        name: "Library",
        extra: [
            Extra {
                name: "search",
                is_required: false,
            },
            Extra {
                name: "skip",
                is_required: false,
            },
        ],
    })
    .unwrap_or_default()
}

/// A catalog item or meta.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetaItem {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    poster: String,
    poster_shape: &'static str,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    runtime: Option<String>,
}

impl MetaItem {
    fn of(lib: &AddonLibrary, item: &LibraryItem) -> Self {
        // Files that differ only in format (clip.mp4, clip.webm) are told apart by name.
        let twins = lib.items.iter().filter(|i| i.title == item.title).count() > 1;
        let name = if twins {
            file_name(item).to_owned()
        } else {
            item.title.clone()
        };
        Self {
            id: format!("{ID_PREFIX}{}", item.info_hash),
            kind: TYPE,
            name,
            poster: format!("{}/posters/{}.svg", lib.base_url, item.info_hash),
            poster_shape: "landscape",
            description: format!("{} · {}", item.path, human_size(item.size)),
            runtime: item.duration.and_then(runtime_text),
        }
    }
}

/// Stremio's free-text running time: seconds for clips under a minute, else whole minutes.
pub(crate) fn runtime_text(seconds: f64) -> Option<String> {
    if !seconds.is_finite() || seconds <= 0.0 {
        return None;
    }
    Some(if seconds < 59.5 {
        format!("{} s", seconds.round().max(1.0))
    } else {
        format!("{} min", (seconds / 60.0).round())
    })
}

fn file_name(item: &LibraryItem) -> &str {
    item.path.rsplit('/').next().unwrap_or(&item.path)
}

/// `GET /posters/<info hash>.svg`: the item's generated poster.
async fn poster(State(lib): State<AddonLibrary>, uri: Uri) -> Response {
    let segments = segments(&uri);
    let hash = segments
        .get(1)
        .and_then(|file| file.strip_suffix(".svg"))
        .map(str::to_ascii_lowercase);
    match lib
        .items
        .iter()
        .find(|i| Some(&i.info_hash) == hash.as_ref())
    {
        Some(item) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "max-age=3600"),
            ],
            crate::addon_poster::svg(item),
        )
            .into_response(),
        None => not_found("no such poster"),
    }
}

/// `GET /catalog/movie/shoal-library[/search=…&skip=…].json`.
async fn catalog(State(lib): State<AddonLibrary>, uri: Uri) -> Response {
    let (kind, id, extra) = match segments(&uri).as_slice() {
        [_, kind, file] => (decode(kind), file.strip_suffix(".json"), None),
        [_, kind, id, extra] => (decode(kind), Some(*id), extra.strip_suffix(".json")),
        _ => return not_found("no such catalog"),
    };
    if kind == crate::channel::addon::TYPE
        && id.map(decode).as_deref() == Some(crate::channel::addon::CATALOG_ID)
    {
        return Json(serde_json::json!({ "metas": lib.live.metas() })).into_response();
    }
    if kind != TYPE || id.map(decode).as_deref() != Some(CATALOG_ID) {
        return not_found("no such catalog");
    }
    let extras = extra.map(parse_extras).unwrap_or_default();
    let search = extras
        .iter()
        .find(|(name, _)| name == "search")
        .map(|(_, value)| value.chars().take(MAX_SEARCH_CHARS).collect::<String>())
        .filter(|s| !s.trim().is_empty());
    // A skip that is not a number is no skip; a huge one is past the end.
    let skip = extras
        .iter()
        .find(|(name, _)| name == "skip")
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let needle = search.map(|s| s.trim().to_lowercase());
    let metas: Vec<MetaItem> = lib
        .items
        .iter()
        .filter(|item| {
            needle.as_deref().is_none_or(|n| {
                item.title.to_lowercase().contains(n) || item.path.to_lowercase().contains(n)
            })
        })
        .skip(skip)
        .take(PAGE)
        .map(|item| MetaItem::of(&lib, item))
        .collect();
    Json(serde_json::json!({ "metas": metas })).into_response()
}

/// `GET /meta/movie/shoal:<info hash>.json`.
async fn meta(State(lib): State<AddonLibrary>, uri: Uri) -> Response {
    if let Some(id) = live_id(&uri) {
        return match lib.live.meta(&id) {
            Some(meta) => Json(serde_json::json!({ "meta": meta })).into_response(),
            None => not_found("no such channel"),
        };
    }
    match find(&lib, &uri) {
        Some(item) => Json(serde_json::json!({ "meta": MetaItem::of(&lib, item) })).into_response(),
        None => not_found("no such item in this library"),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StreamItem {
    name: &'static str,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    info_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_idx: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sources: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    behavior_hints: StreamHints,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StreamHints {
    binge_group: &'static str,
    filename: String,
    video_size: u64,
    not_web_ready: bool,
}

/// `GET /stream/movie/shoal:<info hash>.json`: the torrent first, then the HTTP file. An id
/// this library does not have gets no streams (what add-ons answer for ids they do not know).
async fn streams(State(lib): State<AddonLibrary>, uri: Uri) -> Response {
    if let Some(id) = live_id(&uri) {
        return Json(serde_json::json!({ "streams": lib.live.streams(&id) })).into_response();
    }
    let Some(item) = find(&lib, &uri) else {
        return Json(serde_json::json!({ "streams": [] })).into_response();
    };
    let filename = file_name(item).to_owned();
    let size = human_size(item.size);
    let not_web_ready = !crate::files::browser_playable(&item.mime);
    let hints = |binge_group| StreamHints {
        binge_group,
        filename: filename.clone(),
        video_size: item.size,
        not_web_ready,
    };
    let streams = [
        StreamItem {
            name: "Shoal P2P",
            description: format!("{filename}\n{size} · from this companion's peer over WebRTC"),
            info_hash: Some(item.info_hash.to_ascii_lowercase()),
            file_idx: Some(item.file_index),
            sources: Some(vec![format!("tracker:{}", lib.tracker_url)]),
            url: None,
            behavior_hints: hints("shoal-p2p"),
        },
        StreamItem {
            name: "Shoal HTTP",
            description: format!("{filename}\n{size} · plain HTTP from this companion"),
            info_hash: None,
            file_idx: None,
            sources: None,
            url: Some(item.url.clone()),
            behavior_hints: hints("shoal-http"),
        },
    ];
    Json(serde_json::json!({ "streams": streams })).into_response()
}

/// The library item named by a `/{resource}/{type}/{id}.json` request, if it is ours.
fn find<'a>(lib: &'a AddonLibrary, uri: &Uri) -> Option<&'a LibraryItem> {
    let segments = segments(uri);
    let [_, kind, file] = segments.as_slice() else {
        return None;
    };
    if decode(kind) != TYPE {
        return None;
    }
    let id = decode(file.strip_suffix(".json")?);
    let hash = id.strip_prefix(ID_PREFIX)?.to_ascii_lowercase();
    lib.items.iter().find(|item| item.info_hash == hash)
}

/// The id of a `/{resource}/tv/{id}.json` request (a channel's), decoded.
fn live_id(uri: &Uri) -> Option<String> {
    let segments = segments(uri);
    let [_, kind, file] = segments.as_slice() else {
        return None;
    };
    (decode(kind) == crate::channel::addon::TYPE)
        .then(|| decode(file.strip_suffix(".json").unwrap_or(file)))
}

/// The raw (still percent-encoded) segments of the request path.
fn segments(uri: &Uri) -> Vec<&str> {
    uri.path()
        .split('/')
        .filter(|s| !s.is_empty())
        .take(5)
        .collect()
}

fn not_found(message: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(serde_json::json!({ "err": message })),
    )
        .into_response()
}

/// Percent-decodes one path piece; `+` is a space, as form encoders write it (a literal plus
/// arrives as `%2B`). Invalid UTF-8 is replaced rather than refused.
fn decode(text: &str) -> String {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// `search=a%20b&skip=100` → `[("search", "a b"), ("skip", "100")]`. Pieces without `=` are
/// ignored; at most a handful are read (a catalog has two extras).
fn parse_extras(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .take(8)
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (decode(name), decode(value)))
        .collect()
}

/// `1696732` → `1.6 MiB`, in the binary units the app shows sizes in.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
#[path = "addon_routes_tests.rs"]
mod tests;
