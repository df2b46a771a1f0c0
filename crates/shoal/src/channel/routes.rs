//! The channels over HTTP: `/channels/NAME/index.m3u8` (the media playlist, cached for a
//! second), `/channels/NAME/seg-N.ts` and `/channels/NAME/seg-N.ts.torrent` (immutable: a name
//! is never reused for other bytes), and `GET /api/channels`. Only files the channel has
//! published and not yet expired are served; anything else is a 404. Segments answer byte
//! ranges (WebTorrent fetches a web seed by ranges). Every answer allows any origin.

use std::{sync::Arc, time::Instant};

use axum::{
    body::Body,
    extract::{ConnectInfo, Path, Request, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use companion_api::{ChannelEntry, ChannelState, CHANNELS_PATH};

use super::registry::{ChannelFigures, Channels, Lifecycle};
use crate::files::{resolve_range, RangeAnswer};

/// `Cache-Control` of a live playlist: it changes every segment.
pub(crate) const PLAYLIST_CACHE: &str = "max-age=1";
/// `Cache-Control` of a segment and its torrent.
pub(crate) const SEGMENT_CACHE: &str = "public, max-age=31536000, immutable";
/// The media playlist's file name.
pub(crate) const PLAYLIST_FILE: &str = "index.m3u8";
/// Largest file served from a channel's folder (segments are a few MB).
const MAX_SERVED_BYTES: u64 = 256 << 20;

/// What the channel routes read.
#[derive(Clone)]
pub(crate) struct ChannelRoutes {
    pub(crate) channels: Arc<Channels>,
    /// This server as clients reach it, without a trailing slash.
    pub(crate) base_url: Arc<str>,
}

/// The routes, with open CORS, to merge into a router.
pub(crate) fn router<S>(state: ChannelRoutes) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(CHANNELS_PATH, get(api_channels))
        .route("/channels/{name}/{file}", get(channel_file))
        .with_state(state)
        .layer(crate::cors::open())
}

/// A channel's playlist URL.
pub(crate) fn playlist_url(base_url: &str, name: &str) -> String {
    format!("{base_url}/channels/{name}/{PLAYLIST_FILE}")
}

/// Every channel, as `/api/channels` and the add-on list them.
pub(crate) fn entries(channels: &Channels, base_url: &str) -> Vec<ChannelEntry> {
    let now = Instant::now();
    channels
        .list
        .iter()
        .map(|c| {
            let view = c.view();
            ChannelEntry {
                name: c.name.clone(),
                title: c.title.clone(),
                playlist: c
                    .public_playlist
                    .clone()
                    .unwrap_or_else(|| playlist_url(base_url, &c.name)),
                state: match view.lifecycle {
                    Lifecycle::Live => ChannelState::Live,
                    Lifecycle::Ended => ChannelState::Ended,
                },
                viewers: Some(c.viewers(now) as u64),
                error: view.error,
            }
        })
        .collect()
}

async fn api_channels(State(s): State<ChannelRoutes>) -> Response {
    Json(entries(&s.channels, &s.base_url)).into_response()
}

async fn channel_file(
    State(s): State<ChannelRoutes>,
    Path((name, file)): Path<(String, String)>,
    request: Request,
) -> Response {
    let Some(channel) = s.channels.get(&name) else {
        return not_found();
    };
    if file == PLAYLIST_FILE {
        let view = channel.view();
        if view.playlist.is_empty() {
            return not_found();
        }
        channel.saw_viewer(viewer_key(&request), Instant::now());
        return (
            [
                (header::CONTENT_TYPE, "application/vnd.apple.mpegurl"),
                (header::CACHE_CONTROL, PLAYLIST_CACHE),
            ],
            view.playlist,
        )
            .into_response();
    }
    if !channel.view().files.contains(&file) {
        return not_found();
    }
    let path = channel.public_dir.join(&file);
    let bytes = match tokio::fs::metadata(&path).await {
        Ok(m) if m.len() <= MAX_SERVED_BYTES => match tokio::fs::read(&path).await {
            Ok(bytes) => bytes,
            Err(_) => return not_found(),
        },
        _ => return not_found(),
    };
    let kind = if file.ends_with(".torrent") {
        "application/x-bittorrent"
    } else {
        "video/mp2t"
    };
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let len = bytes.len() as u64;
    let mut response = match resolve_range(range, len) {
        RangeAnswer::Whole => {
            ChannelFigures::add(&s.channels.figures.http_bytes, len);
            (StatusCode::OK, bytes).into_response()
        }
        RangeAnswer::Partial { start, end } => {
            let slice = bytes
                .get(start as usize..=end as usize)
                .map(<[u8]>::to_vec)
                .unwrap_or_default();
            ChannelFigures::add(&s.channels.figures.http_bytes, slice.len() as u64);
            let mut r = (StatusCode::PARTIAL_CONTENT, slice).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        RangeAnswer::Unsatisfiable => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(SEGMENT_CACHE),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response
}

/// Who fetched a playlist: the client's connection (address and port). A player polls its
/// live playlist over one kept-alive connection, so this counts players; a player that
/// reconnects within the window counts twice until the old entry ages out.
fn viewer_key(request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<crate::one_port::PeerAddr>>()
        .map(|c| c.0 .0.to_string())
        .unwrap_or_default()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Body::from("not found\n")).into_response()
}

#[cfg(test)]
#[path = "routes_tests.rs"]
mod tests;
