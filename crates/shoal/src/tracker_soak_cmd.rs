//! `shoal tracker-soak`: well-behaved and abusive clients against a tracker for a long time
//! (`tracker::soak`), printed as one line per window and a summary. scripts/soak-tracker.sh
//! starts our tracker and runs it.

use anyhow::Context;
use tracker::soak::{Abuse, SoakConfig};

use crate::process::BadInput;

/// `shoal tracker-soak` options.
#[derive(clap::Args)]
pub struct SoakArgs {
    /// Tracker URL, `ws://IP:PORT/`.
    #[arg(long, default_value = "ws://127.0.0.1:8000/")]
    url: String,
    /// Well-behaved clients (each announces like WebTorrent and times the answer).
    #[arg(long, default_value_t = 9_000)]
    normal: usize,
    /// Abusive clients (malformed JSON, floods, oversize frames, slow readers, silent sockets).
    #[arg(long, default_value_t = 1_000)]
    abusive: usize,
    /// Distinct torrents.
    #[arg(long, default_value_t = 1_000)]
    torrents: usize,
    /// Seconds between a normal client's announces.
    #[arg(long, default_value_t = 10)]
    announce_every: u64,
    /// Seconds the soak runs.
    #[arg(long, default_value_t = 1_800)]
    duration: u64,
    /// Seconds per sample line.
    #[arg(long, default_value_t = 10)]
    sample_every: u64,
    /// Clients per loopback source address.
    #[arg(long, default_value_t = 200)]
    per_source: usize,
    /// The tracker's process id, to sample its memory.
    #[arg(long)]
    pid: Option<u32>,
    /// Seed of the random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Runs `shoal tracker-soak` and prints its figures.
pub fn run(args: &SoakArgs) -> anyhow::Result<()> {
    let config = SoakConfig {
        url: args.url.clone(),
        normal: args.normal,
        abusive: args.abusive,
        torrents: args.torrents,
        announce_every_secs: args.announce_every,
        duration_secs: args.duration,
        sample_every_secs: args.sample_every,
        per_source: args.per_source,
        tracker_pid: args.pid,
        seed: args.seed,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let report = runtime
        .block_on(tracker::soak::run(config, |s| {
            let rss = s.rss_kib.map_or_else(|| "-".to_owned(), |k| k.to_string());
            let (p50, p99, max) = s.latency_ms;
            println!(
                "t={}s rss_kib={rss} normal_open={} answered={} p50_ms={p50:.1} p99_ms={p99:.1} \
                 max_ms={max:.1} late={} abusive_ended={}",
                s.t, s.normal_open, s.answered, s.late, s.abusive_ended
            );
        }))
        .map_err(|e| BadInput(e.to_string()))?;
    let (rss, peak) = report.rss_kib.unwrap_or((0, 0));
    let kinds: Vec<String> = Abuse::ALL
        .iter()
        .zip(report.abusive_ended_by_kind)
        .map(|(kind, n)| format!("{kind:?}={n}"))
        .collect();
    println!(
        "RESULT normal_dropped={} normal_connect_failures={} abusive_ended=[{}] \
         tracker_rss_kib={rss} tracker_peak_rss_kib={peak}",
        report.normal_dropped,
        report.normal_connect_failures,
        kinds.join(" ")
    );
    Ok(())
}
