//! A piece loaded from the persistent store is kept in the buffer the driver handed over: no
//! copy of a whole piece is made on its way into memory (a browser's wasm memory grows to
//! hold every copy alive at once and never shrinks).

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::cfg;
use crate::{
    test_util::torrent, Engine, Input, MemoryStorage, Millis, Output, PieceHasher, ReaderId,
    Sha1Smol, Storage, StorageError,
};

const PIECE: u64 = 16 * 1024;

/// Memory storage that notes where each piece's buffer lives when it is put.
struct Noting {
    inner: MemoryStorage,
    puts: Vec<(u32, usize)>,
}

impl Storage for Noting {
    fn put(&mut self, piece: u32, data: Vec<u8>) -> Vec<u32> {
        self.puts.push((piece, data.as_ptr() as usize));
        self.inner.put(piece, data)
    }
    fn read(
        &mut self,
        piece: u32,
        begin: u32,
        len: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), StorageError> {
        self.inner.read(piece, begin, len, out)
    }
    fn has(&self, piece: u32) -> bool {
        self.inner.has(piece)
    }
}

#[test]
fn a_loaded_piece_is_kept_in_the_buffer_handed_over() {
    let len = 4 * PIECE;
    let (meta, data) = torrent(len, PIECE);
    for deferred in [false, true] {
        let mut c = cfg(2);
        c.external_store = true;
        c.deferred_hashing = deferred;
        let storage = Noting {
            inner: MemoryStorage::new(len),
            puts: Vec::new(),
        };
        let mut e = Engine::new(c, &meta, storage, Sha1Smol);
        for p in 0..4 {
            assert!(e.restore_piece(p));
        }
        let seek = Input::Seek {
            reader: ReaderId(0),
            offset: 0,
            end: len,
        };
        e.handle_input(Millis(0), seek);
        let mut handed = Vec::new();
        let mut read = 0;
        for _ in 0..100 {
            let Some(out) = e.poll_output() else { break };
            match out {
                Output::LoadPiece { piece } => {
                    let start = (u64::from(piece) * PIECE) as usize;
                    let bytes = data[start..start + PIECE as usize].to_vec();
                    handed.push((piece, bytes.as_ptr() as usize));
                    let result = Ok(bytes);
                    e.handle_input(Millis(1), Input::PieceLoaded { piece, result });
                }
                Output::HashPiece { piece, data } => {
                    let digest = Sha1Smol.sha1(&data);
                    let input = Input::PieceHashed {
                        piece,
                        digest,
                        data,
                    };
                    e.handle_input(Millis(2), input);
                }
                Output::ReaderData { bytes, .. } => read += bytes.len(),
                _ => {}
            }
        }
        assert_eq!(
            read as u64, len,
            "the reader got the file (deferred={deferred})"
        );
        assert!(!handed.is_empty());
        let puts = &e.storage_mut().puts;
        for h in &handed {
            assert!(
                puts.contains(h),
                "piece {} kept in another buffer than the one loaded (deferred={deferred})",
                h.0
            );
        }
    }
}
