//! Pieces the driver hashed already ([`HashedPiece`]) go in without being hashed again, and
//! only when their digest is this torrent's hash of that piece.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::{cell::Cell, rc::Rc};

use super::cfg;
use crate::{
    test_util::torrent, Engine, HashedPiece, Input, MemoryStorage, Millis, Output, PieceHasher,
    ReaderId, Sha1Smol,
};

const PIECE: u64 = 16 * 1024;

/// SHA-1 that counts its calls.
#[derive(Clone, Default)]
struct Counting(Rc<Cell<u32>>);

impl PieceHasher for Counting {
    fn sha1(&mut self, data: &[u8]) -> [u8; 20] {
        self.0.set(self.0.get() + 1);
        Sha1Smol.sha1(data)
    }
}

fn piece(data: &[u8], p: u64) -> Vec<u8> {
    let start = (p * PIECE) as usize;
    let end = (start + PIECE as usize).min(data.len());
    data[start..end].to_vec()
}

#[test]
fn hashed_pieces_are_stored_without_hashing_again() {
    let len = 3 * PIECE + 100;
    let (meta, data) = torrent(len, PIECE);
    let hasher = Counting::default();
    let mut e = Engine::new(cfg(1), &meta, MemoryStorage::new(len), hasher.clone());
    for p in 0..4 {
        assert!(e.import_hashed(p as u32, HashedPiece::new(piece(&data, p))));
    }
    assert_eq!(
        hasher.0.get(),
        0,
        "the engine hashed an already hashed piece"
    );
    assert!(e.is_complete());
    let verified = std::iter::from_fn(|| e.poll_output())
        .filter(|o| matches!(o, Output::PieceVerified { .. }))
        .count();
    assert_eq!(verified, 4);
    // Readers get the bytes as from any verified piece.
    let seek = Input::Seek {
        reader: ReaderId(0),
        offset: 0,
        end: len,
    };
    e.handle_input(Millis(0), seek);
    let mut read = Vec::new();
    while let Some(out) = e.poll_output() {
        if let Output::ReaderData { bytes, .. } = out {
            read.extend_from_slice(&bytes);
        }
    }
    assert_eq!(read, data);
}

#[test]
fn a_hashed_piece_that_is_not_this_piece_is_refused() {
    let len = 3 * PIECE + 100;
    let (meta, data) = torrent(len, PIECE);
    let (_, other) = torrent(len + 1, PIECE);
    let mut e = Engine::new(cfg(1), &meta, MemoryStorage::new(len), Sha1Smol);
    // Right bytes, wrong index.
    assert!(!e.import_hashed(1, HashedPiece::new(piece(&data, 0))));
    // Another file's bytes for the same index (same length, other content).
    let mut wrong = piece(&data, 2);
    wrong[7] ^= 1;
    assert!(!e.import_hashed(2, HashedPiece::new(wrong)));
    assert!(!e.import_hashed(0, HashedPiece::new(piece(&other, 1))));
    // A short last piece, and an index past the end.
    let mut last = piece(&data, 3);
    last.pop();
    assert!(!e.import_hashed(3, HashedPiece::new(last)));
    assert!(!e.import_hashed(4, HashedPiece::new(piece(&data, 3))));
    assert_eq!(e.stats().pieces_verified, 0, "nothing refused was stored");
    assert!(std::iter::from_fn(|| e.poll_output()).next().is_none());
    // The right piece goes in once.
    assert!(e.import_hashed(2, HashedPiece::new(piece(&data, 2))));
    assert!(!e.import_hashed(2, HashedPiece::new(piece(&data, 2))));
    assert_eq!(e.stats().pieces_verified, 1);
}
