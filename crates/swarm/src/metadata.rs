//! Fetching the info dict with ut_metadata (BEP 9) when started from a magnet.
//!
//! The size comes from the first peer whose extended handshake announces a `metadata_size`
//! within our cap; peers announcing another size are not asked. Every 16 KiB piece is asked of
//! one peer at a time (spread over peers that support ut_metadata), re-asked elsewhere after a
//! reject or a timeout. Once all pieces are in, SHA-1(metadata) must equal the info hash; on a
//! mismatch everything is discarded and fetched again.

use crate::types::{Millis, PeerKey};

/// Time before an unanswered metadata request is asked of another peer, ms.
pub(crate) const METADATA_TIMEOUT_MS: u64 = 10_000;

/// Metadata download state.
#[derive(Debug, Clone, Default)]
pub(crate) struct MetadataFetch {
    pub(crate) size: Option<u64>,
    pub(crate) buf: Vec<u8>,
    pub(crate) got: Vec<bool>,
    pub(crate) asked: Vec<Option<(PeerKey, Millis)>>,
    /// Hash mismatches so far (a hostile peer fed us a fake info dict).
    pub(crate) failures: u32,
}

impl MetadataFetch {
    /// Adopts `size` if none is known yet. Returns whether `size` is the one in use.
    pub(crate) fn offer_size(&mut self, size: u64) -> bool {
        match self.size {
            Some(s) => s == size,
            None => {
                let n = wire::metadata_piece_count(size) as usize;
                self.size = Some(size);
                self.buf = vec![0; usize::try_from(size).unwrap_or(0)];
                self.got = vec![false; n];
                self.asked = vec![None; n];
                true
            }
        }
    }

    /// Pieces nobody is working on (never asked, or asked and timed out).
    pub(crate) fn to_ask(&self, now: Millis) -> Vec<u32> {
        (0..self.got.len())
            .filter(|&i| {
                !self.got[i]
                    && self.asked[i].is_none_or(|(_, at)| now.since(at) >= METADATA_TIMEOUT_MS)
            })
            .filter_map(|i| u32::try_from(i).ok())
            .collect()
    }

    /// Stores a data piece (already validated against the size). Returns true when all are in.
    pub(crate) fn store(&mut self, piece: u32, data: &[u8]) -> bool {
        let start = piece as usize * wire::METADATA_PIECE_LEN;
        if let Some(dst) = self.buf.get_mut(start..start + data.len()) {
            dst.copy_from_slice(data);
            if let Some(g) = self.got.get_mut(piece as usize) {
                *g = true;
            }
        }
        self.got.iter().all(|&g| g)
    }

    /// Forgets who was asked for what by `peer` (it left or refused).
    pub(crate) fn forget_peer(&mut self, peer: PeerKey) {
        for a in &mut self.asked {
            if a.is_some_and(|(p, _)| p == peer) {
                *a = None;
            }
        }
    }

    /// Starts over after a hash mismatch.
    pub(crate) fn reset(&mut self) {
        self.failures += 1;
        *self = Self {
            failures: self.failures,
            ..Self::default()
        };
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn assembles_and_times_out() {
        let mut m = MetadataFetch::default();
        assert!(m.offer_size(20_000));
        assert!(!m.offer_size(30_000));
        assert_eq!(m.to_ask(Millis(0)), [0, 1]);
        m.asked[0] = Some((PeerKey(1), Millis(0)));
        assert_eq!(m.to_ask(Millis(1)), [1]);
        assert_eq!(m.to_ask(Millis(METADATA_TIMEOUT_MS)), [0, 1]);
        m.forget_peer(PeerKey(1));
        assert!(!m.store(1, &[7; 20_000 - 16_384]));
        assert!(m.store(0, &[1; 16_384]));
        assert_eq!(m.buf[16_384], 7);
        m.reset();
        assert_eq!((m.size, m.failures), (None, 1));
    }
}
