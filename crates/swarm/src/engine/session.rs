//! The wire side: handshakes, incoming messages, what peers have, interest, serving requests,
//! choking rounds and liveness timers.

use wire::{
    decode_donthave, encode_piece_header, Bitfield, ExtendedHandshake, Extension, Frame, Handshake,
    Message, PexMessage, Reserved,
};

use super::Engine;
use crate::{
    choker::{self, Candidate},
    hasher::PieceHasher,
    io::{CloseReason, Output},
    peer::{Peer, MAX_EARLY_HAVES},
    storage::Storage,
    types::PeerKey,
};

/// Queues a message for a peer.
pub(crate) fn send(peer: &mut Peer, msg: Message<'_>, now: crate::types::Millis) {
    msg.encode(&mut peer.out);
    peer.last_send = now;
}

/// Queues an extension message on the id the peer named for `ext` in its extended handshake;
/// `false`, and nothing sent, when it did not take that extension.
pub(crate) fn send_extended(
    peer: &mut Peer,
    ext: Extension,
    payload: &[u8],
    now: crate::types::Millis,
) -> bool {
    let Some(id) = peer.ext.as_ref().and_then(|e| e.remote_id(ext)) else {
        return false;
    };
    send(peer, Message::Extended { id, payload }, now);
    true
}

impl<S: Storage, H: PieceHasher> Engine<S, H> {
    pub(super) fn on_data(&mut self, key: PeerKey, bytes: &[u8]) {
        let limits = self.limits();
        let Some(peer) = self.peers.get_mut(&key) else {
            return;
        };
        peer.last_recv = self.now;
        let Some(mut dec) = peer.decoder.take() else {
            return;
        };
        dec.set_limits(limits);
        if let Err(e) = dec.push(bytes) {
            self.protocol_error(key, e.to_string());
            return;
        }
        loop {
            let frame = match dec.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    self.protocol_error(key, e.to_string());
                    return;
                }
            };
            match frame {
                Frame::Handshake(hs) => self.on_handshake(key, hs),
                Frame::Message(m) => self.on_message(key, m),
            }
            if !self.peers.contains_key(&key) {
                return;
            }
        }
        let limits = self.limits();
        if let Some(p) = self.peers.get_mut(&key) {
            dec.set_limits(limits);
            p.decoder = Some(dec);
        }
    }

    /// A peer broke the protocol: ban it (a well-behaved client never does this).
    pub(crate) fn protocol_error(&mut self, key: PeerKey, why: String) {
        if let Some(id) = self.peers.get(&key).and_then(|p| p.remote_id) {
            self.banned.insert(id);
        }
        if self.peers.contains_key(&key) {
            self.stats.peers_banned += 1;
        }
        self.close(key, CloseReason::Protocol(why));
    }

    fn on_handshake(&mut self, key: PeerKey, hs: Handshake) {
        if hs.peer_id == self.cfg.peer_id {
            self.close(key, CloseReason::Ourselves);
            return;
        }
        if self.peers.values().any(|p| p.remote_id == Some(hs.peer_id)) {
            self.close(key, CloseReason::Duplicate);
            return;
        }
        if self.banned.contains(&hs.peer_id) {
            self.close(key, CloseReason::Banned);
            return;
        }
        let negotiated = Reserved::WEBTORRENT.negotiate(hs.reserved);
        let metadata_size = self.torrent.as_ref().map(|t| t.info_bytes.len() as u64);
        let now = self.now;
        let our_reqq = self.cfg.our_reqq;
        let listen_port = self.cfg.listen_port;
        let Some(peer) = self.peers.get_mut(&key) else {
            return;
        };
        peer.remote_id = Some(hs.peer_id);
        peer.fast = negotiated.fast();
        if negotiated.extension_protocol() {
            let mut ours = ExtendedHandshake::ours(metadata_size, self.cfg.pex);
            ours.reqq = Some(our_reqq);
            ours.p = listen_port;
            let payload = ours.to_vec();
            send(
                peer,
                Message::Extended {
                    id: 0,
                    payload: &payload,
                },
                now,
            );
        }
        self.send_have_state(key);
    }

    /// Our bitfield (or have_all / have_none) right after the handshake, once metadata is known.
    pub(crate) fn send_have_state(&mut self, key: PeerKey) {
        let now = self.now;
        let (Some(t), Some(peer)) = (self.torrent.as_ref(), self.peers.get_mut(&key)) else {
            return;
        };
        let have = &t.picker.have;
        if peer.fast && have.is_full() {
            send(peer, Message::HaveAll, now);
        } else if peer.fast && have.count_ones() == 0 {
            send(peer, Message::HaveNone, now);
        } else if have.count_ones() > 0 {
            send(peer, Message::Bitfield(have.as_bytes()), now);
        }
    }

    fn on_message(&mut self, key: PeerKey, msg: Message<'_>) {
        let now = self.now;
        let n = self.torrent.as_ref().map(|t| t.picker.piece_count());
        let Some(peer) = self.peers.get_mut(&key) else {
            return;
        };
        match msg {
            Message::KeepAlive | Message::Port(_) | Message::Suggest(_) => {}
            Message::AllowedFast(_) | Message::Unknown { .. } | Message::Cancel(_) => {
                // We answer requests at once, so there is never a queued block to cancel.
            }
            Message::Choke => {
                peer.peer_choking = true;
                if !peer.fast {
                    // Without BEP 6 a choke silently drops our outstanding requests.
                    let gone = std::mem::take(&mut peer.outstanding);
                    if let Some(t) = self.torrent.as_mut() {
                        for o in gone {
                            t.picker.release(o.piece, o.block);
                        }
                    }
                }
            }
            Message::Unchoke => {
                peer.peer_choking = false;
                peer.last_block = now;
                self.fill(key);
            }
            Message::Interested => {
                peer.peer_interested = true;
                let unchoked = self.peers.values().filter(|p| !p.am_choking).count();
                if unchoked < self.cfg.upload_slots {
                    self.set_choke(key, false);
                }
            }
            Message::NotInterested => peer.peer_interested = false,
            Message::Have(i) => match n {
                Some(n) if i >= n => self.protocol_error(key, format!("have {i} of {n}")),
                Some(n) => {
                    let mut bf = peer.bitfield.clone().unwrap_or_else(|| Bitfield::new(n));
                    bf.set(i, true);
                    self.set_bitfield(key, bf);
                }
                None => {
                    if peer.early_haves.len() < MAX_EARLY_HAVES {
                        peer.early_haves.push(i);
                    }
                }
            },
            Message::Bitfield(bytes) => match n {
                Some(n) => match Bitfield::from_payload(bytes, n) {
                    Ok(bf) => self.set_bitfield(key, bf),
                    Err(e) => self.protocol_error(key, e.to_string()),
                },
                None => peer.early_bitfield = Some(bytes.to_vec()),
            },
            Message::HaveAll => match n {
                Some(n) => self.set_bitfield(key, Bitfield::full(n)),
                None => peer.early_have_all = true,
            },
            Message::HaveNone => match n {
                Some(n) => self.set_bitfield(key, Bitfield::new(n)),
                None => {
                    peer.early_have_all = false;
                    peer.early_bitfield = None;
                }
            },
            Message::Request(b) => self.serve(key, b),
            Message::RejectRequest(b) => {
                let block = b.begin / crate::types::BLOCK_LEN;
                if let Some(pos) = peer
                    .outstanding
                    .iter()
                    .position(|o| o.piece == b.index && o.block == block)
                {
                    peer.outstanding.swap_remove(pos);
                    if let Some(t) = self.torrent.as_mut() {
                        t.picker.release(b.index, block);
                    }
                }
            }
            Message::Piece {
                index,
                begin,
                block,
            } => self.on_block(key, index, begin, block),
            Message::Extended { id: 0, payload } => match ExtendedHandshake::decode(payload) {
                Ok(hs) => {
                    let size = hs.metadata_size;
                    peer.ext = Some(hs);
                    if let Some(size) = size {
                        self.on_metadata_size(size);
                    }
                }
                Err(e) => self.protocol_error(key, e.to_string()),
            },
            Message::Extended { id, payload } => match Extension::from_local_id(id) {
                Some(Extension::UtMetadata) => self.on_ut_metadata(key, payload),
                Some(Extension::LtDonthave) => match decode_donthave(payload) {
                    Ok(piece) => self.on_donthave(key, piece),
                    Err(e) => self.protocol_error(key, e.to_string()),
                },
                // Only what we advertised: without `pex` the id means nothing to us.
                Some(Extension::UtPex) if self.cfg.pex => match PexMessage::decode(payload) {
                    Ok(msg) if msg.added.is_empty() => {}
                    Ok(msg) => self.out.push_back(Output::PeerAddrs { addrs: msg.added }),
                    Err(e) => self.protocol_error(key, e.to_string()),
                },
                _ => {}
            },
        }
    }

    fn on_donthave(&mut self, key: PeerKey, piece: u32) {
        let Some(mut bf) = self.peers.get(&key).and_then(|p| p.bitfield.clone()) else {
            return;
        };
        if piece < bf.len() {
            bf.set(piece, false);
            self.set_bitfield(key, bf);
            // Our have for it was left out while it had the piece.
            let now = self.now;
            let ours = self
                .torrent
                .as_ref()
                .is_some_and(|t| t.picker.have.get(piece));
            if let (true, Some(peer)) = (ours, self.peers.get_mut(&key)) {
                send(peer, Message::Have(piece), now);
            }
        }
    }

    /// Replaces what a peer has: availability, interest, and requests for pieces it no longer
    /// has are released (it cannot answer them).
    pub(crate) fn set_bitfield(&mut self, key: PeerKey, bf: Bitfield) {
        let now = self.now;
        let (Some(t), Some(peer)) = (self.torrent.as_mut(), self.peers.get_mut(&key)) else {
            return;
        };
        if let Some(old) = &peer.bitfield {
            t.picker.remove_bitfield(old);
        }
        t.picker.add_bitfield(&bf);
        let have = &t.picker.have;
        peer.wanted = bf.iter_ones().filter(|&p| !have.get(p)).count() as u32;
        let picker = &mut t.picker;
        peer.outstanding.retain(|o| {
            let keep = bf.get(o.piece);
            if !keep {
                picker.release(o.piece, o.block);
            }
            keep
        });
        let seed = bf.is_full();
        peer.bitfield = Some(bf);
        if seed && t.picker.is_complete() {
            self.close(key, CloseReason::BothSeeding);
            return;
        }
        if seed && self.cfg.upload_only {
            self.close(key, CloseReason::OnlyUploading);
            return;
        }
        self.update_interest(key, now);
        self.fill(key);
    }

    /// Sends interested / not interested when that changed.
    pub(crate) fn update_interest(&mut self, key: PeerKey, now: crate::types::Millis) {
        let Some(peer) = self.peers.get_mut(&key) else {
            return;
        };
        // Upload-only: what a peer has is counted (`wanted`, availability) but never asked for.
        let want = peer.wanted > 0 && !self.cfg.upload_only;
        if want != peer.am_interested {
            peer.am_interested = want;
            let msg = if want {
                Message::Interested
            } else {
                Message::NotInterested
            };
            send(peer, msg, now);
        }
    }

    /// Answers a request from verified data only; anything else is rejected (BEP 6) or
    /// ignored (no fast extension).
    pub(crate) fn serve(&mut self, key: PeerKey, b: wire::BlockInfo) {
        let now = self.now;
        let (Some(t), Some(peer)) = (self.torrent.as_ref(), self.peers.get(&key)) else {
            return;
        };
        let valid = t.picker.have.get(b.index)
            && b.length > 0
            && u64::from(b.begin) + u64::from(b.length) <= t.picker.piece_size(b.index);
        let choking = peer.am_choking;
        if valid && !choking && self.needs_load(b.index) && self.serve_later(key, b) {
            // Stored but not in memory: answered once the store gives it back (and it checks).
            return;
        }
        let (Some(peer), Some(_)) = (self.peers.get_mut(&key), self.torrent.as_ref()) else {
            return;
        };
        if valid && !peer.am_choking {
            let mark = peer.out.len();
            encode_piece_header(b.index, b.begin, b.length, &mut peer.out);
            if self
                .storage
                .read(b.index, b.begin, b.length, &mut peer.out)
                .is_ok()
            {
                peer.up.add(u64::from(b.length));
                peer.last_send = now;
                self.stats.uploaded += u64::from(b.length);
                return;
            }
            peer.out.truncate(mark);
        }
        if peer.fast {
            send(peer, Message::RejectRequest(b), now);
        }
    }

    pub(crate) fn set_choke(&mut self, key: PeerKey, choke: bool) {
        let now = self.now;
        if let Some(peer) = self.peers.get_mut(&key) {
            if peer.am_choking != choke {
                peer.am_choking = choke;
                let msg = if choke {
                    Message::Choke
                } else {
                    Message::Unchoke
                };
                send(peer, msg, now);
            }
        }
    }

    pub(crate) fn choke_round(&mut self) {
        let now = self.now;
        self.next_choke = now.plus(self.cfg.choke_interval_ms);
        let rotate = now >= self.next_optimistic;
        if rotate {
            self.next_optimistic = now.plus(self.cfg.optimistic_interval_ms);
        }
        let seeding = self.is_complete();
        let cands: Vec<Candidate> = self
            .peers
            .iter()
            .map(|(&key, p)| Candidate {
                key,
                interested: p.peer_interested,
                score: if seeding { p.up.rate() } else { p.down.rate() },
                seed: p.is_seed(),
            })
            .collect();
        let (set, opt) = choker::choose(
            &cands,
            self.cfg.upload_slots,
            self.optimistic,
            rotate,
            &mut self.rng,
        );
        self.optimistic = opt;
        let keys: Vec<PeerKey> = self.peers.keys().copied().collect();
        for k in keys {
            self.set_choke(k, !set.contains(&k));
        }
    }

    /// Idle connections, stalled requests, keep-alives.
    pub(crate) fn check_peer_timers(&mut self) {
        let now = self.now;
        let mut idle = Vec::new();
        let mut slow = Vec::new();
        let mut stalled = Vec::new();
        for (&key, p) in &mut self.peers {
            if now.since(p.last_recv) >= self.cfg.idle_timeout_ms {
                idle.push(key);
                continue;
            }
            if p.remote_id.is_none() && now.since(p.connected_at) >= self.cfg.handshake_timeout_ms {
                slow.push(key);
                continue;
            }
            if !p.outstanding.is_empty() && now.since(p.last_block) >= self.cfg.request_timeout_ms {
                stalled.push(key);
            }
            if now.since(p.last_send) >= self.cfg.keepalive_ms {
                send(p, Message::KeepAlive, now);
            }
        }
        for key in idle {
            self.close(key, CloseReason::Idle);
        }
        for key in slow {
            self.close(key, CloseReason::SlowHandshake);
        }
        for key in stalled {
            self.on_stall(key);
        }
    }
}
