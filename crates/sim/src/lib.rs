//! A deterministic swarm simulator: N [`swarm::Engine`]s on virtual time, exchanging real wire
//! bytes over links with latency, bandwidth and loss, plus an HTTP webseed and hostile peers.
//!
//! Same [`SimConfig`] (including its seed) → same [`Summary`], bit for bit: all randomness
//! comes from one ChaCha stream, all collections iterate in a fixed order, and time is a
//! counter. See `tests/` for one scenario per behaviour and `shoal sim` for the CLI.
//!
//! # Link model
//!
//! Every node has one uplink of `upload` bytes/s shared by all its connections (a FIFO, like a
//! browser's SCTP association over one network path); downlinks are unlimited. A sent chunk
//! arrives `latency` after its last byte left. Data channels are reliable and ordered, so
//! *loss* shows as delay: a chunk that loses any of its ~1200-byte packets arrives two latencies
//! (a retransmission) later, and chunks behind it on the same connection wait for it.
//!
//! ```
//! # use shoal_sim as sim;
//! let summary = sim::run(&sim::SimConfig { peers: 3, size: 256 * 1024, ..sim::SimConfig::default() });
//! assert_eq!(summary.peers_finished, 3);
//! assert!(summary.violations.is_empty());
//! ```

mod hostile;
mod net;
mod storage;

pub use hostile::Hostile;
pub use net::run;
pub use storage::SimStorage;

use serde::Serialize;

/// One simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Leechers (honest peers that download).
    pub peers: usize,
    /// Seeders (start with all the data).
    pub seeders: usize,
    /// Hostile peers, kinds from `hostile_kinds` in turn.
    pub hostile: usize,
    /// Which misbehaviours the hostile peers use, cycled (default: all of [`Hostile::ALL`]).
    pub hostile_kinds: Vec<Hostile>,
    /// Torrent size in bytes.
    pub size: u64,
    /// Piece length in bytes.
    pub piece_length: u64,
    /// Seeders' upload, kbit/s.
    pub seeder_upload_kbps: u64,
    /// Leechers' upload, kbit/s.
    pub peer_upload_kbps: u64,
    /// One-way latency of every link, ms.
    pub latency_ms: u64,
    /// Packet loss probability (0..1).
    pub loss: f64,
    /// Randomness seed.
    pub seed: u64,
    /// Serve the torrent from an HTTP webseed too (in `url-list` / `ws=`).
    pub webseed: bool,
    /// Webseed download rate per request, kbit/s.
    pub webseed_kbps: u64,
    /// Each leecher opens a reader at this fraction of the torrent at start.
    pub reader_at: Option<f64>,
    /// Leechers start from a magnet (fetch the metadata over ut_metadata first).
    pub magnet: bool,
    /// Give up after this much virtual time, ms.
    pub max_time_ms: u64,
    /// Check the engines' STATE.md invariants every 32 inputs (slower).
    pub check_invariants: bool,
    /// Keep real piece bytes in each peer's memory store (see [`SimStorage`]).
    pub real_storage: bool,
    /// Webseed at-risk threshold for the engines, ms.
    pub risk_ms: u64,
    /// Upload slots per engine.
    pub upload_slots: usize,
    /// Seeders start with no piece and are upload-only (`swarm::Config::upload_only`): the
    /// driver imports piece `p` at `(p + 1) × this` ms, as the companion's gateway hands its
    /// WebRTC seeder each piece it fetched over TCP. `None`: seeders start with every piece.
    pub seeder_trickle_ms: Option<u64>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            peers: 1,
            seeders: 1,
            hostile: 0,
            hostile_kinds: Hostile::ALL.to_vec(),
            size: 1024 * 1024,
            piece_length: 64 * 1024,
            seeder_upload_kbps: 20_000,
            peer_upload_kbps: 20_000,
            latency_ms: 20,
            loss: 0.0,
            seed: 1,
            webseed: false,
            webseed_kbps: 20_000,
            reader_at: None,
            magnet: false,
            max_time_ms: 3_600_000,
            check_invariants: false,
            real_storage: false,
            risk_ms: 2_000,
            upload_slots: 4,
            seeder_trickle_ms: None,
        }
    }
}

/// What happened, for humans (JSON via serde) and tests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Leechers that were to finish.
    pub peers: usize,
    /// Leechers that finished.
    pub peers_finished: usize,
    /// Median virtual time to finish, ms (of those that finished).
    pub finish_ms_median: Option<u64>,
    /// Longest virtual time to finish, ms.
    pub finish_ms_max: Option<u64>,
    /// Bytes the seeders uploaded.
    pub seeder_uploaded: u64,
    /// `seeder_uploaded / size`.
    pub seeder_upload_ratio: f64,
    /// Piece bytes leechers received from peers.
    pub bytes_from_peers: u64,
    /// Piece bytes leechers received from the webseed.
    pub bytes_from_webseeds: u64,
    /// `bytes_from_webseeds / (bytes_from_peers + bytes_from_webseeds)`.
    pub http_share: f64,
    /// Pieces (or metadata) that failed their hash at honest leechers.
    pub hash_failures: u64,
    /// Connections honest leechers closed with a ban.
    pub peers_banned: u64,
    /// Connections to hostile peers that honest leechers closed (ban, protocol, stall).
    pub hostile_disconnected: u64,
    /// Bytes handed to readers (or stored) that differ from the true content. Must be 0.
    pub corrupt_bytes_delivered: u64,
    /// Median time from start to a reader's first byte, ms.
    pub reader_ttfb_ms: Option<u64>,
    /// Median time until all pieces before the reader's position were verified, ms.
    pub reader_behind_done_ms: Option<u64>,
    /// Virtual time simulated, ms.
    pub virtual_ms: u64,
    /// Events processed.
    pub events: u64,
    /// Broken invariants (empty when all is well).
    pub violations: Vec<String>,
}
