//! The gateway as a hybrid peer: what it fetches from TCP peers the companion's WebRTC seeder
//! seeds to browsers too, while the download still runs. As soon as the metadata is known the
//! torrent is handed to the seeder, which starts it upload-only over the same piece folder
//! (`seedable::for_gateway`) and announces it to the companion's tracker; then each piece the
//! gateway verifies and writes is read back from the folder and hashed again off the async
//! threads, and imported into the seeder's engine, which sends the browsers connected to it a
//! `have` (a piece that no longer matches is refused there). When the gateway removes the
//! torrent (DELETE, the disk cap, shutdown) the seeder leaves its swarm.
//!
//! Why read the piece back rather than hand over the bytes the gateway just verified: the
//! gateway's hot path then keeps no second copy, and the seeder trusts nothing it did not
//! check itself (as for library files), at the price of one read that the page cache answers.

use std::path::PathBuf;

use metainfo::InfoHash;
use swarm::HashedPiece;
use tokio::sync::mpsc;

use super::PieceStore;
use crate::{seedable, seeder::SeederChange};

/// Where gateway torrents are handed to the WebRTC seeder.
#[derive(Clone)]
pub(crate) struct SeedHandoff {
    seeds: mpsc::UnboundedSender<SeederChange>,
    peer_id: [u8; 20],
}

impl std::fmt::Debug for SeedHandoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeedHandoff")
    }
}

impl SeedHandoff {
    /// Hands over to the seeder that reads `seeds` (announcing as `peer_id`).
    pub(crate) fn new(seeds: mpsc::UnboundedSender<SeederChange>, peer_id: [u8; 20]) -> Self {
        Self { seeds, peer_id }
    }

    /// The metadata of the torrent downloading into `dir` is known (its info dict `info`),
    /// and it holds the pieces `held` already: the seeder starts seeding it, then gets those
    /// pieces. The torrent is sent from here, on the caller's task, before any piece: every
    /// piece goes through the same channel later, so the seeder knows the torrent when its
    /// first piece arrives. Whether it was handed over (an info dict that does not parse is
    /// not).
    pub(crate) fn metadata(&self, info: &[u8], dir: PathBuf, held: Vec<u32>) -> bool {
        match seedable::for_gateway(info, dir.clone(), self.peer_id) {
            Ok(s) => {
                tracing::info!(torrent = %s.meta.info.name, "seeding a gateway torrent to browsers over WebRTC");
                let hash = s.meta.info_hash;
                let _ = self
                    .seeds
                    .send(SeederChange::AddGatewayTorrent(Box::new(s)));
                for piece in held {
                    self.piece(hash, dir.clone(), piece);
                }
                true
            }
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "not seeding a gateway torrent over WebRTC"
                );
                false
            }
        }
    }

    /// The gateway verified `piece` of `hash` and wrote it into `dir`: read and hash it off
    /// the async threads (a piece can be megabytes) and hand it to the seeder. A piece that
    /// cannot be read is not seeded: the torrent was removed meanwhile (its folder is gone,
    /// and the seeder leaves its swarm), or the disk failed (the seeder lacks that piece).
    pub(crate) fn piece(&self, hash: InfoHash, dir: PathBuf, piece: u32) {
        let seeds = self.seeds.clone();
        tokio::task::spawn_blocking(move || {
            match std::fs::read(PieceStore::piece_path(&dir, piece)) {
                Ok(data) => {
                    let bytes = HashedPiece::new(data);
                    let _ = seeds.send(SeederChange::GatewayPiece { hash, piece, bytes });
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    tracing::debug!(piece, %error, "a gateway piece went before the seeder read it");
                }
                Err(error) => {
                    tracing::warn!(piece, %error, "reading a gateway piece for the WebRTC seeder");
                }
            }
        });
    }

    /// The gateway removed `hash`: the seeder stops seeding it.
    pub(crate) fn removed(&self, hash: InfoHash) {
        let _ = self.seeds.send(SeederChange::RemoveGatewayTorrent(hash));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway_fixture::GatewayFixture;
    use swarm::Storage;

    /// What the seeder is told, in order, until every sender (the handoff and its reads) is
    /// gone.
    async fn told(mut rx: mpsc::UnboundedReceiver<SeederChange>) -> Vec<SeederChange> {
        let mut all = Vec::new();
        while let Some(change) = rx.recv().await {
            all.push(change);
        }
        all
    }

    #[tokio::test]
    async fn the_torrent_goes_first_then_each_piece_read_back_from_the_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut f = GatewayFixture::new(dir.path(), 3);
        f.write(0);
        f.write(2);
        let (hash, folder) = (f.library.meta.info_hash, f.folder.clone());

        let (tx, rx) = mpsc::unbounded_channel();
        let handoff = SeedHandoff::new(tx, [2; 20]);
        assert!(handoff.metadata(&f.info, folder.clone(), vec![0, 2]));
        // Gone before it was read: nothing is sent for it.
        handoff.piece(hash, folder.clone(), 1);
        assert!(!handoff.metadata(b"not an info dict", folder.clone(), vec![0]));
        drop(handoff);
        let mut changes = told(rx).await.into_iter();

        let Some(SeederChange::AddGatewayTorrent(mut seedable)) = changes.next() else {
            panic!("the torrent first");
        };
        assert_eq!(seedable.meta.info_hash, hash);
        let mut got = Vec::new();
        for change in changes {
            let SeederChange::GatewayPiece {
                hash: h,
                piece,
                bytes: hashed,
            } = change
            else {
                panic!("only pieces after the torrent");
            };
            assert_eq!(h, hash);
            assert!(seedable.engine.import_hashed(piece, hashed));
            got.push(piece);
        }
        got.sort_unstable();
        assert_eq!(got, [0, 2]);
        let mut out = Vec::new();
        let storage = seedable.engine.storage_mut();
        storage.read(2, 0, 10, &mut out).expect("read");
        assert_eq!(out, f.piece(2)[..10]);
    }
}
