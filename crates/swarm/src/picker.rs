//! Piece states, availability and block bookkeeping: what to ask for next.
//!
//! Every piece is in exactly one state (see STATE.md): HAVE (verified and stored, bit set in
//! `have`), PARTIAL (an entry in `partial`, with a buffer) or MISSING (neither). Blocks of a
//! partial piece are MISSING (`requests == 0`, no `from`), REQUESTED (`requests > 0`) or
//! RECEIVED (`from` set). The engine acquires blocks through [`Picker::next_new_piece`] and the
//! partial's blocks, and releases them when a peer chokes, rejects, stalls or leaves.

use vecmap::VecMap;

use metainfo::Info;
use wire::Bitfield;

use crate::types::{Millis, PeerKey, Rng, Source, BLOCK_LEN};

/// One block of a partial piece.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Block {
    /// Outstanding requests for it (peers and HTTP); more than 1 only in endgame or for a
    /// reader's critical piece.
    pub(crate) requests: u8,
    /// Who delivered it, once received.
    pub(crate) from: Option<Source>,
}

/// A piece being downloaded.
#[derive(Debug, Clone)]
pub(crate) struct Partial {
    /// The piece's bytes as they arrive; empty while they are lent out for hashing
    /// ([`crate::Config::deferred_hashing`]), so its size comes from [`Picker::piece_size`].
    pub(crate) buf: Vec<u8>,
    pub(crate) blocks: Vec<Block>,
    pub(crate) received: u32,
    pub(crate) received_bytes: u64,
    pub(crate) started: Millis,
    /// After a hash failure with several senders, the retry comes from one peer only, so a
    /// second failure names the culprit.
    pub(crate) exclusive: Option<PeerKey>,
    pub(crate) needs_exclusive: bool,
    /// Complete and handed out for hashing ([`crate::Config::deferred_hashing`]); judged when
    /// the digest comes back.
    pub(crate) hashing: bool,
}

impl Partial {
    pub(crate) fn is_complete(&self) -> bool {
        self.received as usize == self.blocks.len()
    }

    /// Estimated ms until the piece (`size` bytes) is complete at the rate seen so far
    /// (`None`: nothing received yet).
    pub(crate) fn eta_ms(&self, size: u64, now: Millis) -> Option<u64> {
        if self.received_bytes == 0 {
            return None;
        }
        let left = size.saturating_sub(self.received_bytes);
        Some(left.saturating_mul(now.since(self.started).max(1)) / self.received_bytes)
    }
}

/// Piece-level state of the torrent.
#[derive(Debug, Clone)]
pub(crate) struct Picker {
    piece_length: u64,
    total_length: u64,
    pub(crate) have: Bitfield,
    pub(crate) availability: Vec<u32>,
    pub(crate) partial: VecMap<u32, Partial>,
    /// Pieces whose last attempt failed with several senders (retried from one peer).
    pub(crate) suspect: VecMap<u32, ()>,
    pub(crate) inflight_bytes: u64,
}

impl Picker {
    pub(crate) fn new(info: &Info) -> Self {
        let n = info.piece_count();
        Self {
            piece_length: info.piece_length,
            total_length: info.total_length,
            have: Bitfield::new(n),
            availability: vec![0; n as usize],
            partial: VecMap::new(),
            suspect: VecMap::new(),
            inflight_bytes: 0,
        }
    }

    pub(crate) fn piece_count(&self) -> u32 {
        self.have.len()
    }

    pub(crate) fn piece_size(&self, piece: u32) -> u64 {
        let start = u64::from(piece).saturating_mul(self.piece_length);
        self.total_length
            .saturating_sub(start)
            .min(self.piece_length)
    }

    pub(crate) fn block_count(&self, piece: u32) -> u32 {
        u32::try_from(self.piece_size(piece).div_ceil(u64::from(BLOCK_LEN))).unwrap_or(u32::MAX)
    }

    /// Length of block `block` of `piece` (the last one may be short).
    pub(crate) fn block_len(&self, piece: u32, block: u32) -> u32 {
        let size = self.piece_size(piece);
        let start = u64::from(block) * u64::from(BLOCK_LEN);
        u32::try_from(size.saturating_sub(start).min(u64::from(BLOCK_LEN))).unwrap_or(0)
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.have.is_full()
    }

    /// Bytes not yet verified.
    /// Bytes of pieces not verified yet. Counted from the bitfield's bytes rather than piece
    /// by piece: the session asks after every input.
    pub(crate) fn left(&self) -> u64 {
        let Some(last) = self.piece_count().checked_sub(1) else {
            return 0;
        };
        let have = u64::from(self.have.count_ones()) * self.piece_length;
        // The last piece may be short.
        let short = if self.have.get(last) {
            self.piece_length - self.piece_size(last)
        } else {
            0
        };
        self.total_length.saturating_sub(have - short)
    }

    /// Whether a piece is MISSING (neither verified nor in progress).
    pub(crate) fn is_missing(&self, piece: u32) -> bool {
        !self.have.get(piece) && !self.partial.contains_key(&piece)
    }

    /// Endgame: nothing MISSING is left, so spare pipeline slots duplicate requests.
    pub(crate) fn endgame(&self) -> bool {
        self.have.count_ones() as usize + self.partial.len() == self.piece_count() as usize
    }

    /// Whether a new partial piece fits under the in-flight cap.
    pub(crate) fn can_start(&self, piece: u32, cap: u64) -> bool {
        self.inflight_bytes + self.piece_size(piece) <= cap
    }

    /// MISSING → PARTIAL.
    pub(crate) fn start(&mut self, piece: u32, now: Millis) -> &mut Partial {
        debug_assert!(
            self.is_missing(piece),
            "start of a piece that is not MISSING"
        );
        let size = self.piece_size(piece);
        self.inflight_bytes += size;
        let blocks = self.block_count(piece) as usize;
        let needs_exclusive = self.suspect.contains_key(&piece);
        self.partial.entry(piece).or_insert_with(|| Partial {
            buf: vec![0; usize::try_from(size).unwrap_or(0)],
            blocks: vec![Block::default(); blocks],
            received: 0,
            received_bytes: 0,
            started: now,
            exclusive: None,
            needs_exclusive,
            hashing: false,
        })
    }

    /// PARTIAL → MISSING (hash failure) or PARTIAL → HAVE (the caller sets `have`).
    pub(crate) fn finish(&mut self, piece: u32) -> Option<Partial> {
        let p = self.partial.remove(&piece)?;
        self.inflight_bytes -= self.piece_size(piece);
        Some(p)
    }

    /// A request for a block is gone (answered elsewhere, rejected, timed out, peer gone).
    pub(crate) fn release(&mut self, piece: u32, block: u32) {
        if let Some(b) = self
            .partial
            .get_mut(&piece)
            .and_then(|p| p.blocks.get_mut(block as usize))
        {
            b.requests = b.requests.saturating_sub(1);
        }
    }

    pub(crate) fn add_bitfield(&mut self, bf: &Bitfield) {
        for p in bf.iter_ones() {
            if let Some(a) = self.availability.get_mut(p as usize) {
                *a += 1;
            }
        }
    }

    pub(crate) fn remove_bitfield(&mut self, bf: &Bitfield) {
        for p in bf.iter_ones() {
            if let Some(a) = self.availability.get_mut(p as usize) {
                *a = a.saturating_sub(1);
            }
        }
    }

    /// Lowest MISSING piece the peer has, if it fits the cap ([`Config::in_order`]).
    ///
    /// [`Config::in_order`]: crate::Config::in_order
    pub(crate) fn first_new_piece(&self, peer_has: &Bitfield, cap: u64) -> Option<u32> {
        peer_has
            .iter_ones()
            .find(|&p| self.is_missing(p) && self.can_start(p, cap))
    }

    /// Rarest MISSING piece the peer has (ties broken at random), if one fits the cap.
    pub(crate) fn next_new_piece(
        &self,
        peer_has: &Bitfield,
        cap: u64,
        rng: &mut Rng,
    ) -> Option<u32> {
        let mut best: Option<(u32, u32)> = None;
        let mut ties = 0u64;
        for p in peer_has.iter_ones() {
            if !self.is_missing(p) || !self.can_start(p, cap) {
                continue;
            }
            let a = self.availability.get(p as usize).copied().unwrap_or(0);
            match best {
                Some((_, b)) if a > b => {}
                Some((_, b)) if a == b => {
                    // Reservoir sampling over the tied pieces: each is equally likely.
                    ties += 1;
                    if rng.below(ties) == 0 {
                        best = Some((p, a));
                    }
                }
                _ => {
                    best = Some((p, a));
                    ties = 1;
                }
            }
        }
        best.map(|(p, _)| p)
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::test_util::info;

    #[test]
    fn rarest_first_and_states_are_disjoint() {
        let info = info(4 * 32 * 1024, 32 * 1024);
        let mut picker = Picker::new(&info);
        let all = Bitfield::full(4);
        let mut one = Bitfield::new(4);
        one.set(2, true);
        picker.add_bitfield(&all);
        picker.add_bitfield(&all);
        picker.add_bitfield(&one);
        let mut rng = Rng::new(1);
        // Piece 2 is the most common; never picked while rarer ones remain.
        for _ in 0..3 {
            let p = picker.next_new_piece(&all, u64::MAX, &mut rng).unwrap();
            assert_ne!(p, 2);
            picker.start(p, Millis(0));
            assert!(!picker.is_missing(p) && !picker.have.get(p));
        }
        assert_eq!(picker.next_new_piece(&all, u64::MAX, &mut rng), Some(2));
        assert!(!picker.endgame());
        picker.start(2, Millis(0));
        assert!(picker.endgame());
        // Never a piece the peer lacks; the cap is respected.
        assert_eq!(picker.next_new_piece(&one, u64::MAX, &mut rng), None);
        assert_eq!(picker.inflight_bytes, 4 * 32 * 1024);
        picker.finish(2);
        assert!(picker.is_missing(2));
        assert_eq!(picker.next_new_piece(&all, 3 * 32 * 1024, &mut rng), None);
    }

    #[test]
    fn first_new_piece_is_the_lowest_missing_one_the_peer_has() {
        let info = info(4 * 32 * 1024, 32 * 1024);
        let mut picker = Picker::new(&info);
        let mut has = Bitfield::full(4);
        has.set(0, false);
        picker.have.set(1, true);
        assert_eq!(picker.first_new_piece(&has, u64::MAX), Some(2));
        picker.start(2, Millis(0));
        assert_eq!(picker.first_new_piece(&has, u64::MAX), Some(3));
        // The cap holds as for rarest-first.
        assert_eq!(picker.first_new_piece(&has, 32 * 1024), None);
    }

    #[test]
    fn block_math() {
        let info = info(40_000, 32 * 1024);
        let picker = Picker::new(&info);
        assert_eq!(picker.block_count(0), 2);
        assert_eq!(picker.block_len(0, 1), 16 * 1024);
        assert_eq!(picker.block_count(1), 1);
        assert_eq!(picker.block_len(1, 0), 40_000 - 32 * 1024);
        assert_eq!(picker.left(), 40_000);
    }

    #[test]
    fn left_counts_the_short_last_piece() {
        let mut picker = Picker::new(&info(40_000, 32 * 1024));
        picker.have.set(1, true);
        assert_eq!(picker.left(), 32 * 1024);
        picker.have.set(0, true);
        assert_eq!(picker.left(), 0);
        picker.have.set(1, false);
        assert_eq!(picker.left(), 40_000 - 32 * 1024);
    }
}
