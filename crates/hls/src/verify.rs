//! Piece verification of one segment's bytes against its [`SegmentTag`]: nothing is released
//! to a player before the piece it belongs to hashed to the published SHA-1. Released pieces
//! come as [`HashedPiece`]s, so the segment's engine can take them as verified
//! ([`swarm::Engine::import_hashed`]) without hashing them a second time.

use std::ops::Range;

use swarm::HashedPiece;

use crate::tags::SegmentTag;

/// A piece whose bytes do not hash to the published SHA-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("piece {piece} of the segment does not match its published hash")]
pub struct PieceMismatch {
    /// Which piece.
    pub piece: u32,
}

/// Checks one piece's bytes against the tag; `false` for a wrong size or hash.
pub fn piece_matches(tag: &SegmentTag, piece: u32, data: &[u8]) -> bool {
    let Some(expected) = tag.pieces.get(piece as usize) else {
        return false;
    };
    data.len() as u64 == tag.piece_size(piece)
        && sha1_smol::Sha1::from(data).digest().bytes() == *expected
}

/// Whole pieces that hashed right, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    /// The bytes they cover in the segment.
    pub range: Range<u64>,
    /// Each piece's index and its bytes with their SHA-1 (the published one).
    pub pieces: Vec<(u32, HashedPiece)>,
}

impl Released {
    /// The bytes, one piece after another.
    pub fn bytes(&self) -> impl Iterator<Item = &[u8]> {
        self.pieces.iter().map(|(_, p)| p.bytes())
    }

    /// The bytes in one buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        self.bytes().flatten().copied().collect()
    }
}

/// What one [`SegmentVerifier::push`] gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pushed {
    /// Pieces newly verified.
    pub released: Option<Released>,
    /// The piece that failed (its bytes and what followed them were dropped).
    pub mismatch: Option<PieceMismatch>,
}

/// Verifies a segment arriving in order (an HTTP body, or the pieces a peer sent followed by
/// an HTTP remainder), releasing each piece once it hashes right.
#[derive(Debug, Clone)]
pub struct SegmentVerifier {
    tag: SegmentTag,
    /// Bytes released so far (always a piece boundary or the end).
    verified: u64,
    /// Bytes of the piece being assembled.
    partial: Vec<u8>,
}

impl SegmentVerifier {
    /// A verifier for the segment described by `tag` (whose info hash was checked).
    pub fn new(tag: SegmentTag) -> Self {
        Self {
            tag,
            verified: 0,
            partial: Vec::new(),
        }
    }

    /// The tag it verifies against.
    pub fn tag(&self) -> &SegmentTag {
        &self.tag
    }

    /// Bytes verified and released so far.
    pub fn verified(&self) -> u64 {
        self.verified
    }

    /// Bytes taken so far (verified plus the partial piece).
    pub fn received(&self) -> u64 {
        self.verified + self.partial.len() as u64
    }

    /// Whether every byte was verified.
    pub fn is_complete(&self) -> bool {
        self.verified == self.tag.length
    }

    /// Takes the next bytes in order. Returns the pieces newly verified with their offset
    /// range in the segment, and the piece that failed, if one did: the pieces before it are
    /// still released, nothing from it on is. Bytes beyond the segment's length count as a
    /// mismatch of the last piece.
    pub fn push(&mut self, mut bytes: &[u8]) -> Pushed {
        let start = self.verified;
        let mut out: Vec<(u32, HashedPiece)> = Vec::new();
        let mut mismatch = None;
        while !bytes.is_empty() {
            let piece = self.current_piece();
            if self.verified >= self.tag.length {
                let last =
                    u32::try_from(self.tag.pieces.len().saturating_sub(1)).unwrap_or(u32::MAX);
                mismatch = Some(PieceMismatch { piece: last });
                break;
            }
            let size = self.tag.piece_size(piece);
            let need = usize::try_from(size).unwrap_or(usize::MAX) - self.partial.len();
            let take = need.min(bytes.len());
            self.partial.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.partial.len() as u64 == size {
                let hashed = HashedPiece::new(std::mem::take(&mut self.partial));
                if self.tag.pieces.get(piece as usize) != Some(&hashed.digest()) {
                    mismatch = Some(PieceMismatch { piece });
                    break;
                }
                self.verified += size;
                out.push((piece, hashed));
            }
        }
        Pushed {
            released: (!out.is_empty()).then_some(Released {
                range: start..self.verified,
                pieces: out,
            }),
            mismatch,
        }
    }

    /// Drops the partial piece (its source went away); returns where the next byte must
    /// start: the first byte not yet verified, which is where an HTTP `Range` resumes.
    pub fn rewind_partial(&mut self) -> u64 {
        self.partial.clear();
        self.verified
    }

    /// Index of the piece the next byte belongs to.
    pub fn current_piece(&self) -> u32 {
        u32::try_from(self.verified / self.tag.piece_length).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn seg(len: usize) -> (Vec<u8>, SegmentTag) {
        let bytes: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
        let tag = SegmentTag::for_bytes("s.ts", &bytes, 16384).expect("in bounds");
        (bytes, tag)
    }

    #[test]
    fn releases_whole_pieces_only() {
        let (bytes, tag) = seg(40_000);
        let mut v = SegmentVerifier::new(tag);
        assert_eq!(v.push(&bytes[..10_000]), Pushed::default());
        let r = v.push(&bytes[10_000..20_000]).released.expect("a piece");
        assert_eq!(r.range, 0..16384);
        assert_eq!(r.to_vec(), bytes[..16384]);
        let r = v.push(&bytes[20_000..]).released.expect("two pieces");
        assert_eq!(r.range, 16384..40_000);
        assert_eq!(r.to_vec(), bytes[16384..]);
        let indices: Vec<u32> = r.pieces.iter().map(|(i, _)| *i).collect();
        assert_eq!(indices, [1, 2]);
        assert!(v.is_complete());
        assert!(
            v.push(&[0]).mismatch.is_some(),
            "a byte past the end is refused"
        );
    }

    #[test]
    fn a_wrong_byte_is_never_released() {
        let (mut bytes, tag) = seg(40_000);
        bytes[20_000] ^= 0xff;
        let mut v = SegmentVerifier::new(tag);
        let first = v.push(&bytes[..16384]);
        assert!(first.released.is_some() && first.mismatch.is_none());
        let second = v.push(&bytes[16384..]);
        assert_eq!(second.released, None);
        assert_eq!(second.mismatch, Some(PieceMismatch { piece: 1 }));
        assert_eq!(v.verified(), 16384);
        assert_eq!(
            v.rewind_partial(),
            16384,
            "HTTP resumes at the first unverified byte"
        );
    }

    #[test]
    fn resumes_after_a_dropped_partial() {
        let (bytes, tag) = seg(40_000);
        let mut v = SegmentVerifier::new(tag);
        let _ = v.push(&bytes[..20_000]);
        let resume = v.rewind_partial();
        assert_eq!(resume, 16384);
        let r = v.push(&bytes[16384..]).released.expect("pieces");
        assert_eq!(r.range, 16384..40_000);
        assert!(v.is_complete());
    }

    /// SHA-1 that counts its calls.
    #[derive(Clone, Default)]
    struct Counting(std::rc::Rc<std::cell::Cell<u32>>);

    impl swarm::PieceHasher for Counting {
        fn sha1(&mut self, data: &[u8]) -> [u8; 20] {
            self.0.set(self.0.get() + 1);
            sha1_smol::Sha1::from(data).digest().bytes()
        }
    }

    #[test]
    fn released_pieces_enter_the_segments_engine_without_a_second_hash() {
        let (bytes, tag) = seg(40_000);
        let mut torrent = b"d4:info".to_vec();
        torrent.extend(tag.info_dict("s.ts"));
        torrent.push(b'e');
        let meta = metainfo::Metainfo::from_bytes(&torrent).expect("a torrent");
        assert_eq!(meta.info_hash, tag.info_hash);
        let hasher = Counting::default();
        let cfg = swarm::Config::new(metainfo::PeerId::from([1; 20]), 1);
        let storage = swarm::MemoryStorage::new(40_000);
        let mut engine = swarm::Engine::new(cfg, &meta, storage, hasher.clone());
        let mut v = SegmentVerifier::new(tag);
        let r = v.push(&bytes).released.expect("every piece");
        for (i, piece) in r.pieces {
            assert!(engine.import_hashed(i, piece), "piece {i} refused");
        }
        assert!(engine.is_complete());
        assert_eq!(
            hasher.0.get(),
            0,
            "the engine hashed a verified piece again"
        );
    }

    #[test]
    fn single_pieces_check_size_and_hash() {
        let (bytes, tag) = seg(40_000);
        assert!(piece_matches(&tag, 2, &bytes[32768..]));
        assert!(!piece_matches(&tag, 2, &bytes[32767..]));
        assert!(!piece_matches(&tag, 1, &bytes[32768..]));
        assert!(!piece_matches(&tag, 9, &bytes[..1]));
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod props {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// However the bytes are chunked, the verifier releases exactly the segment, in
        /// order; with one byte flipped it releases only the pieces before it.
        #[test]
        fn chunking_does_not_matter(len in 1usize..100_000, cuts in proptest::collection::vec(1usize..30_000, 1..20), flip in proptest::option::of(0usize..100_000)) {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 256) as u8).collect();
            let tag = SegmentTag::for_bytes("p.ts", &bytes, 16384).expect("in bounds");
            let mut sent = bytes.clone();
            let flip = flip.filter(|f| *f < len);
            if let Some(f) = flip { sent[f] ^= 1; }
            let mut v = SegmentVerifier::new(tag);
            let mut out = Vec::new();
            let mut pos = 0;
            let mut failed = false;
            for cut in cuts.iter().cycle() {
                if pos >= len { break; }
                let end = (pos + cut).min(len);
                let pushed = v.push(&sent[pos..end]);
                if let Some(r) = pushed.released {
                    prop_assert_eq!(r.range.start as usize, out.len());
                    out.extend(r.to_vec());
                }
                if pushed.mismatch.is_some() { failed = true; break; }
                pos = end;
            }
            prop_assert_eq!(&out[..], &bytes[..out.len()]);
            match flip {
                None => { prop_assert!(!failed); prop_assert_eq!(out.len(), len); }
                Some(f) => { prop_assert!(failed); prop_assert_eq!(out.len(), f / 16384 * 16384); }
            }
        }
    }
}
