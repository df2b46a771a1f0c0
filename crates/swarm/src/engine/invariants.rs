//! Checks of the invariants in STATE.md. Run after every input in debug builds; the simulator
//! calls them too.

use super::Engine;
use crate::{hasher::PieceHasher, storage::Storage};

impl<S: Storage, H: PieceHasher> Engine<S, H> {
    /// Verifies the invariants listed in STATE.md; `Err` names the first one broken.
    pub fn check_invariants(&self) -> Result<(), String> {
        let Some(t) = &self.torrent else {
            return Ok(());
        };
        let picker = &t.picker;
        let n = picker.piece_count();
        // I1: HAVE and PARTIAL are disjoint; HAVE pieces are in storage (or, with an external
        // store, stored there or being written).
        for &p in picker.partial.keys() {
            if p >= n || picker.have.get(p) {
                return Err(format!("I1: piece {p} is both HAVE and PARTIAL"));
            }
        }
        for p in picker.have.iter_ones() {
            let backed = self.cfg.external_store && self.store.backs(p);
            if !self.storage.has(p) && !backed {
                return Err(format!("I1: piece {p} is HAVE but not stored"));
            }
        }
        // I2: in-flight bytes are exactly the partial pieces' sizes, and a buffer is whole
        // unless it is lent out for hashing.
        let sum: u64 = picker.partial.keys().map(|&i| picker.piece_size(i)).sum();
        if let Some((i, _)) = picker.partial.iter().find(|(&i, p)| {
            p.buf.len() as u64 != picker.piece_size(i) && !(p.hashing && p.buf.is_empty())
        }) {
            return Err(format!("I2: partial {i}'s buffer is not its size"));
        }
        if sum != picker.inflight_bytes {
            return Err(format!("I2: inflight {} != {sum}", picker.inflight_bytes));
        }
        // I3: a block's request count = peer requests + HTTP requests covering it;
        // I4: never a request for what the peer lacks; no request twice to one peer.
        let mut counts: vecmap::VecMap<(u32, u32), usize> = Default::default();
        for o in self.peers.values().flat_map(|p| p.outstanding.iter()) {
            *counts.entry((o.piece, o.block)).or_default() += 1;
        }
        for r in self.webseeds.inflight.values() {
            for b in r.first_block..r.first_block + r.blocks {
                *counts.entry((r.piece, b)).or_default() += 1;
            }
        }
        for (&piece, partial) in &picker.partial {
            if partial.hashing && !partial.is_complete() {
                return Err(format!(
                    "I3: piece {piece} handed out for hashing while incomplete"
                ));
            }
            for (i, b) in partial.blocks.iter().enumerate() {
                let expected = counts.get(&(piece, i as u32)).copied().unwrap_or(0);
                if usize::from(b.requests) != expected {
                    return Err(format!(
                        "I3: block {piece}/{i} counts {} requests, {expected} outstanding",
                        b.requests
                    ));
                }
            }
        }
        // I5: availability is the sum of peer bitfields; interest follows `wanted` (never, when
        // upload-only).
        let mut avail = vec![0u32; n as usize];
        for (k, p) in &self.peers {
            let mut seen = vecmap::VecSet::new();
            for o in &p.outstanding {
                if !p.has(o.piece) {
                    return Err(format!("I4: {k:?} asked for piece {} it lacks", o.piece));
                }
                if !picker.partial.contains_key(&o.piece) {
                    return Err(format!("I3: {k:?} request for non-partial {}", o.piece));
                }
                if !seen.insert((o.piece, o.block)) {
                    return Err(format!("I4: {k:?} asked twice for {}/{}", o.piece, o.block));
                }
            }
            if let Some(bf) = &p.bitfield {
                let mut wanted = 0;
                for i in bf.iter_ones() {
                    avail[i as usize] += 1;
                    if !picker.have.get(i) {
                        wanted += 1;
                    }
                }
                let interested = wanted > 0 && !self.cfg.upload_only;
                if wanted != p.wanted || p.am_interested != interested {
                    return Err(format!("I5: {k:?} wanted {} vs {wanted}", p.wanted));
                }
            }
        }
        if avail != picker.availability {
            return Err("I5: availability differs from the peers' bitfields".into());
        }
        // I6: readers only ever wait on unverified bytes, or on a stored piece being loaded.
        for (id, r) in &self.readers.map {
            if r.pos < r.end {
                if let Some(p) = t.info.piece_for_offset(r.pos) {
                    let loading = self.cfg.external_store
                        && !self.storage.has(p)
                        && self.store.loading.contains_key(&p);
                    if picker.have.get(p) && !loading {
                        return Err(format!("I6: reader {id:?} not given verified piece {p}"));
                    }
                }
            }
        }
        Ok(())
    }
}
