//! The streaming-server fallback: a torrent that still has fewer than the configured number of
//! WebRTC peers after a short wait is handed to a companion's gateway (`shoal serve`, which
//! joins the ordinary TCP swarm: trackers over HTTP/UDP, the DHT), and the player adds the
//! gateway as an HTTP source. Peers stay first; the engine asks the gateway for what they do not
//! bring in time (the web seed policy), and the stats count its bytes as "via companion".
//!
//! With several streaming servers, they are ranked by their health and round trip first
//! (`servers.rs`). For each, best first, until one works:
//! 1. `POST {server}/api/torrents` with the torrent's magnet link (its trackers included);
//! 2. for a magnet whose metadata no peer has sent, `GET {server}/api/torrents/HASH/metadata`
//!    (the engine installs it only if its SHA-1 is the info hash);
//! 3. `{server}/gateway/webseed/HASH` becomes one of the torrent's web seeds.
//!
//! Then, until the torrent is complete, the serving server is asked for its health every
//! [`WATCH_MS`]; when it misses [`MISSES_BEFORE_SWITCH`] checks in a row the next server in the
//! ranking is joined the same way (its web seed added beside the dead one, which the engine's
//! web-seed policy stops waiting on), and the panel says so.

use wasm_bindgen_futures::JsFuture;

use super::settings::Settings;
use crate::api::{http, ApiError};

/// Largest `POST /api/torrents` answer read (a few hundred bytes of JSON).
const MAX_ADD_ANSWER: usize = 64 * 1024;
/// Largest info dict taken from a gateway (the engine refuses larger ones too).
const MAX_INFO_DICT: usize = 16 << 20;
/// How long the gateway may take to find the metadata (its own default wait is 60 s).
const METADATA_SECONDS: u32 = 90;
/// How often the serving streaming server is asked whether it is still there.
const WATCH_MS: u32 = 5_000;
/// Health checks missed in a row before the next server is joined (one may be a blip).
const MISSES_BEFORE_SWITCH: u32 = 2;

/// Counts a serving server's missed health checks; says when to move on.
#[derive(Debug, Default)]
struct Misses(u32);

impl Misses {
    /// One health check's outcome; whether the server is now taken as gone.
    fn heard(&mut self, answered: bool) -> bool {
        self.0 = if answered { 0 } else { self.0 + 1 };
        self.0 >= MISSES_BEFORE_SWITCH
    }
}

/// When and where to fall back, from the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Streaming servers (`http(s)://host:port`), best first.
    pub(crate) servers: Vec<String>,
    /// Seconds to wait for WebRTC peers first.
    pub(crate) after_secs: u32,
    /// Fewer open peers than this after the wait: fall back.
    pub(crate) min_peers: usize,
}

impl Policy {
    pub(crate) fn of(settings: &Settings) -> Self {
        Self {
            servers: settings.streaming_servers.clone(),
            after_secs: settings.gateway_after_secs,
            min_peers: settings.gateway_min_peers,
        }
    }

    /// Whether, with `peers` open after the wait, the gateway is needed.
    pub(crate) fn wants_gateway(&self, peers: usize) -> bool {
        !self.servers.is_empty() && peers < self.min_peers
    }
}

/// The HLS playlist of file `index` of torrent `hash` on `server`: the gateway converts the
/// file (ffmpeg) for browsers that cannot play its container or codecs.
pub(crate) fn hls_url(server: &str, hash: &str, index: usize) -> String {
    format!(
        "{}/hls/{hash}/{index}/index.m3u8",
        server.trim_end_matches('/')
    )
}

/// Hands the torrent (`magnet`) to the first streaming server that takes it and gives the HLS
/// address of file `index` there; `Err` says why each server refused.
pub(crate) async fn converted(
    servers: &[String],
    magnet: &str,
    hash: &str,
    index: usize,
) -> Result<String, String> {
    let mut failures = Vec::new();
    for server in servers {
        let server = server.trim_end_matches('/');
        let add = format!("{server}/api/torrents");
        let answer = http::request(
            "POST",
            &add,
            Some(magnet),
            http::TIMEOUT_SECONDS,
            MAX_ADD_ANSWER,
        )
        .await;
        match answer {
            Ok(_) => return Ok(hls_url(server, hash, index)),
            Err(e) => failures.push(format!("{server}: {}", e.sentence())),
        }
    }
    Err(failures.join("; "))
}

/// The web seed URL of torrent `hash` on `server`.
pub(crate) fn webseed_url(server: &str, hash: &str) -> String {
    format!("{}/gateway/webseed/{hash}", server.trim_end_matches('/'))
}

/// Waits, then hands the torrent to the first streaming server that takes it when too few
/// peers came. `report` is told what happens, as a short sentence for the stats panel.
pub(crate) async fn fall_back(torrent: runtime::Torrent, policy: Policy, report: impl Fn(String)) {
    if policy.servers.is_empty() {
        return;
    }
    sleep_ms(policy.after_secs.saturating_mul(1000)).await;
    let stats = torrent.stats();
    if !policy.wants_gateway(stats.peers) || torrent_done(&stats) {
        return;
    }
    let hash = torrent.info_hash();
    let magnet = torrent.magnet().to_uri();
    let (servers, why) = super::servers::ranked(&policy.servers).await;
    // How the order was made, said with each server (nothing with one server).
    let how = if why.is_empty() {
        String::new()
    } else {
        format!(" ({why})")
    };
    let mut failures = Vec::new();
    // After a switch, the panel says which server went away instead of how the order was made.
    let mut note = how;
    for server in &servers {
        let server = server.trim_end_matches('/');
        report(format!("asking {server}{note}"));
        match join(&torrent, server, &hash, &magnet).await {
            Ok(()) => {
                report(format!("via {server}{note}"));
                if !serves_until_gone(&torrent, server).await {
                    return;
                }
                failures.push(format!("{server}: stopped answering"));
                note = format!(" (switched: {server} stopped answering)");
            }
            Err(ApiError::Aborted) => return,
            Err(e) => failures.push(format!("{server}: {}", e.sentence())),
        }
    }
    report(format!("unavailable ({})", failures.join("; ")));
}

/// Watches the server the torrent is fetched through: `false` once the torrent is complete,
/// `true` when the server stopped answering its health checks.
async fn serves_until_gone(torrent: &runtime::Torrent, server: &str) -> bool {
    let mut misses = Misses::default();
    loop {
        sleep_ms(WATCH_MS).await;
        if torrent_done(&torrent.stats()) {
            return false;
        }
        if misses.heard(super::servers::answers(server).await) {
            return true;
        }
    }
}

/// Steps 1–3 with one server.
async fn join(
    torrent: &runtime::Torrent,
    server: &str,
    hash: &str,
    magnet: &str,
) -> Result<(), ApiError> {
    let add = format!("{server}/api/torrents");
    http::request(
        "POST",
        &add,
        Some(magnet),
        http::TIMEOUT_SECONDS,
        MAX_ADD_ANSWER,
    )
    .await?;
    if !torrent.stats().metadata_ready {
        let url = format!("{server}/api/torrents/{hash}/metadata");
        let info = http::request("GET", &url, None, METADATA_SECONDS, MAX_INFO_DICT).await?;
        // Peers may have sent it meanwhile: then this is a no-op.
        torrent
            .provide_metadata(&info)
            .map_err(|e| ApiError::BadBody(e.to_string()))?;
    }
    torrent.add_gateway(&webseed_url(server, hash));
    Ok(())
}

/// Every piece is there already (a seed, or a stored torrent): nothing to fetch.
fn torrent_done(stats: &runtime::Stats) -> bool {
    stats.pieces_total > 0 && stats.pieces_verified == stats.pieces_total
}

async fn sleep_ms(ms: u32) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let ms = i32::try_from(ms).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_server_is_left_after_two_missed_checks_in_a_row_only() {
        let mut m = Misses::default();
        assert!(!m.heard(false), "one miss may be a blip");
        assert!(!m.heard(true));
        assert!(!m.heard(false), "the answer in between reset the count");
        assert!(m.heard(false));
    }

    #[test]
    fn the_hls_address_names_the_file_on_the_server() {
        assert_eq!(
            hls_url("http://127.0.0.1:8080/", "ab12", 3),
            "http://127.0.0.1:8080/hls/ab12/3/index.m3u8"
        );
    }

    #[test]
    fn the_gateway_is_wanted_below_the_peer_threshold_only_with_a_server() {
        let p = Policy {
            servers: vec!["http://127.0.0.1:8080".to_owned()],
            after_secs: 5,
            min_peers: 5,
        };
        assert!(p.wants_gateway(0));
        assert!(p.wants_gateway(4));
        assert!(!p.wants_gateway(5));
        let none = Policy {
            servers: Vec::new(),
            ..p
        };
        assert!(!none.wants_gateway(0));
        assert_eq!(
            webseed_url("http://h:1/", "ab"),
            "http://h:1/gateway/webseed/ab"
        );
    }
}
