//! Tests' gateway torrent: a file made into a torrent (as a library file), and the piece folder
//! the gateway would fill for it, empty until the test writes pieces into it.

use std::path::{Path, PathBuf};

use swarm::Storage as _;

use crate::{
    gateway::PieceStore,
    seedable::{prepare, MakeOptions, Seedable},
};

pub(crate) struct GatewayFixture {
    /// The file's bytes (300,000, several pieces).
    pub(crate) bytes: Vec<u8>,
    /// The file seeded as a library file: its torrent and a complete engine.
    pub(crate) library: Seedable,
    /// The bencoded info dict, as the gateway hands it over.
    pub(crate) info: Vec<u8>,
    pub(crate) piece_length: usize,
    /// The gateway's piece folder and its store.
    pub(crate) folder: PathBuf,
    pub(crate) store: PieceStore,
}

impl GatewayFixture {
    /// Under `dir`, content varied by `k`.
    pub(crate) fn new(dir: &Path, k: u32) -> Self {
        let path = dir.join("film.mkv");
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * k % 251) as u8).collect();
        std::fs::write(&path, &bytes).expect("write");
        let library = prepare(&path, &MakeOptions::default(), [1; 20]).expect("prepare");
        let info = library.engine.info_bytes().expect("info").to_vec();
        let piece_length = usize::try_from(library.meta.info.piece_length).expect("length");
        let folder = dir.join("gateway").join("HASH.1");
        let store = PieceStore::create(folder.clone()).expect("store");
        Self {
            bytes,
            library,
            info,
            piece_length,
            folder,
            store,
        }
    }

    /// The bytes of `piece` (a whole one: the tests use the first few).
    pub(crate) fn piece(&self, piece: u32) -> Vec<u8> {
        let at = piece as usize * self.piece_length;
        self.bytes[at..at + self.piece_length].to_vec()
    }

    /// The gateway verified and wrote `piece`.
    pub(crate) fn write(&mut self, piece: u32) {
        let data = self.piece(piece);
        assert!(self.store.put(piece, data).is_empty());
    }
}
