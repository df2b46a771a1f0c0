//! How a [`Client`](crate::Client) connects: trackers, ICE servers, peer cap, peer id, and
//! how much of a stored torrent it keeps in memory.

/// Settings for a [`Client`](crate::Client). [`Default`] joins the public WebTorrent
/// trackers through Google's STUN server with at most 20 peers per torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// WebSocket tracker URLs (`wss://…`) announced to in addition to each torrent's own.
    pub trackers: Vec<String>,
    /// ICE servers for every peer connection; empty means host candidates only (tests, LAN).
    pub ice_servers: Vec<IceServer>,
    /// Most peer connections per torrent, counting ones still connecting.
    pub max_peers: usize,
    /// Our 20-byte peer id; `None` draws a random WebTorrent-style one (`-SH0001-…`).
    pub peer_id: Option<[u8; 20]>,
    /// A torrent's piece memory when a [`Store`](crate::Store) keeps every verified piece:
    /// three quarters hold verified pieces (a window: older ones are read back from the store
    /// when needed), one quarter the pieces being downloaded and the copies waiting for their
    /// IndexedDB write (the player's next pieces may exceed it by the reader's 4 MiB).
    pub memory_window_bytes: u64,
}

/// Default [`ClientConfig::memory_window_bytes`]: 32 MiB.
pub const DEFAULT_MEMORY_WINDOW_BYTES: u64 = 32 << 20;

/// One `RTCIceServer` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceServer {
    /// `stun:` or `turn:` URLs.
    pub urls: Vec<String>,
    /// TURN user name.
    pub username: Option<String>,
    /// TURN password.
    pub credential: Option<String>,
}

impl IceServer {
    /// A STUN server (no credentials).
    pub fn stun(url: impl Into<String>) -> Self {
        Self {
            urls: vec![url.into()],
            username: None,
            credential: None,
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            trackers: vec![
                "wss://tracker.webtorrent.dev".to_owned(),
                "wss://tracker.openwebtorrent.com".to_owned(),
            ],
            ice_servers: vec![IceServer::stun("stun:stun.l.google.com:19302")],
            max_peers: 20,
            peer_id: None,
            memory_window_bytes: DEFAULT_MEMORY_WINDOW_BYTES,
        }
    }
}
