//! The two Shoal tags of a media playlist (docs/hls.md): `#EXT-X-SHOAL` once in the header
//! (the channel's swarm id and trackers) and `#EXT-X-SHOAL-SEGMENT` before a segment's
//! `#EXTINF` (the segment's per-segment torrent: info hash, length, piece length, pieces).
//! Players that know nothing of Shoal ignore both (RFC 8216 §4.1).

use bencode::{Dict, Value};
use metainfo::{Id20, InfoHash};

use crate::{attrs::Attrs, error::HlsError};

/// The header tag's name.
pub const CHANNEL_TAG: &str = "#EXT-X-SHOAL:";
/// The per-segment tag's name.
pub const SEGMENT_TAG: &str = "#EXT-X-SHOAL-SEGMENT:";
/// The format version this crate reads and writes.
pub const VERSION: u64 = 1;
/// Largest segment a tag may describe (a 2 s segment is a few MiB even at high bitrates).
pub const MAX_SEGMENT_LENGTH: u64 = 256 * 1024 * 1024;
/// Smallest and largest piece lengths accepted (powers of two, as BitTorrent clients expect).
pub const PIECE_LENGTH_RANGE: (u64, u64) = (16 * 1024, 16 * 1024 * 1024);
/// Most trackers listed in the channel tag.
pub const MAX_TRACKERS: usize = 8;

/// `#EXT-X-SHOAL`: the channel's swarm and where viewers announce it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelTag {
    /// The channel swarm id, announced to the trackers as an info hash.
    pub swarm: InfoHash,
    /// WebSocket tracker URLs.
    pub trackers: Vec<String>,
}

/// `#EXT-X-SHOAL-SEGMENT`: one segment's single-file torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentTag {
    /// SHA-1 of the info dict `{length, name, piece length, pieces}`.
    pub info_hash: InfoHash,
    /// The segment's size in bytes.
    pub length: u64,
    /// Bytes per piece (the last piece may be shorter).
    pub piece_length: u64,
    /// One SHA-1 per piece.
    pub pieces: Vec<[u8; 20]>,
}

impl ChannelTag {
    /// Parses the attribute list after `#EXT-X-SHOAL:`.
    pub fn parse(attrs: &str) -> Result<Self, HlsError> {
        let a = Attrs::parse(attrs)?;
        let version = a.need_u64("VERSION")?;
        if version != VERSION {
            return Err(HlsError::Version(version));
        }
        let swarm = parse_id(a.need("SWARM")?, "SWARM")?;
        let trackers: Vec<String> = a
            .get("TRACKERS")
            .unwrap_or_default()
            .split_ascii_whitespace()
            .map(str::to_owned)
            .collect();
        if trackers.len() > MAX_TRACKERS {
            return Err(HlsError::Invalid("TRACKERS", "more than 8 URLs"));
        }
        if trackers
            .iter()
            .any(|t| !(t.starts_with("ws://") || t.starts_with("wss://")))
        {
            return Err(HlsError::Invalid("TRACKERS", "not a ws:// or wss:// URL"));
        }
        Ok(Self { swarm, trackers })
    }

    /// The tag line, `#EXT-X-SHOAL:…` (what an origin writes).
    pub fn to_line(&self) -> String {
        format!(
            "{CHANNEL_TAG}VERSION={VERSION},SWARM={},TRACKERS=\"{}\"",
            self.swarm.to_hex(),
            self.trackers.join(" ")
        )
    }
}

impl SegmentTag {
    /// Parses the attribute list after `#EXT-X-SHOAL-SEGMENT:`, checking every bound (the
    /// info hash is checked separately, by [`SegmentTag::check`], which needs the name).
    pub fn parse(attrs: &str) -> Result<Self, HlsError> {
        let a = Attrs::parse(attrs)?;
        let info_hash = parse_id(a.need("INFOHASH")?, "INFOHASH")?;
        let length = a.need_u64("LENGTH")?;
        if length == 0 || length > MAX_SEGMENT_LENGTH {
            return Err(HlsError::Invalid(
                "LENGTH",
                "not between 1 byte and 256 MiB",
            ));
        }
        let piece_length = a.need_u64("PIECE-LENGTH")?;
        if !piece_length.is_power_of_two()
            || piece_length < PIECE_LENGTH_RANGE.0
            || piece_length > PIECE_LENGTH_RANGE.1
        {
            return Err(HlsError::Invalid(
                "PIECE-LENGTH",
                "not a power of two between 16 KiB and 16 MiB",
            ));
        }
        let count = length.div_ceil(piece_length);
        let hex = a.need("PIECES")?;
        // Bounded before decoding: exactly 40 hex characters per piece.
        if hex.len() as u64 != count * 40 {
            return Err(HlsError::Invalid(
                "PIECES",
                "not 40 hex characters per piece of LENGTH",
            ));
        }
        let bytes = metainfo::codec::from_hex(hex.as_bytes())
            .ok_or(HlsError::Invalid("PIECES", "not hex"))?;
        let pieces = bytes
            .chunks_exact(20)
            .map(|c| {
                let mut p = [0u8; 20];
                p.copy_from_slice(c);
                p
            })
            .collect();
        Ok(Self {
            info_hash,
            length,
            piece_length,
            pieces,
        })
    }

    /// The bencoded info dict of the segment's torrent, named `name` (the last path segment
    /// of the segment's URI).
    pub fn info_dict(&self, name: &str) -> Vec<u8> {
        let pieces: Vec<u8> = self.pieces.concat();
        let mut d = Dict::new();
        // Lengths are bounded by MAX_SEGMENT_LENGTH and PIECE_LENGTH_RANGE, far below i64::MAX.
        d.insert(b"length", Value::Int(self.length as i64));
        d.insert(b"name", Value::Bytes(name.as_bytes()));
        d.insert(b"piece length", Value::Int(self.piece_length as i64));
        d.insert(b"pieces", Value::Bytes(&pieces));
        bencode::encode(&Value::Dict(d))
    }

    /// Rebuilds the info dict for `name` and checks that it hashes to the tag's info hash:
    /// only then do the pieces speak for the torrent that peers and WebTorrent clients share.
    pub fn check(&self, name: &str) -> Result<(), HlsError> {
        let digest = sha1_smol::Sha1::from(self.info_dict(name)).digest().bytes();
        if digest == self.info_hash.0 {
            Ok(())
        } else {
            Err(HlsError::InfoHashMismatch)
        }
    }

    /// The tag line an origin writes before the segment's `#EXTINF`.
    pub fn to_line(&self) -> String {
        let hex = metainfo::codec::to_hex(&self.pieces.concat());
        format!(
            "{SEGMENT_TAG}INFOHASH={},LENGTH={},PIECE-LENGTH={},PIECES={hex}",
            self.info_hash.to_hex(),
            self.length,
            self.piece_length
        )
    }

    /// Builds the tag for `bytes` named `name` with pieces of `piece_length` (an origin's
    /// side, and the tests'). `None` when the bounds are not met.
    pub fn for_bytes(name: &str, bytes: &[u8], piece_length: u64) -> Option<Self> {
        let length = bytes.len() as u64;
        if length == 0 || length > MAX_SEGMENT_LENGTH || !piece_length.is_power_of_two() {
            return None;
        }
        let step = usize::try_from(piece_length).ok()?;
        let pieces = bytes
            .chunks(step)
            .map(|c| sha1_smol::Sha1::from(c).digest().bytes())
            .collect();
        let mut tag = Self {
            info_hash: InfoHash::default(),
            length,
            piece_length,
            pieces,
        };
        tag.info_hash = Id20(sha1_smol::Sha1::from(tag.info_dict(name)).digest().bytes());
        Some(tag)
    }

    /// Bytes of piece `index` (the last one may be short); 0 past the end.
    pub fn piece_size(&self, index: u32) -> u64 {
        let start = u64::from(index) * self.piece_length;
        self.length.saturating_sub(start).min(self.piece_length)
    }
}

/// The name a segment's torrent has: the last path segment of its URI, without query or
/// fragment (`seg-000042.ts` for `https://host/channels/x/seg-000042.ts?t=1`).
pub fn segment_name(uri: &str) -> &str {
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    path.rsplit('/').next().unwrap_or(path)
}

fn parse_id(text: &str, what: &'static str) -> Result<InfoHash, HlsError> {
    if text.len() != 40 {
        return Err(HlsError::Invalid(what, "not 40 hex characters"));
    }
    InfoHash::from_text(text).map_err(|_| HlsError::Invalid(what, "not 40 hex characters"))
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn sample() -> (Vec<u8>, SegmentTag) {
        let bytes: Vec<u8> = (0..150_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let tag = SegmentTag::for_bytes("seg-000042.ts", &bytes, 65536).expect("in bounds");
        (bytes, tag)
    }

    #[test]
    fn segment_tag_round_trips_and_checks() {
        let (_, tag) = sample();
        assert_eq!(tag.pieces.len(), 3);
        let line = tag.to_line();
        let attrs = line.strip_prefix(SEGMENT_TAG).expect("tag prefix");
        let back = SegmentTag::parse(attrs).expect("valid tag");
        assert_eq!(back, tag);
        assert_eq!(back.check("seg-000042.ts"), Ok(()));
        // The name is part of the torrent: another name is another info hash.
        assert_eq!(back.check("seg-000043.ts"), Err(HlsError::InfoHashMismatch));
        assert_eq!(tag.piece_size(2), 150_000 - 2 * 65536);
        assert_eq!(tag.piece_size(3), 0);
    }

    #[test]
    fn info_dict_matches_a_metainfo_torrent() {
        // The dict we rebuild is the one a .torrent carries: metainfo reads it back with the
        // same info hash.
        let (_, tag) = sample();
        let info = tag.info_dict("seg-000042.ts");
        let mut torrent = b"d4:info".to_vec();
        torrent.extend_from_slice(&info);
        torrent.push(b'e');
        let meta = metainfo::Metainfo::from_bytes(&torrent).expect("a valid torrent");
        assert_eq!(meta.info_hash, tag.info_hash);
        assert_eq!(meta.info.total_length, tag.length);
    }

    #[test]
    fn tampered_pieces_fail_the_check() {
        let (_, mut tag) = sample();
        tag.pieces[1][0] ^= 1;
        assert_eq!(tag.check("seg-000042.ts"), Err(HlsError::InfoHashMismatch));
    }

    #[test]
    fn bounds_are_enforced() {
        let h = "a".repeat(40);
        let cases = [
            format!("INFOHASH={h},LENGTH=0,PIECE-LENGTH=65536,PIECES="),
            format!("INFOHASH={h},LENGTH=300000000,PIECE-LENGTH=65536,PIECES="),
            format!("INFOHASH={h},LENGTH=10,PIECE-LENGTH=1000,PIECES={h}"),
            format!("INFOHASH={h},LENGTH=10,PIECE-LENGTH=65536,PIECES={h}{h}"),
            format!(
                "INFOHASH={h},LENGTH=10,PIECE-LENGTH=65536,PIECES={}",
                "z".repeat(40)
            ),
            format!("INFOHASH=abc,LENGTH=10,PIECE-LENGTH=65536,PIECES={h}"),
            format!("LENGTH=10,PIECE-LENGTH=65536,PIECES={h}"),
        ];
        for c in cases {
            assert!(SegmentTag::parse(&c).is_err(), "{c}");
        }
        let ok = format!("INFOHASH={h},LENGTH=10,PIECE-LENGTH=65536,PIECES={h}");
        assert!(SegmentTag::parse(&ok).is_ok());
    }

    #[test]
    fn channel_tag() {
        let h = "0123456789abcdef0123456789abcdef01234567";
        let t = ChannelTag::parse(&format!(
            r#"VERSION=1,SWARM={h},TRACKERS="ws://127.0.0.1:8000/announce wss://t.example""#
        ))
        .expect("valid tag");
        assert_eq!(t.swarm.to_hex(), h);
        assert_eq!(t.trackers.len(), 2);
        let back = ChannelTag::parse(t.to_line().strip_prefix(CHANNEL_TAG).expect("tag prefix"));
        assert_eq!(back, Ok(t));
        assert_eq!(
            ChannelTag::parse(&format!("VERSION=2,SWARM={h}")),
            Err(HlsError::Version(2))
        );
        assert!(ChannelTag::parse(&format!(r#"VERSION=1,SWARM={h},TRACKERS="http://x""#)).is_err());
    }

    #[test]
    fn names_come_from_the_last_path_segment() {
        assert_eq!(segment_name("https://h/c/x/seg-1.ts?t=2#f"), "seg-1.ts");
        assert_eq!(segment_name("seg-2.ts"), "seg-2.ts");
    }
}
