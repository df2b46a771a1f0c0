//! Engine configuration. Defaults follow WebTorrent (protocols.md §3.4–3.6) where it has a
//! number, so a Shoal peer behaves like one in a mixed swarm.

use metainfo::PeerId;

/// How one engine behaves. Build with [`Config::new`] and adjust fields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// Our peer id (sent in handshakes).
    pub peer_id: PeerId,
    /// Seed for the engine's tie-breaking randomness (rarest-first ties, optimistic unchoke).
    pub seed: u64,
    /// Peers we upload to at once (including the optimistic slot). WebTorrent: 10.
    pub upload_slots: usize,
    /// How often the choker re-evaluates, ms. WebTorrent: 10 s.
    pub choke_interval_ms: u64,
    /// How often the optimistic slot rotates, ms.
    pub optimistic_interval_ms: u64,
    /// Most requests we keep outstanding at one peer, whatever its rate (also capped by its
    /// `reqq`).
    pub max_pipeline: u32,
    /// Outstanding requests we assume a peer accepts when it sends no `reqq`.
    pub default_reqq: u32,
    /// Requests we queue from one peer before rejecting more; advertised as our `reqq`.
    pub our_reqq: u32,
    /// A peer that unchoked us but sent no block for this long has its requests released to
    /// others (and is snubbed: pipeline 1 until it delivers), ms.
    pub request_timeout_ms: u64,
    /// A peer that sent nothing at all for this long is closed, ms.
    pub idle_timeout_ms: u64,
    /// A peer whose BitTorrent handshake is not complete this long after it connected is
    /// closed, ms, however many bytes of it trickle in (a slow-loris would otherwise hold a
    /// peer slot for good: each byte resets the idle timer). Longer than a session's
    /// first-byte timeout (15 s), which closes a connection that stays silent. libtorrent: 10 s.
    pub handshake_timeout_ms: u64,
    /// Send a keep-alive when we sent nothing for this long, ms. WebTorrent: 55 s.
    pub keepalive_ms: u64,
    /// Hash failures charged to a peer before it is banned (see `engine/verify.rs`).
    pub max_hash_fails: u32,
    /// Cap on bytes of partially downloaded pieces held in memory. Reader deadline pieces may
    /// exceed it by their own size (a player must never stall on this cap).
    pub max_inflight_bytes: u64,
    /// Bytes ahead of each reader's position that are fetched before anything else.
    pub reader_window_bytes: u64,
    /// Bytes ahead of each reader's position that are fetched in order after the deadline
    /// window (before rarest-first) and that the in-memory [`Storage`](crate::Storage)
    /// evicts last ([`Storage::keep_first`](crate::Storage)). With
    /// [`Config::external_store`] and a small window, what a reader reaches next is then in
    /// memory when it gets there, rather than fetched at random, written out and loaded back
    /// from the store. 0: rarest-first and plain least-recently-used.
    pub keep_ahead_bytes: u64,
    /// New pieces are started lowest index first instead of rarest first. For small files
    /// read front to back whose missing remainder another source fills from the first missing
    /// byte (an HLS segment: HTTP resumes it with one `Range`), where a piece past a hole is
    /// wasted when that source takes over. Rarest-first spreads pieces over a swarm of peers
    /// that trade them for long, which such a file does not have time for.
    pub in_order: bool,
    /// Largest metadata (info dict) accepted from ut_metadata. WebTorrent: 10,000,000.
    pub max_metadata_size: u64,
    /// Most peer connections kept; more are closed at once. WebTorrent: 55.
    pub max_peers: usize,
    /// Advertise and read BEP 11 peer exchange (`ut_pex`), whose addresses come out as
    /// [`Output::PeerAddrs`](crate::Output::PeerAddrs). Off by default: over WebRTC a peer's
    /// address cannot be dialled; a TCP driver turns it on.
    pub pex: bool,
    /// The port TCP peers can dial us on, sent as `p` in our extended handshake (BEP 10) so a
    /// peer that only saw our outgoing connection's port can still pass our address on (BEP
    /// 11). `None` over WebRTC, where no one dials.
    pub listen_port: Option<u16>,
    /// Webseed (BEP 19) scheduling.
    pub webseed: WebseedConfig,
    /// Wire decoder limits (the piece count limit is lowered to the torrent's own).
    pub limits: wire::Limits,
    /// In debug builds, check the STATE.md invariants after every input and panic if one is
    /// broken (tests and the simulator turn this on; it costs time per input).
    pub check_invariants: bool,
    /// Hash downloaded pieces outside the engine: a whole piece is handed out as
    /// [`Output::HashPiece`](crate::Output::HashPiece) and judged when the driver answers with
    /// [`Input::PieceHashed`](crate::Input::PieceHashed). A browser uses it to hash with
    /// SubtleCrypto, which is faster than SHA-1 in wasm and does not block the page. Off: the
    /// injected [`PieceHasher`](crate::PieceHasher) hashes inline (natives, the simulator).
    pub deferred_hashing: bool,
    /// Keep verified pieces in a persistent store outside the engine: each verified piece is
    /// handed out as [`Output::StorePiece`](crate::Output::StorePiece), and a stored piece
    /// that the in-memory [`Storage`](crate::Storage) (then only a bounded window) no longer
    /// holds is asked for with [`Output::LoadPiece`](crate::Output::LoadPiece) and checked
    /// again when it comes back. A browser uses it for IndexedDB; off, the [`Storage`] holds
    /// everything the engine has (natives, the simulator).
    pub external_store: bool,
    /// Serve, never fetch: the engine is never interested in a peer, so it never requests a
    /// block, and never asks a webseed; it answers requests for the pieces it has and sends a
    /// `have` for each piece that arrives later through [`Engine::import_piece`] or
    /// [`Engine::import_hashed`](crate::Engine::import_hashed). For a driver that downloads
    /// the torrent by other means and seeds what it has so far (the companion seeding, over
    /// WebRTC, a torrent its gateway is still fetching from TCP peers). The metadata is still
    /// fetched from peers when the engine started from a magnet: nothing can be served
    /// without it. A peer that has everything is closed once the metadata is known
    /// ([`CloseReason::OnlyUploading`](crate::CloseReason::OnlyUploading)), as two seeds close
    /// each other: it frees the slot for a peer that lacks something.
    ///
    /// [`Engine::import_piece`]: crate::Engine::import_piece
    pub upload_only: bool,
}

/// When and how the engine uses HTTP webseeds: peers first, HTTP for pieces at risk and for
/// pieces no peer has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebseedConfig {
    /// Concurrent requests per webseed. WebTorrent: 4.
    pub max_concurrent: usize,
    /// A request with no response after this long fails, ms. WebTorrent: 60 s.
    pub timeout_ms: u64,
    /// After a failure, the piece is not asked of that webseed again for this long, ms.
    /// WebTorrent: 10 s.
    pub retry_ms: u64,
    /// A reader's critical piece is at risk when the reader has waited this long for it and
    /// the peers working on it will not finish it within the same time, ms.
    pub risk_ms: u64,
    /// Pieces that no connected peer has are fetched over HTTP once the engine has run this
    /// long (peers get a moment to connect and send their bitfields first), ms.
    pub no_peer_grace_ms: u64,
}

impl Default for WebseedConfig {
    fn default() -> Self {
        Self {
            max_concurrent: 4,
            timeout_ms: 60_000,
            retry_ms: 10_000,
            risk_ms: 2_000,
            no_peer_grace_ms: 3_000,
        }
    }
}

impl Config {
    /// Defaults for a peer with this id and randomness seed.
    pub fn new(peer_id: PeerId, seed: u64) -> Self {
        Self {
            peer_id,
            seed,
            upload_slots: 10,
            choke_interval_ms: 10_000,
            optimistic_interval_ms: 30_000,
            max_pipeline: 128,
            default_reqq: 128,
            our_reqq: 250,
            request_timeout_ms: 10_000,
            idle_timeout_ms: 120_000,
            handshake_timeout_ms: 20_000,
            keepalive_ms: 55_000,
            max_hash_fails: 3,
            max_inflight_bytes: 32 * 1024 * 1024,
            reader_window_bytes: 4 * 1024 * 1024,
            keep_ahead_bytes: 0,
            in_order: false,
            max_metadata_size: wire::MAX_METADATA_SIZE,
            max_peers: 55,
            pex: false,
            listen_port: None,
            webseed: WebseedConfig::default(),
            limits: wire::Limits::default(),
            check_invariants: false,
            deferred_hashing: false,
            external_store: false,
            upload_only: false,
        }
    }
}
