//! The HLS gateway over HTTP:
//!
//! | request | answer |
//! |---|---|
//! | `GET /hls/HASH/FILE_INDEX/index.m3u8` | the VOD media playlist (probes the file first) |
//! | `GET /hls/HASH/FILE_INDEX/seg-N.ts` | segment N, MPEG-TS, once a run has written it |
//! | `GET /hls/HASH/FILE_INDEX/progress` | JSON: mode, percent ready, speed, seconds left |
//!
//! Errors are JSON `{"error": "…"}`: 400 not an info hash, 404 unknown info hash, file index or
//! segment out of range, 422 ffprobe cannot read the file or gives no duration, 503 (with
//! `Retry-After`) no ffprobe/ffmpeg installed or the transcode cap reached, 504 a segment not
//! written within [`SEGMENT_WAIT`], 500 ffmpeg failed (its last lines); and the stream's own
//! 503/504 when the swarm does not deliver the file's first bytes.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::json;

use super::{
    plan::{covered, segment_name, Plan, SEGMENT_SECONDS},
    probe::{self, ProbeError},
    session::Transcode,
    FileKey, RunError, Unplayable, UNPLAYABLE_KEPT,
};
use crate::gateway::{
    routes::{err, file_at, files_of, parse_hash, running, ApiError},
    torrent::FileSpan,
    Gateway, Handle,
};

/// Longest a segment request waits for its run to write it.
const SEGMENT_WAIT: Duration = Duration::from_secs(120);
/// How often a waiting request looks for its segment.
const POLL: Duration = Duration::from_millis(100);
/// What a 503 tells the client to wait.
const RETRY_SECS: u64 = 5;

/// The `/hls/…` routes.
pub(crate) fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/hls/{hash}/{index}/{file}", get(hls))
        .with_state(gateway)
}

async fn hls(
    State(g): State<Arc<Gateway>>,
    Path((hash, index, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let hash = parse_hash(&hash)?;
    let handle = running(&g, &hash)?;
    let files = files_of(&g, &handle).await?;
    let file = file_at(&files, &index)?;
    let key = (hash, file.index);
    let plan = plan_of(&g, &handle, key, file).await?;
    match name.as_str() {
        "index.m3u8" => Ok((
            [
                (header::CONTENT_TYPE, "application/vnd.apple.mpegurl"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            plan.playlist(),
        )
            .into_response()),
        "progress" => Ok(Json(progress(&g, key, &plan)).into_response()),
        _ => {
            let n = name
                .strip_prefix("seg-")
                .and_then(|s| s.strip_suffix(".ts"))
                .and_then(|s| s.parse::<u64>().ok())
                .filter(|n| *n < plan.segments())
                .ok_or_else(|| {
                    err(
                        StatusCode::NOT_FOUND,
                        format!(
                            "no {name:?} here: index.m3u8, progress or seg-0.ts … {}",
                            segment_name(plan.segments() - 1)
                        ),
                    )
                })?;
            segment(&g, key, n, &plan).await
        }
    }
}

/// The file's plan: cached, or probed now (the first and last bytes fetched first). A file
/// found unplayable is answered from the cache too.
async fn plan_of(
    g: &Gateway,
    handle: &Handle,
    key: FileKey,
    file: &FileSpan,
) -> Result<Plan, ApiError> {
    let hls = g.hls();
    let slot = hls.plan_slot(key);
    let mut slot = slot.lock().await;
    match slot.as_ref() {
        Some(Ok(plan)) => return Ok(plan.clone()),
        Some(Err(no)) if no.since.elapsed() < UNPLAYABLE_KEPT => {
            return Err(err(StatusCode::UNPROCESSABLE_ENTITY, no.why.clone()))
        }
        _ => {}
    }
    probe::fetch_ends(g, handle, file).await?;
    let url = format!(
        "{}/stream/{}/{}",
        hls.config().local_base,
        key.0.to_hex(),
        key.1
    );
    let verdict = match probe::ffprobe(&url).await {
        Ok(probed) => Plan::from_probe(&probed)
            .inspect(|plan| {
                tracing::info!(
                    info_hash = %key.0.to_hex(),
                    file = key.1,
                    container = %plan.container,
                    video = ?probed.video,
                    audio = ?probed.audio,
                    mode = plan.mode(),
                    "hls: planned"
                );
            })
            .map_err(|e| unplayable(e.to_string())),
        Err(e @ (ProbeError::Failed(_) | ProbeError::Output(_))) => Err(unplayable(e.to_string())),
        // Not the file's fault: asked again next time.
        Err(e @ (ProbeError::Missing | ProbeError::Spawn(_))) => {
            return Err(err(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))
        }
        Err(e @ ProbeError::Timeout) => {
            return Err(err(StatusCode::GATEWAY_TIMEOUT, e.to_string()))
        }
    };
    if let Err(no) = &verdict {
        tracing::warn!(info_hash = %key.0.to_hex(), file = key.1, why = %no.why, "hls: file cannot be played");
    }
    *slot = Some(verdict.clone());
    verdict.map_err(|no| err(StatusCode::UNPROCESSABLE_ENTITY, no.why))
}

fn unplayable(why: String) -> Unplayable {
    Unplayable {
        why,
        since: Instant::now(),
    }
}

/// Segment `n`: from the run that has it or soon will, else from a new run started at `n`.
async fn segment(g: &Gateway, key: FileKey, n: u64, plan: &Plan) -> Result<Response, ApiError> {
    let ffmpeg = crate::channel::encoder::find_ffmpeg()
        .map_err(|e| ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string(), None))?;
    let run = g
        .hls()
        .run_for(key, n, plan, &ffmpeg)
        .map_err(|e| match e {
            RunError::Full(_) => ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                e.to_string(),
                Some(RETRY_SECS),
            ),
            RunError::Start(e) => err(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        })?;
    let bytes = written(&run, n).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "video/mp2t"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response())
}

/// Waits (at most [`SEGMENT_WAIT`]) for `run` to write segment `n` and reads it.
async fn written(run: &Transcode, n: u64) -> Result<Vec<u8>, ApiError> {
    let waiting = async {
        loop {
            run.touch();
            run.pace();
            if n < run.written() {
                return tokio::fs::read(run.path(n))
                    .await
                    .map_err(|e| err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()));
            }
            if let Some(how) = run.exited() {
                // It may have written the segment between the two looks.
                if n < run.written() {
                    continue;
                }
                return Err(err(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("the transcode ended before segment {n}: {how}"),
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    };
    tokio::time::timeout(SEGMENT_WAIT, waiting)
        .await
        .unwrap_or_else(|_| {
            Err(err(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "segment {n} was not ready within {} s",
                    SEGMENT_WAIT.as_secs()
                ),
            ))
        })
}

/// `GET …/progress`: what is ready, how fast the latest run goes and how long it has left.
fn progress(g: &Gateway, key: FileKey, plan: &Plan) -> serde_json::Value {
    let runs = g.hls().runs_of(key);
    let total = plan.segments();
    let mut spans: Vec<(u64, u64)> = runs.iter().map(|r| (r.kept_from(), r.written())).collect();
    let ready = covered(&mut spans);
    let seconds = f64::from(SEGMENT_SECONDS);
    let latest = runs.first();
    let speed = latest.map_or(0.0, |r| r.speed(seconds));
    let left = latest.and_then(|r| {
        let remaining = (total - r.written().min(total)) as f64 * seconds;
        // A paused run waits for its viewers: it has no time left of its own.
        (speed > 0.0 && r.exited().is_none() && !r.paused()).then(|| (remaining / speed).round())
    });
    json!({
        "mode": plan.mode(),
        "container": plan.container,
        "video": plan.video,
        "audio": plan.audio,
        "duration": plan.duration,
        "segmentSeconds": SEGMENT_SECONDS,
        "segments": total,
        "segmentsReady": ready,
        "percent": (ready as f64 * 1000.0 / total as f64).round() / 10.0,
        "speed": (speed * 100.0).round() / 100.0,
        "secondsLeft": left,
        "runs": runs.iter().map(|r| json!({
            "folder": r.folder(),
            "from": r.first,
            "keptFrom": r.kept_from(),
            "written": r.written(),
            "running": r.exited().is_none(),
            "paused": r.paused(),
        })).collect::<Vec<_>>(),
    })
}
