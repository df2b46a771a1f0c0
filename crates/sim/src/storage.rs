//! Storage for simulated peers. Fifty peers holding 64 MiB each would need 3.2 GiB, so large
//! runs use [`SimStorage::Checked`]: every verified piece the engine stores is compared byte
//! for byte with the true content (mismatches are counted, and must stay 0), then dropped;
//! reads are served from the shared true content. Hashing is never skipped: the engine hashes
//! every piece before it gets here. Small runs use the real bounded [`MemoryStorage`].

use std::{cell::Cell, rc::Rc};

use swarm::{MemoryStorage, Storage, StorageError};

/// A simulated peer's piece store.
#[derive(Debug)]
pub enum SimStorage {
    /// The engine's real in-memory store.
    Memory(MemoryStorage),
    /// Compare-and-drop against the true content (see module docs).
    Checked {
        /// The torrent's true bytes.
        truth: Rc<Vec<u8>>,
        /// Piece length.
        piece_length: u64,
        /// Pieces stored.
        have: Vec<bool>,
        /// Bytes stored that differed from the truth (shared counter).
        mismatches: Rc<Cell<u64>>,
    },
}

impl Storage for SimStorage {
    fn put(&mut self, piece: u32, data: Vec<u8>) -> Vec<u32> {
        match self {
            Self::Memory(m) => m.put(piece, data),
            Self::Checked {
                truth,
                piece_length,
                have,
                mismatches,
            } => {
                let start = (u64::from(piece) * *piece_length) as usize;
                let want = truth.get(start..start + data.len()).unwrap_or_default();
                let bad = data.iter().zip(want).filter(|(a, b)| a != b).count()
                    + data.len().abs_diff(want.len());
                mismatches.set(mismatches.get() + bad as u64);
                if let Some(h) = have.get_mut(piece as usize) {
                    *h = true;
                }
                Vec::new()
            }
        }
    }

    fn read(
        &mut self,
        piece: u32,
        begin: u32,
        len: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), StorageError> {
        match self {
            Self::Memory(m) => m.read(piece, begin, len, out),
            Self::Checked {
                truth,
                piece_length,
                have,
                ..
            } => {
                if !have.get(piece as usize).copied().unwrap_or(false) {
                    return Err(StorageError::Missing(piece));
                }
                let start = (u64::from(piece) * *piece_length + u64::from(begin)) as usize;
                let bytes = truth
                    .get(start..start + len as usize)
                    .ok_or(StorageError::OutOfRange { piece, begin, len })?;
                out.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    fn has(&self, piece: u32) -> bool {
        match self {
            Self::Memory(m) => m.has(piece),
            Self::Checked { have, .. } => have.get(piece as usize).copied().unwrap_or(false),
        }
    }
}
