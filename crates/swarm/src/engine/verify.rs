//! Judging whole pieces: hashing (inline or handed to the driver), storing a verified piece
//! and announcing it, or discarding a failed one and holding it against its senders.

use wire::Message;

use super::{
    session::{send, send_extended},
    Engine,
};
use crate::{
    hashed::HashedPiece,
    hasher::PieceHasher,
    io::Output,
    storage::Storage,
    types::{PeerKey, Source},
};

impl<S: Storage, H: PieceHasher> Engine<S, H> {
    /// Hashes a whole piece (inline, or by handing it to the driver) and judges it.
    pub(crate) fn verify(&mut self, piece: u32) {
        let Some(partial) = self
            .torrent
            .as_mut()
            .and_then(|t| t.picker.partial.get_mut(&piece))
        else {
            return;
        };
        if partial.hashing {
            return;
        }
        if self.cfg.deferred_hashing && self.hashes_out.insert(piece) {
            partial.hashing = true;
            // Lent, not copied: it comes back with the digest.
            let data = std::mem::take(&mut partial.buf);
            self.out.push_back(Output::HashPiece { piece, data });
            return;
        }
        let digest = self.hasher.sha1(&partial.buf);
        self.judge(piece, digest, None);
    }

    /// [`Input::PieceHashed`](crate::Input::PieceHashed): judges the piece if it was handed out
    /// for hashing, with the bytes given back; a stale or unasked digest is ignored.
    pub(crate) fn on_piece_hashed(&mut self, piece: u32, digest: [u8; 20], data: Vec<u8>) {
        if !self.hashes_out.remove(&piece) {
            return;
        }
        let waiting = self
            .torrent
            .as_ref()
            .and_then(|t| t.picker.partial.get(&piece))
            .is_some_and(|p| p.hashing);
        if waiting {
            self.judge(piece, digest, Some(data));
        } else {
            self.on_loaded_hashed(piece, digest, data);
        }
    }

    /// A whole piece's digest is known: store it, or discard it and hold it against its
    /// senders. `lent`: the bytes given back by the driver that hashed them (the partial's
    /// buffer is empty then).
    fn judge(&mut self, piece: u32, digest: [u8; 20], lent: Option<Vec<u8>>) {
        let Some(t) = self.torrent.as_mut() else {
            return;
        };
        let size = t.picker.piece_size(piece);
        let Some(mut partial) = t.picker.finish(piece) else {
            return;
        };
        if let Some(data) = lent {
            partial.buf = data;
        }
        let expected = t.info.pieces.get(piece as usize).copied();
        // HTTP still fetching the piece is moot either way (a retry starts afresh).
        let moot: Vec<_> = self
            .webseeds
            .inflight
            .iter()
            .filter(|(_, r)| r.piece == piece)
            .map(|(&id, _)| id)
            .collect();
        for id in moot {
            self.webseeds.inflight.remove(&id);
            self.out.push_back(Output::HttpCancel { id });
        }
        // The length too: bytes given back are judged as bytes, whatever was handed out.
        let intact = partial.buf.len() as u64 == size;
        if Some(digest) == expected && intact {
            t.picker.suspect.remove(&piece);
            self.store_verified(piece, partial.buf);
            return;
        }
        self.stats.wasted += size;
        // Requests still out for the discarded piece are void.
        for peer in self.peers.values_mut() {
            peer.outstanding.retain(|o| o.piece != piece);
        }
        if !intact {
            // The driver gave back other bytes than it was lent: fetched again, and no
            // sender is blamed for them.
            return;
        }
        self.stats.hash_failures += 1;
        let mut senders: Vec<Source> = partial.blocks.iter().filter_map(|b| b.from).collect();
        vecmap::sort(&mut senders);
        senders.dedup();
        match senders.as_slice() {
            [Source::Peer(k)] => {
                // Sole sender: certainly guilty.
                let k = *k;
                let fails = self.peers.get_mut(&k).map(|p| {
                    p.hash_fails += 1;
                    p.hash_fails
                });
                if fails.is_some_and(|f| f >= self.cfg.max_hash_fails) {
                    self.ban(k);
                }
            }
            [Source::Webseed(w)] => {
                let until = self.now.plus(self.cfg.webseed.retry_ms);
                self.webseeds.backoff.insert((*w, piece), until);
            }
            _ => {
                // Several senders: retry from one peer so the next failure names the culprit.
                if let Some(t) = self.torrent.as_mut() {
                    t.picker.suspect.insert(piece, ());
                }
            }
        }
    }

    /// Takes a piece the driver has hashed already (bytes checked against the same piece
    /// hashes elsewhere, such as an HLS segment's tag): stored as verified when its digest is
    /// this torrent's hash of `piece`, its length that piece's, and the piece is still missing
    /// (not held, not partly downloaded). The bytes are not hashed again. Returns whether it
    /// was stored; a refused piece changes nothing.
    pub fn import_hashed(&mut self, piece: u32, hashed: HashedPiece) -> bool {
        match self.importable(piece, hashed.bytes().len()) {
            Some(expected) if hashed.digest() == expected => {
                self.store_verified(piece, hashed.into_bytes());
                // As in `import_piece`: the haves leave with the next `poll_output`.
                self.flush();
                true
            }
            _ => false,
        }
    }

    /// The hash a piece offered from outside ([`Engine::import_piece`],
    /// [`Engine::import_hashed`]) must have, or `None` when it cannot be taken: no metadata,
    /// no such piece, a length not the piece's, or the piece held or partly downloaded.
    pub(crate) fn importable(&self, piece: u32, len: usize) -> Option<[u8; 20]> {
        let t = self.torrent.as_ref()?;
        let expected = *t.info.pieces.get(piece as usize)?;
        let takes = !t.picker.have.get(piece)
            && len as u64 == t.picker.piece_size(piece)
            && t.picker.is_missing(piece);
        takes.then_some(expected)
    }

    /// A verified piece: store, announce, update interest, feed readers.
    pub(crate) fn store_verified(&mut self, piece: u32, data: Vec<u8>) {
        let now = self.now;
        if self.cfg.external_store {
            // A load still out for an earlier copy is moot: this one is in memory.
            self.store.loading.remove(&piece);
            self.write_out(piece, &data);
        }
        let evicted = self.put_in_memory(piece, data);
        let Some(t) = self.torrent.as_mut() else {
            return;
        };
        t.picker.have.set(piece, true);
        self.stats.pieces_verified += 1;
        self.out.push_back(Output::PieceVerified { piece });
        let mut lost_interest = Vec::new();
        for (&k, peer) in &mut self.peers {
            // Not to a peer that has the piece (a seed above all): it has no use for it, and
            // each have is a message of its own — a browser leecher's haves to its seed were
            // most of its sends. A peer that drops the piece later is told again (`on_donthave`).
            if peer.remote_id.is_some() && !peer.has(piece) {
                send(peer, Message::Have(piece), now);
            }
            if peer.has(piece) {
                peer.wanted = peer.wanted.saturating_sub(1);
                if peer.wanted == 0 {
                    lost_interest.push(k);
                }
            }
        }
        for e in evicted {
            self.store.from_store.remove(&e);
            if !(self.cfg.external_store && self.store.backs(e)) {
                self.forget_piece(e);
            }
        }
        for k in lost_interest {
            self.update_interest(k, now);
        }
        self.refresh_deadline();
        self.deliver_all();
        if self.is_complete() && !self.complete_sent {
            self.complete_sent = true;
            self.out.push_back(Output::Complete);
            let seeds: Vec<PeerKey> = self
                .peers
                .iter()
                .filter(|(_, p)| p.is_seed())
                .map(|(&k, _)| k)
                .collect();
            for k in seeds {
                self.close(k, crate::io::CloseReason::BothSeeding);
            }
        }
    }

    /// Storage dropped a piece: stop advertising it (lt_donthave where supported).
    pub(crate) fn forget_piece(&mut self, piece: u32) {
        let now = self.now;
        let Some(t) = self.torrent.as_mut() else {
            return;
        };
        if !t.picker.have.get(piece) {
            return;
        }
        t.picker.have.set(piece, false);
        self.complete_sent = false;
        let mut gained = Vec::new();
        for (&k, peer) in &mut self.peers {
            let mut payload = Vec::with_capacity(4);
            wire::encode_donthave(piece, &mut payload);
            send_extended(peer, wire::Extension::LtDonthave, &payload, now);
            if peer.has(piece) {
                peer.wanted += 1;
                gained.push(k);
            }
        }
        for k in gained {
            self.update_interest(k, now);
        }
    }
}
