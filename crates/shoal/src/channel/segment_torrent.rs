//! A published segment's identity: its per-segment torrent (single file, BitTorrent v1, the
//! info dict exactly `length`, `name`, `piece length` 65536 and `pieces`; `announce` the
//! companion's tracker; `url-list` the segment's own URL so any WebTorrent client can fetch it
//! as a web seed), made with the workspace's one torrent builder. Its info hash names the
//! segment everywhere: in the playlist tag, in the swarm, in the loader.

use metainfo::{InfoHash, Metainfo, TorrentBuilder};

/// Piece length of every segment torrent (the publishing format fixes it).
pub(crate) const SEGMENT_PIECE_LENGTH: u64 = 65_536;

/// Why a segment could not be made into a torrent.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SegmentTorrentError {
    #[error("segment {0} is empty")]
    Empty(String),
    #[error("segment {name}: {source}")]
    Build {
        name: String,
        source: metainfo::BuildError,
    },
    #[error("segment {name}: the torrent just made does not parse: {source}")]
    Reparse {
        name: String,
        source: metainfo::MetainfoError,
    },
}

/// A segment's torrent and the figures its playlist tag carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentTorrent {
    /// The `.torrent` file.
    pub(crate) torrent: Vec<u8>,
    pub(crate) info_hash: InfoHash,
    /// Bytes.
    pub(crate) length: u64,
    /// The concatenated 20-byte SHA-1 of each piece.
    pub(crate) pieces: Vec<u8>,
}

/// Makes the torrent of segment `name` (its file name) with content `bytes`, published at
/// `url` and announced to `trackers`.
pub(crate) fn make(
    name: &str,
    bytes: &[u8],
    url: &str,
    trackers: &[String],
) -> Result<SegmentTorrent, SegmentTorrentError> {
    if bytes.is_empty() {
        return Err(SegmentTorrentError::Empty(name.to_owned()));
    }
    let length = bytes.len() as u64;
    let mut builder = TorrentBuilder::new(
        name,
        vec![(vec![name.to_owned()], length)],
        SEGMENT_PIECE_LENGTH,
    )
    .single_file(true)
    .announce(trackers.iter().map(|t| vec![t.clone()]).collect())
    .url_list(vec![url.to_owned()])
    .created_by(concat!("Shoal ", env!("CARGO_PKG_VERSION")));
    builder.update(bytes);
    let torrent = builder
        .finish()
        .map_err(|source| SegmentTorrentError::Build {
            name: name.to_owned(),
            source,
        })?;
    let meta = Metainfo::from_bytes(&torrent).map_err(|source| SegmentTorrentError::Reparse {
        name: name.to_owned(),
        source,
    })?;
    Ok(SegmentTorrent {
        info_hash: meta.info_hash,
        length,
        pieces: meta.info.pieces.concat(),
        torrent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The info dict a loader rebuilds from a playlist tag, bencoded by hand here so the test
    /// does not share code with what it checks.
    pub(crate) fn rebuilt_info(name: &str, length: u64, pieces: &[u8]) -> Vec<u8> {
        let mut info = format!(
            "d6:lengthi{length}e4:name{}:{name}12:piece lengthi{SEGMENT_PIECE_LENGTH}e6:pieces{}:",
            name.len(),
            pieces.len()
        )
        .into_bytes();
        info.extend_from_slice(pieces);
        info.push(b'e');
        info
    }

    #[test]
    fn the_info_hash_is_that_of_the_four_key_info_dict() {
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let url = "http://127.0.0.1:8080/channels/demo/seg-000042.ts";
        let trackers = vec!["ws://127.0.0.1:8080/announce".to_owned()];
        let seg = make("seg-000042.ts", &bytes, url, &trackers).expect("make");
        assert_eq!(seg.length, 200_000);
        assert_eq!(seg.pieces.len(), 4 * 20);
        let info = rebuilt_info("seg-000042.ts", seg.length, &seg.pieces);
        assert_eq!(
            sha1_smol::Sha1::from(&info).digest().bytes(),
            seg.info_hash.0
        );
        let meta = Metainfo::from_bytes(&seg.torrent).expect("parse");
        assert_eq!(meta.url_list, vec![url.to_owned()]);
        assert_eq!(meta.announce, vec![trackers]);
        assert_eq!(meta.info_bytes, info);
        assert!(meta.info.single_file && !meta.info.private);
    }

    #[test]
    fn an_empty_segment_is_refused() {
        assert!(matches!(
            make("seg-000001.ts", &[], "http://x/seg-000001.ts", &[]),
            Err(SegmentTorrentError::Empty(_))
        ));
    }
}
