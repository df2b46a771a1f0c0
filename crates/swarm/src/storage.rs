//! Where verified pieces live.
//!
//! The trait is synchronous on purpose: (1) the engine only stores pieces that already passed
//! their hash, so a store never has to be undone; (2) reads answer peer requests inside
//! `handle_input`, and a sans-IO engine cannot await; (3) a slow backend (IndexedDB, disk)
//! keeps a bounded write-back cache in front of itself and reports pieces it could not keep
//! through [`Storage::put`]'s eviction list, exactly like the in-memory store does.

use std::{collections::VecDeque, ops::RangeInclusive};
use vecmap::VecMap;

use thiserror::Error;

/// A storage failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The piece is not stored (never was, or was evicted).
    #[error("piece {0} is not stored")]
    Missing(u32),
    /// The range is outside the piece.
    #[error("range {begin}+{len} is outside piece {piece}")]
    OutOfRange {
        /// Piece index.
        piece: u32,
        /// Offset in the piece.
        begin: u32,
        /// Length.
        len: u32,
    },
}

/// Verified piece storage.
pub trait Storage {
    /// Stores a verified piece. Returns the pieces evicted to make room (the engine stops
    /// advertising them); may return `piece` itself if it cannot be kept at all.
    fn put(&mut self, piece: u32, data: Vec<u8>) -> Vec<u32>;
    /// Appends `len` bytes at `begin` inside `piece` to `out`.
    fn read(
        &mut self,
        piece: u32,
        begin: u32,
        len: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), StorageError>;
    /// Whether `piece` is stored.
    fn has(&self, piece: u32) -> bool;
    /// The pieces readers need next, as ranges, to be evicted last (they replace the previous
    /// ones). Only a bounded store chooses what to drop; the default ignores it.
    fn keep_first(&mut self, pieces: &[RangeInclusive<u32>]) {
        let _ = pieces;
    }
}

/// Pieces in memory, at most `cap_bytes` of them; the least recently used piece is evicted
/// first, a piece named by [`Storage::keep_first`] only when nothing else is left to evict.
#[derive(Debug, Clone)]
pub struct MemoryStorage {
    cap_bytes: u64,
    used: u64,
    pieces: VecMap<u32, Vec<u8>>,
    /// Use order, oldest first. May hold stale entries (a piece used again); they are skipped.
    lru: VecDeque<(u32, u64)>,
    stamps: VecMap<u32, u64>,
    clock: u64,
    /// Pieces readers need next ([`Storage::keep_first`]).
    kept: Vec<RangeInclusive<u32>>,
}

impl MemoryStorage {
    /// A store holding at most `cap_bytes`.
    pub fn new(cap_bytes: u64) -> Self {
        Self {
            cap_bytes,
            used: 0,
            pieces: VecMap::new(),
            lru: VecDeque::new(),
            stamps: VecMap::new(),
            clock: 0,
            kept: Vec::new(),
        }
    }

    /// Bytes held.
    pub fn used(&self) -> u64 {
        self.used
    }

    fn evict(&mut self, victim: u32, evicted: &mut Vec<u32>) {
        if let Some(old) = self.pieces.remove(&victim) {
            self.used -= old.len() as u64;
            self.stamps.remove(&victim);
            evicted.push(victim);
        }
    }

    fn touch(&mut self, piece: u32) {
        self.clock += 1;
        self.stamps.insert(piece, self.clock);
        self.lru.push_back((piece, self.clock));
        // Keep the stale-entry queue from growing without bound on read-heavy use.
        if self.lru.len() > 4 * self.pieces.len() + 64 {
            let stamps = &self.stamps;
            self.lru.retain(|(p, s)| stamps.get(p) == Some(s));
        }
    }
}

impl Storage for MemoryStorage {
    fn put(&mut self, piece: u32, data: Vec<u8>) -> Vec<u32> {
        let len = data.len() as u64;
        let mut evicted = Vec::new();
        if len > self.cap_bytes {
            return vec![piece];
        }
        if let Some(old) = self.pieces.remove(&piece) {
            self.used -= old.len() as u64;
        }
        // Oldest first, passing over the pieces readers need next; they go last, oldest first,
        // and the ones left keep their places at the front of the queue.
        let mut passed = Vec::new();
        while self.used + len > self.cap_bytes {
            let Some((victim, stamp)) = self.lru.pop_front() else {
                break;
            };
            if self.stamps.get(&victim) != Some(&stamp) {
                continue;
            }
            if self.kept.iter().any(|r| r.contains(&victim)) {
                passed.push((victim, stamp));
                continue;
            }
            self.evict(victim, &mut evicted);
        }
        let mut passed = passed.into_iter();
        while self.used + len > self.cap_bytes {
            let Some((victim, _)) = passed.next() else {
                break;
            };
            self.evict(victim, &mut evicted);
        }
        for entry in passed.rev() {
            self.lru.push_front(entry);
        }
        self.used += len;
        self.pieces.insert(piece, data);
        self.touch(piece);
        evicted
    }

    fn read(
        &mut self,
        piece: u32,
        begin: u32,
        len: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), StorageError> {
        let data = self
            .pieces
            .get(&piece)
            .ok_or(StorageError::Missing(piece))?;
        let start = begin as usize;
        let slice = start
            .checked_add(len as usize)
            .and_then(|end| data.get(start..end))
            .ok_or(StorageError::OutOfRange { piece, begin, len })?;
        out.extend_from_slice(slice);
        self.touch(piece);
        Ok(())
    }

    fn has(&self, piece: u32) -> bool {
        self.pieces.contains_key(&piece)
    }

    fn keep_first(&mut self, pieces: &[RangeInclusive<u32>]) {
        self.kept = pieces.to_vec();
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn evicts_least_recently_used_within_cap() {
        let mut s = MemoryStorage::new(30);
        assert!(s.put(0, vec![0; 10]).is_empty());
        assert!(s.put(1, vec![1; 10]).is_empty());
        assert!(s.put(2, vec![2; 10]).is_empty());
        let mut out = Vec::new();
        s.read(0, 0, 1, &mut out).unwrap(); // 0 is now the most recent
        assert_eq!(s.put(3, vec![3; 10]), vec![1]);
        assert!(s.has(0) && !s.has(1) && s.has(2) && s.has(3));
        assert_eq!(s.used(), 30);
        assert_eq!(s.put(9, vec![9; 31]), vec![9]);
    }

    #[test]
    fn pieces_kept_first_go_last() {
        let mut s = MemoryStorage::new(40);
        for p in 0..4 {
            assert!(s.put(p, vec![0; 10]).is_empty());
        }
        s.keep_first(&[0..=0, 2..=2]);
        // 1 and 3 go before the older 0.
        assert_eq!(s.put(4, vec![0; 10]), vec![1]);
        assert_eq!(s.put(5, vec![0; 10]), vec![3]);
        // Nothing but kept pieces left to evict: the oldest of them goes.
        assert_eq!(s.put(6, vec![0; 30]), vec![4, 5, 0]);
        s.keep_first(&[]);
        assert_eq!(s.put(7, vec![0; 10]), vec![2]);
        assert!(s.has(6) && s.has(7));
        assert_eq!(s.used(), 40);
    }

    #[test]
    fn read_checks_ranges() {
        let mut s = MemoryStorage::new(100);
        s.put(0, (0..10).collect());
        let mut out = Vec::new();
        s.read(0, 2, 3, &mut out).unwrap();
        assert_eq!(out, [2, 3, 4]);
        assert!(matches!(
            s.read(0, 8, 3, &mut out),
            Err(StorageError::OutOfRange { .. })
        ));
        assert_eq!(s.read(1, 0, 1, &mut out), Err(StorageError::Missing(1)));
    }
}
