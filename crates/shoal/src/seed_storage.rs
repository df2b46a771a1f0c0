//! What the WebRTC seeder reads pieces from: a file of the library or a live channel's segment
//! ([`FileStorage`]), or the piece folder of a torrent the gateway downloaded from TCP peers
//! ([`PieceStore`], so the companion is a hybrid peer: what it fetches for one browser it
//! seeds to the next over WebRTC, while it is still fetching the rest).

use swarm::{Storage, StorageError};

use crate::{file_storage::FileStorage, gateway::PieceStore};

/// One seeded torrent's pieces.
pub(crate) enum SeedStorage {
    File(FileStorage),
    Gateway(PieceStore),
}

impl SeedStorage {
    /// The bytes changed or went away since they were verified (a library file edited, a
    /// gateway torrent removed or evicted): the seeder leaves the swarm instead of advertising
    /// pieces it can no longer serve.
    pub(crate) fn is_stale(&self) -> bool {
        match self {
            Self::File(f) => f.is_stale(),
            Self::Gateway(p) => !p.dir_exists(),
        }
    }
}

impl Storage for SeedStorage {
    fn put(&mut self, piece: u32, data: Vec<u8>) -> Vec<u32> {
        match self {
            Self::File(f) => f.put(piece, data),
            Self::Gateway(p) => p.put(piece, data),
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
            Self::File(f) => f.read(piece, begin, len, out),
            Self::Gateway(p) => p.read(piece, begin, len, out),
        }
    }

    fn has(&self, piece: u32) -> bool {
        match self {
            Self::File(f) => f.has(piece),
            Self::Gateway(p) => p.has(piece),
        }
    }
}
