//! What a session shows about itself: its figures ([`Stats`]) and each tracker's state
//! ([`TrackerStatus`]).

use serde::Serialize;

/// A snapshot of one torrent's figures for the stats panel.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Stats {
    /// Open data channels (handshaken or not).
    pub peers: usize,
    /// Connections to peers that answered (or whose offer we answer) but whose data channel
    /// is not open yet. Not counted in `peers`.
    pub connecting: usize,
    /// Piece bytes per second received (peers and webseeds), over the last few seconds.
    pub download_bps: f64,
    /// Piece bytes per second sent, over the last few seconds.
    pub upload_bps: f64,
    /// Piece bytes received from peers.
    pub bytes_from_peers: u64,
    /// Piece bytes received from HTTP webseeds.
    pub bytes_from_http: u64,
    /// Of those, bytes from a companion's gateway ([`Session::add_gateway`](crate::Session::add_gateway)).
    pub bytes_via_gateway: u64,
    /// Piece bytes sent to peers.
    pub uploaded: u64,
    /// Pieces in the torrent (0 until the metadata is known).
    pub pieces_total: u32,
    /// Pieces verified.
    pub pieces_verified: u32,
    /// One flag per piece: verified or not.
    pub have: Vec<bool>,
    /// Each tracker's connection state: the WebSocket trackers, then the HTTP and UDP ones.
    pub trackers: Vec<TrackerStatus>,
    /// How long the torrent has had no peer at all, if it has none now, ms.
    pub waiting_for_peers_ms: Option<u64>,
    /// Whether the file list is known.
    pub metadata_ready: bool,
    /// HTTP webseeds the torrent can use (its `url-list` and the magnet's `ws=`).
    pub webseeds: usize,
    /// Bytes handed to readers (the player).
    pub bytes_read: u64,
    /// Of those, bytes that came from the persistent store (hit rate = this / `bytes_read`).
    pub bytes_read_from_store: u64,
    /// Pieces loaded back from the store and verified.
    pub store_loads: u64,
    /// Pieces the store returned damaged or missing (fetched again).
    pub store_misses: u64,
    /// Pieces the store could not write (full or failing).
    pub store_write_failures: u64,
    /// Pieces that failed their hash (a peer or webseed sent wrong bytes; fetched again).
    pub hash_failures: u64,
    /// Peers banned for sending data that failed its hash.
    pub peers_banned: u64,
    /// Why the last open peer connection ended, as a sentence ("the connection closed" when
    /// the transport ended it): what a stalled download's figures need beside `peers: 0`.
    pub last_peer_close: Option<String>,
}

/// One tracker as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackerStatus {
    /// The tracker's URL.
    pub url: String,
    /// `connecting`, `connected`, `answered` (an announce response arrived) or `failed`.
    pub state: String,
    /// What went wrong last, as a sentence.
    pub error: Option<String>,
    /// Peers learned through this tracker (offers and answers relayed to us; for an HTTP or
    /// UDP tracker, the addresses it listed).
    pub peers_seen: usize,
}

impl TrackerStatus {
    /// The socket (re)opened: the last failure is over, so its sentence goes.
    pub(crate) fn connected(&mut self) {
        self.state = "connected".to_owned();
        self.error = None;
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::TrackerStatus;

    #[test]
    fn a_reconnect_clears_the_last_failure() {
        let mut t = TrackerStatus {
            url: "wss://t".to_owned(),
            state: "failed".to_owned(),
            error: Some("the connection to wss://t closed or could not be opened".to_owned()),
            peers_seen: 3,
        };
        t.connected();
        assert_eq!(t.state, "connected");
        assert_eq!(t.error, None);
        assert_eq!(t.peers_seen, 3, "what it did before still counts");
    }
}
