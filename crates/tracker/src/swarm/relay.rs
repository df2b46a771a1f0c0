//! Offer relaying and answer routing: the signalling half of the tracker.

use rand::seq::index;
use tracker_proto::{InAnswer, InOffer, InfoHash, Millis, OutAnswer, OutMessage, OutOffer, PeerId};

use super::{peers::PendingOffer, ConnId, Failure, Out, Shard};
use crate::metrics::ErrorKind;

impl Shard {
    /// Sends each offer (at most `max_offers_per_announce`) to a distinct random peer of the
    /// swarm other than the sender, and remembers it so that the answer can be checked.
    pub(super) fn relay_offers(
        &mut self,
        now: Millis,
        info_hash: &InfoHash,
        sender: &PeerId,
        offers: Vec<InOffer>,
        out: &mut Vec<Out>,
    ) {
        let Some(torrent) = self.torrents.get_mut(info_hash) else {
            return;
        };
        // Candidates, as one index space: seeders first, then leechers. A seeder's offers go to
        // leechers only. The sender occupies one slot, which the sampling skips.
        let sender_is_seeder = torrent.seeders.position(sender).is_some();
        let (base, len, skip) = if sender_is_seeder {
            let s = torrent.seeders.len();
            (s, torrent.leechers.len(), None)
        } else {
            let s = torrent.seeders.len();
            let skip = torrent.leechers.position(sender).map(|i| s + i);
            (0, s + torrent.leechers.len(), skip)
        };
        let available = len - usize::from(skip.is_some());
        let wanted = offers
            .len()
            .min(self.config.max_offers_per_announce)
            .min(available);
        if wanted == 0 {
            return;
        }
        let expires = now.saturating_add(self.config.offer_timeout);
        let mut targets: Vec<(ConnId, PeerId)> = Vec::with_capacity(wanted);
        for i in index::sample(&mut self.rng, available, wanted) {
            let mut slot = base + i;
            if skip.is_some_and(|s| slot >= s) {
                slot += 1;
            }
            let s = torrent.seeders.len();
            let peer = if slot < s {
                torrent.seeders.peers.get(slot)
            } else {
                torrent.leechers.peers.get(slot - s)
            };
            if let Some(peer) = peer {
                targets.push((peer.conn, peer.id));
            }
        }
        let Some((sender_peer, _)) = torrent.find_mut(sender) else {
            return;
        };
        let max_pending = self.config.max_pending_offers_per_peer;
        for (offer, (conn, to)) in offers.into_iter().zip(targets) {
            if max_pending == 0 {
                break;
            }
            if sender_peer.offers.len() >= max_pending {
                sender_peer.offers.remove(0);
            }
            sender_peer.offers.push(PendingOffer {
                offer_id: offer.offer_id,
                to,
                expires,
            });
            let relayed = OutOffer {
                offer: offer.offer,
                offer_id: offer.offer_id,
                peer_id: *sender,
                info_hash: *info_hash,
            };
            out.push(Out::Send(conn, OutMessage::Offer(relayed)));
            self.counters.offers_relayed += 1;
        }
    }

    /// Routes an answer to its offerer if the offer was relayed to the answering peer on this
    /// connection and has not expired; each offer can be answered once.
    pub(super) fn answer(
        &mut self,
        conn: ConnId,
        now: Millis,
        a: InAnswer,
        out: &mut Vec<Out>,
    ) -> Result<(), Failure> {
        self.counters.answers += 1;
        let unknown = || {
            Failure(
                ErrorKind::UnknownOffer,
                "no such offer: it was never relayed to this peer, or it has expired".to_owned(),
            )
        };
        let torrent = self.torrents.get_mut(&a.info_hash).ok_or_else(unknown)?;
        let answerer_ok = torrent.find(&a.peer_id).is_some_and(|p| p.conn == conn);
        if !answerer_ok {
            return Err(unknown());
        }
        let (offerer, _) = torrent.find_mut(&a.to_peer_id).ok_or_else(unknown)?;
        let position = offerer
            .offers
            .iter()
            .position(|o| o.offer_id == a.offer_id && o.to == a.peer_id && o.expires > now)
            .ok_or_else(unknown)?;
        offerer.offers.remove(position);
        let relayed = OutAnswer {
            answer: a.answer,
            offer_id: a.offer_id,
            peer_id: a.peer_id,
            info_hash: a.info_hash,
        };
        out.push(Out::Send(offerer.conn, OutMessage::Answer(relayed)));
        self.counters.answers_routed += 1;
        Ok(())
    }
}
