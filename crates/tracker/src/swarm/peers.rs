//! One torrent's peers: two index-addressable lists (seeders, leechers) so that offer recipients
//! can be sampled uniformly in O(offers), plus a map from peer id to position.

use std::collections::HashMap;

use tracker_proto::{Millis, OfferId, PeerId};

use super::ConnId;

/// An offer relayed on a peer's behalf, waiting for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PendingOffer {
    pub(crate) offer_id: OfferId,
    /// The peer the offer was relayed to: only it may answer.
    pub(crate) to: PeerId,
    pub(crate) expires: Millis,
}

#[derive(Debug, Clone)]
pub(crate) struct Peer {
    pub(crate) id: PeerId,
    pub(crate) conn: ConnId,
    /// The peer leaves the swarm at this time unless it announces again.
    pub(crate) expires: Millis,
    /// Oldest first; bounded by `max_pending_offers_per_peer`.
    pub(crate) offers: Vec<PendingOffer>,
}

/// Peers in a `Vec` (for random sampling) and an index by id (for lookups). Removal swaps the
/// last peer into the hole and fixes its index entry.
#[derive(Debug, Default)]
pub(crate) struct PeerList {
    pub(crate) peers: Vec<Peer>,
    index: HashMap<PeerId, usize>,
}

impl PeerList {
    pub(crate) fn len(&self) -> usize {
        self.peers.len()
    }

    pub(crate) fn position(&self, id: &PeerId) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub(crate) fn get_mut(&mut self, id: &PeerId) -> Option<&mut Peer> {
        let i = self.position(id)?;
        self.peers.get_mut(i)
    }

    pub(crate) fn get(&self, id: &PeerId) -> Option<&Peer> {
        self.peers.get(self.position(id)?)
    }

    pub(crate) fn push(&mut self, peer: Peer) {
        self.index.insert(peer.id, self.peers.len());
        self.peers.push(peer);
    }

    pub(crate) fn remove(&mut self, id: &PeerId) -> Option<Peer> {
        let i = self.index.remove(id)?;
        if i >= self.peers.len() {
            return None;
        }
        let peer = self.peers.swap_remove(i);
        if let Some(moved) = self.peers.get(i) {
            self.index.insert(moved.id, i);
        }
        Some(peer)
    }

    /// Removes every peer `keep` rejects, returning them; rebuilds the index only if needed.
    pub(crate) fn remove_where(&mut self, mut expired: impl FnMut(&Peer) -> bool) -> Vec<Peer> {
        if !self.peers.iter().any(&mut expired) {
            return Vec::new();
        }
        let (gone, kept): (Vec<Peer>, Vec<Peer>) = self.peers.drain(..).partition(expired);
        self.peers = kept;
        self.index = self
            .peers
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        gone
    }
}

/// One swarm.
#[derive(Debug, Default)]
pub(crate) struct Torrent {
    pub(crate) seeders: PeerList,
    pub(crate) leechers: PeerList,
    /// `completed` events seen (the scrape's `downloaded`).
    pub(crate) downloaded: u64,
}

impl Torrent {
    pub(crate) fn is_empty(&self) -> bool {
        self.seeders.len() == 0 && self.leechers.len() == 0
    }

    /// The peer and whether it is a seeder.
    pub(crate) fn find_mut(&mut self, id: &PeerId) -> Option<(&mut Peer, bool)> {
        if let Some(p) = self.seeders.get_mut(id) {
            return Some((p, true));
        }
        self.leechers.get_mut(id).map(|p| (p, false))
    }

    pub(crate) fn find(&self, id: &PeerId) -> Option<&Peer> {
        self.seeders.get(id).or_else(|| self.leechers.get(id))
    }

    pub(crate) fn remove(&mut self, id: &PeerId) -> Option<Peer> {
        self.seeders.remove(id).or_else(|| self.leechers.remove(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracker_proto::Id20;

    fn peer(b: u8) -> Peer {
        Peer {
            id: Id20([b; 20]),
            conn: ConnId(u64::from(b)),
            expires: Millis(u64::from(b)),
            offers: Vec::new(),
        }
    }

    #[test]
    fn removal_keeps_the_index_consistent() {
        let mut list = PeerList::default();
        for b in 0..5 {
            list.push(peer(b));
        }
        assert_eq!(list.remove(&Id20([1; 20])).map(|p| p.conn), Some(ConnId(1)));
        assert!(list.remove(&Id20([1; 20])).is_none());
        for b in [0u8, 2, 3, 4] {
            assert_eq!(
                list.get(&Id20([b; 20])).map(|p| p.conn),
                Some(ConnId(u64::from(b)))
            );
        }
        let gone = list.remove_where(|p| p.expires < Millis(3));
        assert_eq!(gone.len(), 2);
        assert_eq!(list.len(), 2);
        for b in [3u8, 4] {
            assert_eq!(
                list.get(&Id20([b; 20])).map(|p| p.conn),
                Some(ConnId(u64::from(b)))
            );
        }
    }
}
