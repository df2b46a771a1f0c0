//! Readers: players reading the torrent at a byte position. Each one puts a deadline window
//! ahead of its position that the picker serves before anything else, and the first pieces of
//! it are *critical* (WebTorrent: the piece under the reader and `min(⌊1 MiB / piece length⌋, 2)`
//! after it): they may take blocks already requested from slower peers, and are the ones
//! checked for HTTP fallback.

use vecmap::VecMap;

use crate::types::{Millis, ReaderId};

/// One reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reader {
    /// Next byte to deliver.
    pub(crate) pos: u64,
    /// Exclusive end.
    pub(crate) end: u64,
    /// When the reader started waiting for the bytes at `pos` (seek or last delivery).
    pub(crate) waiting_since: Millis,
}

/// A piece with a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wanted {
    pub(crate) piece: u32,
    pub(crate) critical: bool,
    pub(crate) waiting_since: Millis,
}

/// All readers, in id order (deterministic).
#[derive(Debug, Clone, Default)]
pub(crate) struct Readers {
    pub(crate) map: VecMap<ReaderId, Reader>,
}

/// Critical pieces per reader for a piece length, WebTorrent's rule.
pub(crate) fn critical_count(piece_length: u64) -> u32 {
    let extra = (1024 * 1024 / piece_length.max(1)).min(2);
    1 + u32::try_from(extra).unwrap_or(2)
}

impl Readers {
    /// Deadline pieces in priority order: every reader's critical pieces first (readers in id
    /// order), then the rest of every window. A piece appears once, with its most urgent role.
    /// `unverified` says whether a piece still needs fetching.
    pub(crate) fn wanted(
        &self,
        piece_length: u64,
        window: u64,
        unverified: impl Fn(u32) -> bool,
    ) -> Vec<Wanted> {
        let critical = critical_count(piece_length);
        let mut out: Vec<Wanted> = Vec::new();
        let piece_of = |off: u64| u32::try_from(off / piece_length.max(1)).unwrap_or(u32::MAX);
        for pass_critical in [true, false] {
            for r in self.map.values() {
                if r.pos >= r.end {
                    continue;
                }
                let first = piece_of(r.pos);
                let last = piece_of(r.end.min(r.pos.saturating_add(window)).saturating_sub(1));
                let crit_last = first.saturating_add(critical - 1).min(last);
                let range = if pass_critical {
                    first..=crit_last
                } else {
                    crit_last.saturating_add(1)..=last
                };
                for piece in range {
                    if unverified(piece) && !out.iter().any(|w| w.piece == piece) {
                        out.push(Wanted {
                            piece,
                            critical: pass_critical,
                            waiting_since: r.waiting_since,
                        });
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn critical_pieces_of_all_readers_come_first() {
        let mut r = Readers::default();
        let plen = 1024 * 1024; // critical = 2 pieces
        let reader = |pos| Reader {
            pos,
            end: 100 * plen,
            waiting_since: Millis(0),
        };
        r.map.insert(ReaderId(0), reader(0));
        r.map.insert(ReaderId(1), reader(50 * plen + 10));
        let w = r.wanted(plen, 4 * plen, |p| p != 1);
        let order: Vec<(u32, bool)> = w.iter().map(|w| (w.piece, w.critical)).collect();
        assert_eq!(
            order,
            [
                (0, true),
                (50, true),
                (51, true),
                (2, false),
                (3, false),
                (52, false),
                (53, false),
                (54, false)
            ]
        );
        assert_eq!(critical_count(16 * 1024), 3);
        assert_eq!(critical_count(4 * 1024 * 1024), 1);
    }
}
