//! What the UI shows of a torrent's layout ([`TorrentInfo`]); its live figures are the
//! session's ([`Stats`](crate::Stats)).

use serde::Serialize;

/// A torrent's layout, known once its metadata is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TorrentInfo {
    /// The torrent's name (file name for a single file, directory name otherwise).
    pub name: String,
    /// The files in torrent order.
    pub files: Vec<FileInfo>,
    /// Bytes per piece (the last piece may be shorter).
    pub piece_length: u64,
    /// Number of pieces.
    pub piece_count: u32,
    /// Total bytes.
    pub length: u64,
}

/// One file of a torrent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileInfo {
    /// Path below the torrent's directory, components joined with `/`.
    pub path: String,
    /// Size in bytes.
    pub length: u64,
    /// Where the file starts in the torrent's concatenated bytes.
    pub offset: u64,
}

impl TorrentInfo {
    /// The layout of a validated info dict.
    pub fn from_info(info: &metainfo::Info) -> Self {
        Self {
            name: info.name.clone(),
            files: info
                .files
                .iter()
                .map(|f| FileInfo {
                    path: f.path.join("/"),
                    length: f.length,
                    offset: f.offset,
                })
                .collect(),
            piece_length: info.piece_length,
            piece_count: info.piece_count(),
            length: info.total_length,
        }
    }
}
