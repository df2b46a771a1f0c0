//! The gateway over HTTP, on the companion's port:
//!
//! | request | answer |
//! |---|---|
//! | `POST /api/torrents` (a magnet or info hash as text, `{"magnet": …}`, or .torrent bytes) | 201 (200 if it runs already) `{infoHash, status, stream}` |
//! | `GET /api/torrents` | every torrent's status |
//! | `GET /api/torrents/HASH` | files, progress, peers, speeds, trackers |
//! | `DELETE /api/torrents/HASH` | 204; the torrent stops and its pieces are deleted |
//! | `GET /stream/HASH/FILE_INDEX` | the file's bytes: `Range` → 206, none → 200, unsatisfiable → 416 |
//! | `GET /gateway/webseed/HASH[/NAME/PATH…]` | the same by BEP 19 web seed layout (`webseed_routes.rs`) |
//! | `GET /api/torrents/HASH/metadata` | the bencoded info dict, once known |
//!
//! Errors are JSON `{"error": "…"}` with a status: 400 malformed magnet or torrent, 404 unknown
//! info hash or file index out of range, 429 too many streams from one address, 503 the gateway
//! is full, 503 with `Retry-After` (and `retryAfter` in the JSON) when the torrent has no open
//! peer and none sent anything for the gateway's grace (a few seconds: the torrent keeps
//! looking for peers meanwhile), 504 peers are there but the metadata or the first bytes did
//! not come within the whole wait. A body whose next bytes stop coming the same way ends
//! early (the client sees a cut response and may retry with a `Range`).
//!
//! `/stream/HASH/N` shares its shape with the add-on's `/stream/TYPE/ID.json`, so it is taken
//! by [`intercept_streams`], a layer in front of the router, when the first segment is an info
//! hash and the second a number.

use std::{sync::Arc, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, Path, Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use metainfo::{InfoHash, Metainfo};
use serde_json::json;
use session::Read;
use tokio::sync::{mpsc, oneshot};

use super::{
    torrent::{Cmd, FileSpan, TorrentStatus},
    wait::{wait_for, GaveUp},
    Gateway, Handle, Source, StreamSlot,
};

/// How long a torrent's task gets to answer a status request.
const STATUS_TIMEOUT: Duration = Duration::from_secs(5);
/// What a 503 for a torrent without peers tells the client to wait before asking again (the
/// session redials known addresses every 5 s while a reader waits; trackers and the DHT are
/// asked again meanwhile).
const RETRY_AFTER_SECS: u64 = 10;

/// A JSON error with its status, and the seconds after which to try again (`Retry-After`).
pub(crate) struct ApiError(
    pub(super) StatusCode,
    pub(super) String,
    pub(super) Option<u64>,
);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self.2 {
            Some(secs) => (
                self.0,
                [
                    (header::RETRY_AFTER, secs.to_string()),
                    (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_owned()),
                ],
                Json(json!({ "error": self.1, "retryAfter": secs })),
            )
                .into_response(),
            None => (self.0, Json(json!({ "error": self.1 }))).into_response(),
        }
    }
}

pub(super) fn err(status: StatusCode, text: impl Into<String>) -> ApiError {
    ApiError(status, text.into(), None)
}

/// The `/api/torrents` routes.
pub(crate) fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/api/torrents", get(list).post(add))
        .route("/api/torrents/{hash}", get(status).delete(remove))
        .route(
            "/api/torrents/{hash}/metadata",
            get(super::webseed_routes::metadata),
        )
        .with_state(gateway)
}

pub(super) fn parse_hash(text: &str) -> Result<InfoHash, ApiError> {
    InfoHash::from_text(text).map_err(|e| {
        err(
            StatusCode::BAD_REQUEST,
            format!("{text:?} is not an info hash: {e}"),
        )
    })
}

pub(super) fn running(g: &Gateway, hash: &InfoHash) -> Result<Handle, ApiError> {
    g.get(hash).ok_or_else(|| {
        err(
            StatusCode::NOT_FOUND,
            format!(
                "unknown info hash {}: add it with POST /api/torrents",
                hash.to_hex()
            ),
        )
    })
}

pub(super) async fn ask<T>(
    cmds: &mpsc::UnboundedSender<Cmd>,
    make: impl FnOnce(oneshot::Sender<T>) -> Cmd,
) -> Option<T> {
    let (tx, rx) = oneshot::channel();
    cmds.send(make(tx)).ok()?;
    rx.await.ok()
}

/// A round trip to the torrent's task (whatever was asked before it has been acted on).
async fn ping(cmds: &mpsc::UnboundedSender<Cmd>) {
    let _ = ask(cmds, Cmd::Ping).await;
}

pub(super) async fn status_of(
    cmds: &mpsc::UnboundedSender<Cmd>,
) -> Result<TorrentStatus, ApiError> {
    match tokio::time::timeout(STATUS_TIMEOUT, ask(cmds, Cmd::Status)).await {
        Ok(Some(s)) => Ok(s),
        _ => Err(err(
            StatusCode::SERVICE_UNAVAILABLE,
            "the torrent did not answer",
        )),
    }
}

/// Reads what `POST /api/torrents` was given.
fn source_of(body: &[u8]) -> Result<Source, ApiError> {
    // A .torrent is a bencoded dictionary with an `info` key; a hash starting with "d" is not.
    let is_torrent = body.first() == Some(&b'd') && body.windows(6).any(|w| w == b"4:info");
    if is_torrent {
        let meta = Metainfo::from_bytes(body).map_err(|e| {
            err(
                StatusCode::BAD_REQUEST,
                format!("not a usable .torrent: {e}"),
            )
        })?;
        return Ok(Source::Torrent(Box::new(meta)));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| {
            err(
                StatusCode::BAD_REQUEST,
                "the body is neither text nor a .torrent",
            )
        })?
        .trim();
    let text = if text.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| err(StatusCode::BAD_REQUEST, format!("bad JSON: {e}")))?;
        ["magnet", "infoHash"]
            .iter()
            .find_map(|k| v.get(*k).and_then(|s| s.as_str()))
            .ok_or_else(|| {
                err(
                    StatusCode::BAD_REQUEST,
                    "the JSON has neither \"magnet\" nor \"infoHash\"",
                )
            })?
            .to_owned()
    } else {
        text.to_owned()
    };
    let magnet = metainfo::parse_source(&text)
        .map_err(|e| err(StatusCode::BAD_REQUEST, format!("malformed magnet: {e}")))?;
    Ok(Source::Magnet(magnet))
}

async fn add(State(g): State<Arc<Gateway>>, body: Bytes) -> Result<Response, ApiError> {
    let source = source_of(&body)?;
    let (hash, new) = g
        .add(source)
        .map_err(|e| err(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    let hex = hash.to_hex();
    let code = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = json!({
        "infoHash": hex,
        "status": format!("/api/torrents/{hex}"),
        "stream": format!("/stream/{hex}/0"),
    });
    Ok((code, Json(body)).into_response())
}

async fn list(State(g): State<Arc<Gateway>>) -> Result<Response, ApiError> {
    // Asked all at once: a torrent that does not answer delays the list by one timeout, not
    // one per torrent.
    let asks = g
        .all()
        .into_iter()
        .map(|(_, h)| async move { status_of(&h.cmds).await });
    let out: Vec<TorrentStatus> = futures_util::future::join_all(asks)
        .await
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    Ok(Json(out).into_response())
}

async fn status(
    State(g): State<Arc<Gateway>>,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    let hash = parse_hash(&hash)?;
    let handle = running(&g, &hash)?;
    Ok(Json(status_of(&handle.cmds).await?).into_response())
}

async fn remove(
    State(g): State<Arc<Gateway>>,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    let hash = parse_hash(&hash)?;
    if g.remove(&hash) {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(running(&g, &hash)
            .err()
            .unwrap_or_else(|| err(StatusCode::NOT_FOUND, "unknown info hash")))
    }
}

/// `/stream/HASH/N` (a 40-hex or 32-base32 hash and a number) goes to [`stream`],
/// `/gateway/webseed/…` to `webseed_routes.rs` (both outside the compression layer); anything
/// else on to the router.
pub(crate) async fn intercept_streams(
    State(g): State<Arc<Gateway>>,
    req: Request,
    next: Next,
) -> Response {
    let target = req.uri().path().strip_prefix("/stream/").and_then(|rest| {
        let (hash, index) = rest.split_once('/')?;
        let hash_like =
            matches!(hash.len(), 32 | 40) && hash.bytes().all(|b| b.is_ascii_alphanumeric());
        let index_like = !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit());
        (hash_like && index_like).then(|| (hash.to_owned(), index.to_owned()))
    });
    if let Some((hash, index)) = target {
        return stream(&g, &hash, &index, req)
            .await
            .unwrap_or_else(IntoResponse::into_response);
    }
    if let Some(rest) = req.uri().path().strip_prefix("/gateway/webseed/") {
        let (hash, path) = match rest.split_once('/') {
            Some((hash, path)) => (hash.to_owned(), Some(path.to_owned())),
            None => (rest.to_owned(), None),
        };
        return super::webseed_routes::webseed(&g, &hash, path.as_deref(), req)
            .await
            .unwrap_or_else(IntoResponse::into_response);
    }
    next.run(req).await
}

async fn stream(
    g: &Arc<Gateway>,
    hash: &str,
    index: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let hash = parse_hash(hash)?;
    let handle = running(g, &hash)?;
    let files = files_of(g, &handle).await?;
    let file = file_at(&files, index)?.clone();
    serve_file(g, &handle, &file, req).await
}

/// File `index` (as the URL says it) of a torrent's `files`: 404 unless it is a number in range.
pub(super) fn file_at<'a>(files: &'a [FileSpan], index: &str) -> Result<&'a FileSpan, ApiError> {
    index
        .parse::<usize>()
        .ok()
        .and_then(|i| files.get(i))
        .ok_or_else(|| {
            err(
                StatusCode::NOT_FOUND,
                format!(
                    "file index {index} is out of range: the torrent has {} file(s)",
                    files.len()
                ),
            )
        })
}

/// The torrent's files, once its metadata is known (503 or 504 when no peer sent it, see
/// [`waited`]).
pub(super) async fn files_of(g: &Gateway, handle: &Handle) -> Result<Vec<FileSpan>, ApiError> {
    waited(g, handle, "the metadata", ask(&handle.cmds, Cmd::Files)).await
}

/// Waits for `answer` as `wait.rs` decides; a wait that gives up becomes the JSON error that
/// says why: 503 + `Retry-After` (no open peer, nothing useful for the grace), 504 (peers, but
/// nothing in the whole wait) or 404 (removed meanwhile).
pub(super) async fn waited<T>(
    g: &Gateway,
    handle: &Handle,
    what: &str,
    answer: impl std::future::Future<Output = Option<T>>,
) -> Result<T, ApiError> {
    let cfg = g.config();
    let why = match wait_for(
        answer,
        handle.health.clone(),
        (cfg.wait_for_peers, cfg.no_peer_grace),
        || ping(&handle.cmds),
    )
    .await
    {
        Ok(v) => return Ok(v),
        Err(why) => why,
    };
    let s = status_of(&handle.cmds).await.ok();
    Err(match why {
        GaveUp::Removed => err(StatusCode::NOT_FOUND, "the torrent was removed"),
        GaveUp::Timeout => no_peers(cfg.wait_for_peers, what, s.as_ref()),
        GaveUp::NoPeers { .. } => {
            let known = s.as_ref().map_or(0, |s| s.known_addresses);
            let why = s
                .as_ref()
                .and_then(|s| s.last_peer_close.clone())
                .map_or(String::new(), |c| {
                    format!("; the last connection ended: {c}")
                });
            ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "no peer to get {what} from: none connected and none sent anything for {} s \
                     ({known} addresses known{why}); the gateway keeps looking, \
                     retry in {RETRY_AFTER_SECS} s",
                    cfg.no_peer_grace.as_secs_f32()
                ),
                Some(RETRY_AFTER_SECS),
            )
        }
    })
}

/// `file`'s bytes as `req` asks for them (its `Range`), within the client's stream slots.
pub(super) async fn serve_file(
    g: &Arc<Gateway>,
    handle: &Handle,
    file: &FileSpan,
    req: Request,
) -> Result<Response, ApiError> {
    let ip = req
        .extensions()
        .get::<ConnectInfo<crate::one_port::PeerAddr>>()
        .map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |c| c.0 .0.ip());
    let slot = g.stream_slot(ip, &handle.usage).ok_or_else(|| {
        err(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "{ip} already has {} streams open (the limit)",
                g.config().per_ip_streams
            ),
        )
    })?;
    let range = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    drop(req);
    respond(g, handle, file, range.as_deref(), slot).await
}

pub(super) fn no_peers(wait: Duration, what: &str, s: Option<&TorrentStatus>) -> ApiError {
    let (peers, known) = s.map_or((0, 0), |s| (s.peers, s.known_addresses));
    err(
        StatusCode::GATEWAY_TIMEOUT,
        format!(
            "no peer sent {what} within {} s ({peers} connected, {known} addresses known)",
            wait.as_secs()
        ),
    )
}

async fn respond(
    g: &Arc<Gateway>,
    handle: &Handle,
    file: &FileSpan,
    range: Option<&str>,
    slot: StreamSlot,
) -> Result<Response, ApiError> {
    let len = file.length;
    let mut headers = HeaderMap::new();
    let mime = crate::files::content_type(std::path::Path::new(&file.path));
    let hv = |s: String| {
        s.parse()
            .map_err(|_| err(StatusCode::INTERNAL_SERVER_ERROR, "header"))
    };
    headers.insert(header::CONTENT_TYPE, hv(mime.to_owned())?);
    headers.insert(header::ACCEPT_RANGES, hv("bytes".to_owned())?);
    headers.insert(header::CACHE_CONTROL, hv("no-store".to_owned())?);
    // Players on other origins (the app on another companion, a web player) read it too.
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, hv("*".to_owned())?);
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        hv("Content-Range, Content-Length, Accept-Ranges".to_owned())?,
    );
    let (code, start, end) = match crate::files::resolve_range(range, len) {
        crate::files::RangeAnswer::Whole => (StatusCode::OK, 0, len),
        crate::files::RangeAnswer::Partial { start, end } => {
            headers.insert(
                header::CONTENT_RANGE,
                hv(format!("bytes {start}-{end}/{len}"))?,
            );
            (StatusCode::PARTIAL_CONTENT, start, end + 1)
        }
        crate::files::RangeAnswer::Unsatisfiable => {
            headers.insert(header::CONTENT_RANGE, hv(format!("bytes */{len}"))?);
            return Ok((StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response());
        }
    };
    headers.insert(header::CONTENT_LENGTH, hv((end - start).to_string())?);
    if start == end {
        return Ok((code, headers).into_response());
    }
    let (from, to) = (file.offset + start, file.offset + end);
    let cmds = &handle.cmds;
    let reader = ask(cmds, |reply| Cmd::OpenReader {
        start: from,
        end: to,
        reply,
    })
    .await
    .ok_or_else(|| err(StatusCode::NOT_FOUND, "the torrent was removed"))?;
    let reading = Reading {
        cmds: cmds.clone(),
        reader,
        _slot: slot,
        figures: Arc::clone(&g.figures),
    };
    // The status line waits for the first bytes, so a swarm with no peers is a clear 503 or
    // 504 rather than a response that never starts.
    let first = waited(g, handle, "the first bytes", reading.next()).await?;
    let health = handle.health.clone();
    let (wait, grace) = (g.config().wait_for_peers, g.config().no_peer_grace);
    let chunks = futures_util::stream::unfold(
        (reading, Some(first), health, false),
        move |(reading, first, health, cut)| {
            async move {
                if cut {
                    return None;
                }
                let chunk = match first {
                    Some(c) => c,
                    // Later bytes wait the same way; a wait that gives up ends the body with
                    // an error (the connection is cut) instead of holding the client.
                    None => match wait_for(reading.next(), health.clone(), (wait, grace), || {
                        ping(&reading.cmds)
                    })
                    .await
                    {
                        Ok(c) => c,
                        Err(GaveUp::Removed) => return None,
                        Err(why) => {
                            tracing::info!(?why, "a gateway stream's next bytes stopped coming");
                            let e = std::io::Error::other("the torrent's peers are gone");
                            return Some((Err(e), (reading, None, health, true)));
                        }
                    },
                };
                Some((Ok(Bytes::from(chunk)), (reading, None, health, false)))
            }
        },
    );
    // Fused: the body may be polled once more after its end.
    let chunks = futures_util::StreamExt::fuse(chunks);
    Ok((code, headers, Body::from_stream(chunks)).into_response())
}

/// One response's reader; closed (its priority dropped) when the response ends or the client
/// goes away.
struct Reading {
    cmds: mpsc::UnboundedSender<Cmd>,
    reader: swarm::ReaderId,
    _slot: StreamSlot,
    figures: Arc<super::GatewayFigures>,
}

impl Reading {
    async fn next(&self) -> Option<Vec<u8>> {
        let reader = self.reader;
        match ask(&self.cmds, |reply| Cmd::Read { reader, reply }).await? {
            Read::Chunk(c) => {
                self.figures
                    .streamed
                    .fetch_add(c.len() as u64, std::sync::atomic::Ordering::Relaxed);
                Some(c)
            }
            Read::Waiting | Read::Finished => None,
        }
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        let _ = self.cmds.send(Cmd::CloseReader(self.reader));
    }
}

#[cfg(test)]
#[path = "routes_tests.rs"]
mod tests;
