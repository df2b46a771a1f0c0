//! `GET /health`: `ok` as text for probes; as JSON when the client asks for it (`Accept:
//! application/json`), the figures an app weighs when it picks one of several streaming
//! servers: the host's load per core, its free memory, and the gateway's open streams and
//! torrents. The app adds the round trip it measures (crates/app `player/servers.rs`).

use std::sync::atomic::Ordering::Relaxed;

use axum::{
    extract::State,
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
    Json,
};
use companion_api::Health;

use super::routes::Companion;

pub(super) async fn health(State(c): State<Companion>, headers: HeaderMap) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if !wants_json {
        return "ok\n".into_response();
    }
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let (streams, torrents) = c.gateway.as_ref().map_or((0, 0), |g| {
        (g.figures.streams.load(Relaxed), g.count() as u64)
    });
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            // Apps served by another companion probe this one too.
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        Json(Health {
            ok: true,
            load_per_core: load_average().map(|l| l / cores as f64),
            free_memory_bytes: available_memory(),
            gateway: c.gateway.is_some(),
            active_streams: streams,
            torrents,
        }),
    )
        .into_response()
}

/// The one-minute load average (Linux `/proc/loadavg`; `None` elsewhere).
fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    parse_loadavg(&text)
}

fn parse_loadavg(text: &str) -> Option<f64> {
    text.split_whitespace()
        .next()?
        .parse::<f64>()
        .ok()
        .filter(|l| l.is_finite())
}

/// Memory available to new work (Linux `/proc/meminfo` `MemAvailable`; `None` elsewhere).
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_available(&text)
}

fn parse_mem_available(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_figures_are_read_and_bad_ones_refused() {
        assert_eq!(parse_loadavg("0.52 0.58 0.59 1/467 12345\n"), Some(0.52));
        assert_eq!(parse_loadavg("nan 1 1"), None);
        assert_eq!(parse_loadavg(""), None);
        let meminfo =
            "MemTotal:       16318136 kB\nMemFree:  1000 kB\nMemAvailable:   8155048 kB\n";
        assert_eq!(parse_mem_available(meminfo), Some(8_155_048 * 1024));
        assert_eq!(parse_mem_available("MemFree: 1 kB\n"), None);
        assert_eq!(parse_mem_available("MemAvailable: lots kB\n"), None);
    }
}
