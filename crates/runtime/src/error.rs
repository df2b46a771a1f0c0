//! What can go wrong, in sentences a user can read.

/// Why a torrent could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddError {
    /// The .torrent bytes do not parse.
    #[error("this .torrent file cannot be read: {0}")]
    BadTorrent(#[from] metainfo::MetainfoError),
    /// The .torrent named by a magnet's `xs=` is for another torrent.
    #[error("the .torrent file the magnet link points to is for a different torrent (info hash {torrent}) than the magnet link itself ({magnet})")]
    WrongTorrent {
        /// The magnet's info hash, hex.
        magnet: String,
        /// The .torrent's info hash, hex.
        torrent: String,
    },
    /// The torrent is already in the client.
    #[error("this torrent is already open")]
    Duplicate,
    /// Not running in a browser (the runtime needs WebRTC, WebSocket and fetch).
    #[error("Shoal's runtime needs a web browser: this environment has no WebRTC or WebSocket")]
    NotInBrowser,
}

/// Why a torrent operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The torrent was destroyed (or its client dropped) while waiting.
    #[error("the torrent was closed")]
    Destroyed,
    /// A file index past the torrent's file list.
    #[error("the torrent has no file number {index} (it has {count})")]
    NoSuchFile {
        /// Asked-for index.
        index: usize,
        /// Files in the torrent.
        count: usize,
    },
    /// A byte range that is empty-inverted or past the end of the file.
    #[error("bytes {start}..{end} are not inside the file, which is {length} bytes long")]
    BadRange {
        /// Start asked for.
        start: u64,
        /// End asked for (exclusive).
        end: u64,
        /// File length.
        length: u64,
    },
    /// A reader was asked for before the metadata is known.
    #[error("the torrent's file list is not known yet; wait for its metadata first")]
    NoMetadata,
    /// Metadata from elsewhere (a gateway) was refused.
    #[error("{0}")]
    Metadata(String),
}
