//! How a [`Session`](crate::Session) runs: its trackers and webseeds, its peer cap, how many
//! offers it makes, and the seeds of its randomness.

use std::time::Duration;

use tracker_proto::SplitMix64;

/// A peer connection that has not opened this long after it was started is closed.
pub const CONNECT_TIMEOUT_MS: u64 = 30_000;
/// An open connection that has received nothing (not even the handshake) this long after it
/// opened is closed.
pub const FIRST_BYTE_TIMEOUT_MS: u64 = 15_000;

/// Settings of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Our peer id (announced to trackers; the engine's is set in its own config).
    pub peer_id: [u8; 20],
    /// WebSocket tracker URLs; [`TrackerIdx`](crate::TrackerIdx) `i` is `trackers[i]`.
    pub trackers: Vec<String>,
    /// HTTP and UDP tracker URLs (`http://`, `https://`, `udp://`), announced to with
    /// [`listen_port`](Self::listen_port); the peers they name are dialled. A URL that is
    /// neither shows as a failed tracker. [`ClassicTrackerIdx`](crate::ClassicTrackerIdx) `i`
    /// is `classic_trackers[i]`.
    pub classic_trackers: Vec<String>,
    /// The TCP port we accept peers on, announced to classic trackers (0: none).
    pub listen_port: u16,
    /// Webseed base URLs, in the order the engine was given them (its `webseed` indices).
    pub webseeds: Vec<String>,
    /// Most peer connections, counting those still offering, answering or connecting.
    pub max_peers: usize,
    /// Offers made per announce (WebTorrent: 5). 0 for a platform that only answers (a seeder)
    /// or has no offers at all (TCP).
    pub max_offers: u64,
    /// First reconnect delay after a tracker closes (doubled per retry); `None` keeps
    /// WebTorrent's 10 s.
    pub reconnect_base: Option<Duration>,
    /// Random extra reconnect delay; `None` keeps WebTorrent's 300 s.
    pub reconnect_jitter: Option<Duration>,
    /// Seed of the generator behind offer ids and the announcers' jitter: pass a random value.
    pub rng_seed: u64,
}

impl SessionConfig {
    /// A session announcing as `peer_id` with WebTorrent's defaults: no trackers or webseeds
    /// yet, 20 peers, 5 offers per announce.
    pub fn new(peer_id: [u8; 20], rng_seed: u64) -> Self {
        Self {
            peer_id,
            trackers: Vec::new(),
            classic_trackers: Vec::new(),
            listen_port: 0,
            webseeds: Vec::new(),
            max_peers: 20,
            max_offers: 5,
            reconnect_base: None,
            reconnect_jitter: None,
            rng_seed,
        }
    }
}

/// 20 random bytes (an offer id) from the session's generator.
pub(crate) fn id20(rng: &mut SplitMix64) -> [u8; 20] {
    let mut id = [0u8; 20];
    for chunk in id.chunks_mut(8) {
        let r = rng.next_u64().to_le_bytes();
        chunk.copy_from_slice(&r[..chunk.len()]);
    }
    id
}
