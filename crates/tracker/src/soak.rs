//! A long soak of a WebTorrent WebSocket tracker: well-behaved clients beside abusive ones.
//!
//! Unlike [`crate::load`], which measures how many announces a tracker can answer, the soak asks
//! whether the tracker stays healthy for a long time while some clients misbehave: its memory
//! stays flat, it does not die, and the well-behaved clients keep getting their answers on time.
//!
//! - `normal` clients behave like WebTorrent: each announces one torrent every
//!   `announce_every_secs` (with offers), answers a share of the offers relayed to it, and times
//!   each announce until its response.
//! - `abusive` clients cycle through [`Abuse`] kinds (by index) and reconnect a second after the
//!   tracker throws them out, so the pressure never lets up.
//!
//! Clients connect from many loopback source addresses (`127.1.x.y` for normal ones,
//! `127.2.x.y` for abusive ones, `per_source` each) so the tracker's per-address limit applies
//! to each address as it would to browsers behind one NAT, without capping the soak itself.
//! Every `sample_every_secs` a [`SoakSample`] records the tracker's memory and the latencies
//! seen in that window.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, PoisonError,
    },
    time::{Duration, Instant},
};

use tokio::sync::watch;

use crate::load::process_memory_kib;

mod clients;
use clients::{abusive, normal};

/// What to run.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// Tracker address, `ws://IP:PORT/` (an IP, so clients can choose their source address).
    pub url: String,
    /// Well-behaved clients.
    pub normal: usize,
    /// Abusive clients.
    pub abusive: usize,
    /// Distinct info hashes the normal clients announce (skewed as in [`crate::load`]).
    pub torrents: usize,
    /// Seconds between a normal client's announces.
    pub announce_every_secs: u64,
    /// Seconds the soak runs once every client has connected.
    pub duration_secs: u64,
    /// Seconds per sample.
    pub sample_every_secs: u64,
    /// Clients per loopback source address (the tracker allows 256 per address by default).
    pub per_source: usize,
    /// Tracker process id, to sample its memory from `/proc`.
    pub tracker_pid: Option<u32>,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Default for SoakConfig {
    fn default() -> Self {
        Self {
            url: "ws://127.0.0.1:8000/".to_owned(),
            normal: 9_000,
            abusive: 1_000,
            torrents: 1_000,
            announce_every_secs: 10,
            duration_secs: 1_800,
            sample_every_secs: 10,
            per_source: 200,
            tracker_pid: None,
            seed: 1,
        }
    }
}

/// The ways an abusive client misbehaves; client `i` is `ALL[i % 5]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abuse {
    /// Text frames that are not JSON, twenty a second.
    Malformed,
    /// Valid announces as fast as the socket takes them, never waiting for an answer.
    Flood,
    /// One 1 MiB text frame (the tracker's limit is 64 KiB).
    Oversize,
    /// Announces popular torrents with offers every two seconds and never reads a byte, so
    /// everything the tracker sends it piles up.
    SlowReader,
    /// Opens TCP and never sends the WebSocket handshake.
    Silent,
}

impl Abuse {
    /// Every kind, in the order clients take them.
    pub const ALL: [Self; 5] = [
        Self::Malformed,
        Self::Flood,
        Self::Oversize,
        Self::SlowReader,
        Self::Silent,
    ];
}

/// One window of the soak.
#[derive(Debug, Clone, Default)]
pub struct SoakSample {
    /// Seconds since the soak started.
    pub t: u64,
    /// Tracker `VmRSS`, KiB.
    pub rss_kib: Option<u64>,
    /// Normal clients connected at the end of the window.
    pub normal_open: u64,
    /// Normal announces answered in the window.
    pub answered: u64,
    /// Median, 99th percentile and largest announce latency in the window, ms.
    pub latency_ms: (f64, f64, f64),
    /// Normal announces still unanswered after 5 s, in the window.
    pub late: u64,
    /// Abusive connections the tracker ended (or refused) in the window.
    pub abusive_ended: u64,
}

/// The outcome.
#[derive(Debug, Clone)]
pub struct SoakReport {
    /// One per window.
    pub samples: Vec<SoakSample>,
    /// Normal connections the tracker ended (or refused) during the soak.
    pub normal_dropped: u64,
    /// Failed connection attempts of normal clients.
    pub normal_connect_failures: u64,
    /// Abusive connections ended, per [`Abuse`] kind (same order as `Abuse::ALL`).
    pub abusive_ended_by_kind: [u64; 5],
    /// Tracker `VmRSS` and `VmHWM` at the end, KiB.
    pub rss_kib: Option<(u64, u64)>,
}

/// Why the soak could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SoakError {
    /// A value is out of range or the URL is not `ws://IP:PORT/`.
    #[error("invalid soak config: {0}")]
    Invalid(&'static str),
}

#[derive(Default)]
struct Shared {
    normal_open: AtomicU64,
    normal_dropped: AtomicU64,
    normal_connect_failures: AtomicU64,
    answered: AtomicU64,
    late: AtomicU64,
    abusive_ended: AtomicU64,
    abusive_ended_by_kind: [AtomicU64; 5],
    /// Latencies (µs) of the current window.
    latencies: Mutex<Vec<u32>>,
}

/// Runs the soak and reports; `on_sample` sees each window as it closes (a soak is long).
pub async fn run(
    config: SoakConfig,
    mut on_sample: impl FnMut(&SoakSample),
) -> Result<SoakReport, SoakError> {
    if config.normal == 0 || config.torrents == 0 || config.duration_secs == 0 {
        return Err(SoakError::Invalid(
            "normal clients, torrents and duration must be positive",
        ));
    }
    if config.sample_every_secs == 0 || config.announce_every_secs == 0 || config.per_source == 0 {
        return Err(SoakError::Invalid(
            "sample, announce period and clients per source must be positive",
        ));
    }
    let server = server_addr(&config.url).ok_or(SoakError::Invalid("url must be ws://IP:PORT/"))?;
    let config = Arc::new(config);
    let shared = Arc::new(Shared::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::with_capacity(config.normal + config.abusive);
    for i in 0..config.normal {
        let source = source_ip(1, i / config.per_source);
        let (c, s, stop) = (Arc::clone(&config), Arc::clone(&shared), stop_rx.clone());
        tasks.push(tokio::spawn(normal(c, s, stop, server, source, i as u64)));
        // Connect at about 500 a second, so the tracker's accept backlog never overflows.
        if i % 50 == 49 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for i in 0..config.abusive {
        let source = source_ip(2, i / config.per_source);
        let kind = Abuse::ALL[i % Abuse::ALL.len()];
        let (c, s, stop) = (Arc::clone(&config), Arc::clone(&shared), stop_rx.clone());
        tasks.push(tokio::spawn(abusive(c, s, stop, server, source, kind)));
    }
    let start = Instant::now();
    let every = Duration::from_secs(config.sample_every_secs);
    let mut samples = Vec::new();
    let mut last_abusive = 0;
    let mut last_answered = 0;
    let mut last_late = 0;
    let windows = config.duration_secs.div_ceil(config.sample_every_secs);
    for w in 1..=windows {
        tokio::time::sleep_until((start + every * w as u32).into()).await;
        let mut window = std::mem::take(
            &mut *shared
                .latencies
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let answered = shared.answered.load(Ordering::Relaxed);
        let late = shared.late.load(Ordering::Relaxed);
        let abusive_ended = shared.abusive_ended.load(Ordering::Relaxed);
        let sample = SoakSample {
            t: start.elapsed().as_secs(),
            rss_kib: config.tracker_pid.and_then(process_memory_kib).map(|m| m.0),
            normal_open: shared.normal_open.load(Ordering::Relaxed),
            answered: answered - last_answered,
            latency_ms: percentiles(&mut window),
            late: late - last_late,
            abusive_ended: abusive_ended - last_abusive,
        };
        on_sample(&sample);
        samples.push(sample);
        (last_answered, last_late, last_abusive) = (answered, late, abusive_ended);
    }
    let report = SoakReport {
        samples,
        normal_dropped: shared.normal_dropped.load(Ordering::Relaxed),
        normal_connect_failures: shared.normal_connect_failures.load(Ordering::Relaxed),
        abusive_ended_by_kind: std::array::from_fn(|k| {
            shared.abusive_ended_by_kind[k].load(Ordering::Relaxed)
        }),
        rss_kib: config.tracker_pid.and_then(process_memory_kib),
    };
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
    }
    Ok(report)
}

/// `ws://IP:PORT/…` → the socket address.
fn server_addr(url: &str) -> Option<SocketAddr> {
    let rest = url.strip_prefix("ws://")?;
    rest.split('/').next()?.parse().ok()
}

/// Loopback address `127.<block>.<hi>.<lo>` for source number `n` (never .0 or .255).
fn source_ip(block: u8, n: usize) -> IpAddr {
    let hi = (n / 250) as u8;
    let lo = (n % 250) as u8 + 1;
    IpAddr::V4(Ipv4Addr::new(127, block, hi, lo))
}

/// Median, 99th percentile and maximum of latencies in µs, as ms.
fn percentiles(window: &mut [u32]) -> (f64, f64, f64) {
    if window.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    window.sort_unstable();
    let at = |q: f64| window[((window.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
    (at(0.5), at(0.99), at(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_stay_inside_loopback_and_skip_network_and_broadcast_octets() {
        for n in [0, 1, 249, 250, 251, 10_000] {
            let IpAddr::V4(ip) = source_ip(1, n) else {
                unreachable!()
            };
            assert!(ip.is_loopback());
            assert!((1..=250).contains(&ip.octets()[3]), "{ip}");
        }
        assert_ne!(source_ip(1, 0), source_ip(1, 250));
    }

    #[test]
    fn urls_must_name_an_ip_and_port() {
        assert_eq!(
            server_addr("ws://127.0.0.1:8000/"),
            Some("127.0.0.1:8000".parse().unwrap())
        );
        assert_eq!(server_addr("ws://localhost:8000/"), None);
        assert_eq!(server_addr("wss://127.0.0.1:8000/"), None);
    }

    #[test]
    fn percentiles_of_a_window() {
        let mut w: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        let (p50, p99, max) = percentiles(&mut w);
        assert!((50.0..=51.0).contains(&p50), "{p50}");
        assert_eq!((p99, max), (99.0, 100.0));
        assert_eq!(percentiles(&mut []), (0.0, 0.0, 0.0));
    }
}
