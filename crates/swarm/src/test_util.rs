//! Test torrents.

use metainfo::{Info, Metainfo, TorrentBuilder};

/// Deterministic content of `len` bytes.
pub(crate) fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// A single-file torrent of `content(len)`.
pub(crate) fn torrent(len: u64, piece_length: u64) -> (Metainfo, Vec<u8>) {
    let data = content(len as usize);
    let mut b = TorrentBuilder::new("t.bin", vec![(vec!["t.bin".into()], len)], piece_length)
        .single_file(true);
    b.update(&data);
    let meta = Metainfo::from_bytes(&b.finish().expect("sizes match")).expect("valid");
    (meta, data)
}

pub(crate) fn info(len: u64, piece_length: u64) -> Info {
    torrent(len, piece_length).0.info
}
