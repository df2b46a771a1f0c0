//! `shoal sim`: one deterministic swarm simulation, summarised as JSON on stdout. Exits 1 when
//! an invariant broke (a corrupt byte reached a reader, a leecher that should finish did not).

use clap::Args;

use crate::BadInput;

/// Options of `shoal sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Leechers.
    #[arg(long, default_value_t = 10)]
    peers: usize,
    /// Seeders.
    #[arg(long, default_value_t = 1)]
    seeders: usize,
    /// Hostile peers (corrupt, lying bitfield, silent, oversized, disconnecting; in turn).
    #[arg(long, default_value_t = 0)]
    hostile: usize,
    /// Torrent size in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    size: u64,
    /// Piece length in bytes.
    #[arg(long, default_value_t = 256 * 1024)]
    piece_length: u64,
    /// Seeders' upload, kbit/s.
    #[arg(long, default_value_t = 20_000)]
    upload_kbps: u64,
    /// Leechers' upload, kbit/s.
    #[arg(long, default_value_t = 20_000)]
    peer_upload_kbps: u64,
    /// One-way link latency, ms.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Packet loss probability, 0..1.
    #[arg(long, default_value_t = 0.0)]
    loss: f64,
    /// Randomness seed (same seed, same JSON).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also serve the torrent from an HTTP webseed.
    #[arg(long)]
    webseed: bool,
    /// Webseed rate per request, kbit/s.
    #[arg(long, default_value_t = 20_000)]
    webseed_kbps: u64,
    /// Each leecher reads from this fraction of the torrent (0..1) from the start.
    #[arg(long)]
    reader_at: Option<f64>,
    /// Leechers start from a magnet link (metadata over ut_metadata).
    #[arg(long)]
    magnet: bool,
    /// Give up after this much virtual time, seconds.
    #[arg(long, default_value_t = 3600)]
    max_time_s: u64,
}

/// Runs `shoal sim` and prints its JSON summary.
pub fn run(a: &SimArgs) -> anyhow::Result<()> {
    if a.size == 0 || a.piece_length == 0 || a.piece_length > metainfo::MAX_PIECE_LENGTH {
        return Err(
            BadInput("--size and --piece-length must be positive (piece ≤ 64 MiB)".into()).into(),
        );
    }
    if !(0.0..1.0).contains(&a.loss) {
        return Err(BadInput("--loss must be in [0, 1)".into()).into());
    }
    if a.reader_at.is_some_and(|f| !(0.0..=1.0).contains(&f)) {
        return Err(BadInput("--reader-at must be in [0, 1]".into()).into());
    }
    if a.peers + a.seeders + a.hostile > 55 {
        return Err(BadInput("at most 55 nodes (the engine's peer cap)".into()).into());
    }
    if a.seeders == 0 && !a.webseed {
        return Err(BadInput("no source: give --seeders or --webseed".into()).into());
    }
    let cfg = sim::SimConfig {
        peers: a.peers,
        seeders: a.seeders,
        hostile: a.hostile,
        size: a.size,
        piece_length: a.piece_length,
        seeder_upload_kbps: a.upload_kbps,
        peer_upload_kbps: a.peer_upload_kbps,
        latency_ms: a.latency_ms,
        loss: a.loss,
        seed: a.seed,
        webseed: a.webseed,
        webseed_kbps: a.webseed_kbps,
        reader_at: a.reader_at,
        magnet: a.magnet,
        max_time_ms: a.max_time_s.saturating_mul(1000),
        ..sim::SimConfig::default()
    };
    let summary = sim::run(&cfg);
    println!("{}", serde_json::to_string_pretty(&summary)?);
    if summary.violations.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("invariant broken: {}", summary.violations.join("; "))
    }
}
