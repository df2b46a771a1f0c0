//! What one announce says about us.

/// The `event` of an announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnounceEvent {
    /// A periodic announce.
    None,
    /// The first announce.
    Started,
    /// The download just finished.
    Completed,
    /// We leave the swarm.
    Stopped,
}

impl AnnounceEvent {
    /// The HTTP query value (empty for [`AnnounceEvent::None`]).
    pub fn as_query(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Started => "started",
            Self::Completed => "completed",
            Self::Stopped => "stopped",
        }
    }

    /// The BEP 15 event number.
    pub fn as_udp(self) -> u32 {
        match self {
            Self::None => 0,
            Self::Completed => 1,
            Self::Started => 2,
            Self::Stopped => 3,
        }
    }
}

/// Transfer figures announced to the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Bytes sent to peers.
    pub uploaded: u64,
    /// Bytes received and verified.
    pub downloaded: u64,
    /// Bytes still missing; `None` while the metadata is unknown.
    pub left: Option<u64>,
}

/// Everything one announce carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnnounceParams {
    /// The torrent.
    pub info_hash: [u8; 20],
    /// Our peer id.
    pub peer_id: [u8; 20],
    /// The TCP port we accept peers on (0: none).
    pub port: u16,
    /// Our figures.
    pub stats: Stats,
    /// The event.
    pub event: AnnounceEvent,
    /// Peers wanted.
    pub numwant: u32,
    /// A random key that stays the same for the whole session (trackers use it to recognise
    /// us across address changes).
    pub key: u32,
}

impl AnnounceParams {
    /// `left` as announced: an unknown size announces a large `left` so that trackers treat us
    /// as a leecher (as libtorrent does for magnets before the metadata arrives).
    pub fn left(&self) -> u64 {
        self.stats.left.unwrap_or(16 * 1024 * 1024 * 1024)
    }
}
