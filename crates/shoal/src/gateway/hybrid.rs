//! The gateway as a hybrid peer: once a torrent it fetched from TCP peers is complete, the
//! companion's WebRTC seeder seeds it to browsers too (from the same piece folder, every piece
//! checked against its hash once more), so a browser that joins the info hash through the
//! companion's tracker gets it peer to peer; when the gateway removes the torrent (DELETE, the
//! disk cap, shutdown) the seeder leaves its swarm.

use std::path::PathBuf;

use metainfo::InfoHash;
use tokio::sync::mpsc;

use crate::{seedable, seeder::SeederChange};

/// Where complete gateway torrents are handed to the WebRTC seeder.
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

    /// The torrent whose info dict is `info` is complete in `dir`: re-check its pieces off the
    /// async threads (a whole file is read and hashed) and hand it to the seeder.
    pub(crate) fn complete(&self, info: Vec<u8>, dir: PathBuf) {
        let (seeds, peer_id) = (self.seeds.clone(), self.peer_id);
        tokio::task::spawn_blocking(move || match seedable::from_gateway(&info, dir, peer_id) {
            Ok(s) => {
                tracing::info!(torrent = %s.meta.info.name, "seeding a gateway torrent to browsers over WebRTC");
                let _ = seeds.send(SeederChange::AddGatewayTorrent(Box::new(s)));
            }
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "not seeding a gateway torrent over WebRTC"
                );
            }
        });
    }

    /// The gateway removed `hash`: the seeder stops seeding it.
    pub(crate) fn removed(&self, hash: InfoHash) {
        let _ = self.seeds.send(SeederChange::RemoveGatewayTorrent(hash));
    }
}
