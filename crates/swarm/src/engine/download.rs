//! The download side: choosing requests for a peer, accepting blocks, stalls, and delivering
//! verified bytes to readers (judging whole pieces is in `verify.rs`).

use vecmap::VecMap;

use wire::{Bitfield, BlockInfo, Message};

use super::{session::send, Engine};
use crate::{
    hasher::PieceHasher,
    io::Output,
    peer::Outstanding,
    picker::Partial,
    readers::Reader,
    storage::Storage,
    types::{Millis, PeerKey, ReaderId, Source, BLOCK_LEN},
};

/// Most outstanding requests one block may have (endgame and critical pieces duplicate).
const MAX_DUPLICATES: u8 = 2;

/// Chooses the blocks one peer is asked for in one `fill`: its key, its outstanding requests,
/// how many more it may take, and what was picked so far.
struct Taker<'a> {
    key: PeerKey,
    mine: &'a [Outstanding],
    want: usize,
    picks: Vec<(u32, u32)>,
}

impl Taker<'_> {
    /// Takes blocks of `partial`: free blocks, or (if `dup`) blocks requested once elsewhere.
    fn take(&mut self, piece: u32, partial: &mut Partial, dup: bool) {
        if partial.needs_exclusive {
            match partial.exclusive {
                Some(k) if k != self.key => return,
                Some(_) => {}
                None => {
                    if dup {
                        return;
                    }
                    partial.exclusive = Some(self.key);
                }
            }
        }
        for (i, b) in partial.blocks.iter_mut().enumerate() {
            if self.want == 0 {
                return;
            }
            if b.from.is_some() {
                continue;
            }
            let block = i as u32;
            let free = b.requests == 0;
            let dupable = dup
                && b.requests < MAX_DUPLICATES
                && !self
                    .mine
                    .iter()
                    .any(|o| o.piece == piece && o.block == block)
                && !self.picks.contains(&(piece, block));
            if free || dupable {
                b.requests += 1;
                self.picks.push((piece, block));
                self.want -= 1;
            }
        }
    }

    /// Takes blocks of every started piece the peer has (`dup`: endgame duplicates).
    fn take_started(&mut self, partial: &mut VecMap<u32, Partial>, has: &Bitfield, dup: bool) {
        for (&piece, p) in partial.iter_mut() {
            if self.want == 0 {
                break;
            }
            if has.get(piece) {
                self.take(piece, p, dup);
            }
        }
    }
}

impl<S: Storage, H: PieceHasher> Engine<S, H> {
    /// Tops up a peer's pipeline: reader deadlines first, then pieces already started, then
    /// the pieces readers reach next (with a keep-ahead), then the rarest new piece it has; in
    /// endgame, blocks others are already fetching.
    pub(crate) fn fill(&mut self, key: PeerKey) {
        let now = self.now;
        let cap = self.inflight_cap();
        let (max_pipe, reqq) = (self.cfg.max_pipeline, self.cfg.default_reqq);
        let in_order = self.cfg.in_order;
        let next = self.readers_next();
        // While the store refuses writes, a piece fetched beyond what readers reach next
        // would be dropped from the window before they get there, and fetched again.
        let rarest = next.is_empty() || !self.store.refusing;
        let Self {
            peers,
            torrent,
            rng,
            deadline,
            ..
        } = self;
        let (Some(t), Some(peer)) = (torrent.as_mut(), peers.get_mut(&key)) else {
            return;
        };
        let target = peer.pipeline_target(max_pipe, reqq) as usize;
        if peer.peer_choking || !peer.am_interested || peer.outstanding.len() >= target {
            return;
        }
        // Taken out for the duration (put back below) so the peer can be mutated meanwhile.
        let Some(owned_bf) = peer.bitfield.take() else {
            return;
        };
        let bf = &owned_bf;
        let mut taker = Taker {
            key,
            mine: &peer.outstanding,
            want: target - peer.outstanding.len(),
            picks: Vec::new(),
        };
        let picker = &mut t.picker;
        // 1. Reader deadlines (they may exceed the in-flight cap: a player must not stall).
        for w in deadline.iter() {
            if taker.want == 0 {
                break;
            }
            if !bf.get(w.piece) || picker.have.get(w.piece) {
                continue;
            }
            if picker.is_missing(w.piece) {
                picker.start(w.piece, now);
            }
            if let Some(p) = picker.partial.get_mut(&w.piece) {
                taker.take(w.piece, p, false);
                if w.critical {
                    taker.take(w.piece, p, true);
                }
            }
        }
        // 2. Finish what is started.
        taker.take_started(&mut picker.partial, bf, false);
        // 3. What readers reach next, in order (`Config::keep_ahead_bytes`): the window keeps
        //    it, so a reader finds it in memory instead of loading it back from the store.
        for piece in next.iter().cloned().flatten() {
            if taker.want == 0 {
                break;
            }
            if bf.get(piece) && picker.is_missing(piece) && picker.can_start(piece, cap) {
                let p = picker.start(piece, now);
                taker.take(piece, p, false);
            }
        }
        // 4. Rarest first (or lowest first, `Config::in_order`).
        while rarest && taker.want > 0 {
            let piece = if in_order {
                picker.first_new_piece(bf, cap)
            } else {
                picker.next_new_piece(bf, cap, rng)
            };
            let Some(piece) = piece else {
                break;
            };
            let p = picker.start(piece, now);
            taker.take(piece, p, false);
        }
        // 5. Endgame: duplicate what others are fetching.
        if taker.want > 0 && picker.endgame() {
            taker.take_started(&mut picker.partial, bf, true);
        }
        let picks = taker.picks;
        if peer.outstanding.is_empty() && !picks.is_empty() {
            // The stall clock starts with the first request.
            peer.last_block = now;
        }
        for (piece, block) in picks {
            debug_assert!(bf.get(piece), "requesting a piece the peer lacks");
            let length = picker.block_len(piece, block);
            let begin = block * BLOCK_LEN;
            peer.outstanding.push(Outstanding {
                piece,
                block,
                sent_at: now,
            });
            send(
                peer,
                Message::Request(BlockInfo {
                    index: piece,
                    begin,
                    length,
                }),
                now,
            );
        }
        peer.bitfield = Some(owned_bf);
    }

    pub(crate) fn on_block(&mut self, key: PeerKey, index: u32, begin: u32, block: &[u8]) {
        let now = self.now;
        let len = block.len() as u64;
        self.stats.downloaded_from_peers += len;
        let (Some(t), Some(peer)) = (self.torrent.as_mut(), self.peers.get_mut(&key)) else {
            self.stats.wasted += len;
            return;
        };
        peer.down.add(len);
        peer.received += len;
        peer.last_block = now;
        peer.snubbed = false;
        let bi = begin / BLOCK_LEN;
        if let Some(pos) = peer
            .outstanding
            .iter()
            .position(|o| o.piece == index && o.block == bi)
        {
            let o = peer.outstanding.swap_remove(pos);
            peer.sample_rtt(now.since(o.sent_at));
            t.picker.release(index, bi);
        }
        let aligned = begin % BLOCK_LEN == 0 && block.len() as u32 == t.picker.block_len(index, bi);
        if !aligned || !self.accept_block(index, bi, block, Source::Peer(key)) {
            self.stats.wasted += len;
        }
        let (max_pipe, reqq) = (self.cfg.max_pipeline, self.cfg.default_reqq);
        if self
            .peers
            .get(&key)
            .is_some_and(|p| p.refill_due(p.pipeline_target(max_pipe, reqq)))
        {
            self.fill(key);
        }
    }

    /// Writes a received block into its partial piece; cancels duplicate requests for it;
    /// verifies the piece when it is whole. False if the block was not needed.
    pub(crate) fn accept_block(&mut self, piece: u32, bi: u32, data: &[u8], from: Source) -> bool {
        let now = self.now;
        let Some(t) = self.torrent.as_mut() else {
            return false;
        };
        let Some(p) = t.picker.partial.get_mut(&piece) else {
            return false;
        };
        let start = bi as usize * BLOCK_LEN as usize;
        let (Some(b), Some(dst)) = (
            p.blocks.get_mut(bi as usize),
            p.buf.get_mut(start..start + data.len()),
        ) else {
            return false;
        };
        if b.from.is_some() {
            return false;
        }
        dst.copy_from_slice(data);
        b.from = Some(from);
        p.received += 1;
        p.received_bytes += data.len() as u64;
        let duplicated = b.requests > 0;
        let complete = p.is_complete();
        // Other peers asked for the same block (endgame, critical): cancel theirs.
        if duplicated {
            let length = data.len() as u32;
            for peer in self.peers.values_mut() {
                if let Some(pos) = peer
                    .outstanding
                    .iter()
                    .position(|o| o.piece == piece && o.block == bi)
                {
                    peer.outstanding.swap_remove(pos);
                    t.picker.release(piece, bi);
                    let begin = bi * BLOCK_LEN;
                    send(
                        peer,
                        Message::Cancel(BlockInfo {
                            index: piece,
                            begin,
                            length,
                        }),
                        now,
                    );
                }
            }
        }
        if complete {
            self.verify(piece);
        }
        true
    }

    /// A peer unchoked us but sent nothing for `request_timeout`: its requests go to others.
    /// A second stall in a row (nothing at all since the first) closes it.
    pub(crate) fn on_stall(&mut self, key: PeerKey) {
        let now = self.now;
        let Some(peer) = self.peers.get_mut(&key) else {
            return;
        };
        if peer.snubbed {
            self.close(key, crate::io::CloseReason::Idle);
            return;
        }
        peer.snubbed = true;
        peer.last_block = now;
        let gone = std::mem::take(&mut peer.outstanding);
        self.stats.requests_timed_out += gone.len() as u64;
        if let Some(t) = self.torrent.as_mut() {
            for o in gone {
                t.picker.release(o.piece, o.block);
                let length = t.picker.block_len(o.piece, o.block);
                let begin = o.block * BLOCK_LEN;
                send(
                    peer,
                    Message::Cancel(BlockInfo {
                        index: o.piece,
                        begin,
                        length,
                    }),
                    now,
                );
            }
        }
    }

    pub(crate) fn refresh_deadline(&mut self) {
        let Some(t) = self.torrent.as_ref() else {
            self.deadline.clear();
            return;
        };
        let have = &t.picker.have;
        self.deadline =
            self.readers
                .wanted(t.info.piece_length, self.cfg.reader_window_bytes, |p| {
                    p < have.len() && !have.get(p)
                });
    }

    pub(crate) fn on_seek(&mut self, reader: ReaderId, offset: u64, end: u64) {
        let total = self
            .torrent
            .as_ref()
            .map_or(u64::MAX, |t| t.info.total_length);
        let end = end.min(total);
        self.readers.map.insert(
            reader,
            Reader {
                pos: offset.min(end),
                end,
                waiting_since: self.now,
            },
        );
        self.refresh_deadline();
        self.deliver(reader);
        let keys: Vec<PeerKey> = self.peers.keys().copied().collect();
        for k in keys {
            self.fill(k);
        }
    }

    pub(crate) fn deliver_all(&mut self) {
        let ids: Vec<ReaderId> = self.readers.map.keys().copied().collect();
        for r in ids {
            self.deliver(r);
        }
    }

    /// Hands a reader the verified bytes at its position, piece by piece.
    fn deliver(&mut self, id: ReaderId) {
        let now: Millis = self.now;
        let Some(t) = self.torrent.as_ref() else {
            return;
        };
        let Some(r) = self.readers.map.get_mut(&id) else {
            return;
        };
        let mut load = None;
        let from_store = &self.store.from_store;
        while r.pos < r.end {
            let Some(piece) = t.info.piece_for_offset(r.pos) else {
                break;
            };
            if !t.picker.have.get(piece) {
                break;
            }
            if self.cfg.external_store && !self.storage.has(piece) {
                load = Some(piece);
                break;
            }
            let piece_start = t.info.piece_offset(piece);
            let stop = (piece_start + t.picker.piece_size(piece)).min(r.end);
            let begin = (r.pos - piece_start) as u32;
            let len = (stop - r.pos) as u32;
            let mut bytes = Vec::with_capacity(len as usize);
            if self.storage.read(piece, begin, len, &mut bytes).is_err() {
                break;
            }
            self.stats.reader_bytes += bytes.len() as u64;
            if from_store.contains(&piece) {
                self.stats.reader_bytes_from_store += bytes.len() as u64;
            }
            self.out.push_back(Output::ReaderData {
                reader: id,
                offset: r.pos,
                bytes,
            });
            r.pos = stop;
            r.waiting_since = now;
        }
        // Ask for the stored pieces of the reader's window at once, not one per round trip.
        let mut loads = Vec::new();
        if let Some(first) = load {
            let window = self.cfg.reader_window_bytes.max(1);
            let window_end = r.end.min(r.pos.saturating_add(window));
            let last = t
                .info
                .piece_for_offset(window_end.saturating_sub(1))
                .unwrap_or(first)
                .max(first);
            loads.extend((first..=last).filter(|&p| t.picker.have.get(p) && !self.storage.has(p)));
        }
        for p in loads {
            self.request_load(p);
        }
    }
}
