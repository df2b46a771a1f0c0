//! The persistent store seam ([`Config::external_store`](crate::Config::external_store)): the
//! driver's store (IndexedDB in a browser) holds every verified piece; the engine's
//! [`Storage`] is then only a bounded window of pieces in memory. Writes go out as
//! [`Output::StorePiece`], reads as [`Output::LoadPiece`], and both are answered later, like
//! deferred hashing. A piece read back is judged again (length, then SHA-1 against the
//! torrent's piece hash) before a byte of it reaches a reader or a peer; a damaged, missing or
//! lost piece stops being HAVE and is fetched again.

use std::ops::RangeInclusive;

use vecmap::{VecMap, VecSet};

use wire::{BlockInfo, Message};

use super::{session::send, Engine};
use crate::{
    hasher::PieceHasher,
    io::{Output, StoreError},
    storage::Storage,
    types::PeerKey,
};

/// A load the engine asked for.
#[derive(Debug)]
pub(crate) enum Load {
    /// Waiting for [`Input::PieceLoaded`](crate::Input::PieceLoaded).
    Asked,
    /// The bytes came and are lent out for their digest
    /// ([`Config::deferred_hashing`](crate::Config)).
    Hashing,
}

/// What the engine knows about the driver's store.
#[derive(Debug, Default)]
pub(crate) struct External {
    /// Pieces the store holds: writes it confirmed, and pieces restored at start.
    pub(crate) stored: VecSet<u32>,
    /// Writes asked for and not answered yet.
    pub(crate) writing: VecSet<u32>,
    /// Bytes of the pieces in `writing`: copies held until the store answers, counted
    /// against [`Config::max_inflight_bytes`](crate::Config::max_inflight_bytes) with the
    /// partial pieces.
    pub(crate) writing_bytes: u64,
    /// Loads asked for and not answered (or not judged) yet.
    pub(crate) loading: VecMap<u32, Load>,
    /// Peer requests waiting for a load, per piece.
    pub(crate) waiting: VecMap<u32, Vec<(PeerKey, BlockInfo)>>,
    /// Requests in `waiting`, all pieces together (bounded by `our_reqq` × peers).
    pub(crate) waiting_count: usize,
    /// Pieces whose memory copy was loaded from the store (for the hit rate).
    pub(crate) from_store: VecSet<u32>,
    /// The last write answered was refused (quota, failure): what is downloaded now lives
    /// only as long as the memory window keeps it.
    pub(crate) refusing: bool,
}

impl External {
    /// Whether a HAVE piece is backed outside memory (stored, or its write is under way).
    pub(crate) fn backs(&self, piece: u32) -> bool {
        self.stored.contains(&piece) || self.writing.contains(&piece)
    }
}

impl<S: Storage, H: PieceHasher> Engine<S, H> {
    /// Marks a piece the driver's store already holds (a resumed download) as verified
    /// without loading it: it is announced in our bitfield and served, and its bytes are
    /// checked when they are first loaded. Only with
    /// [`Config::external_store`](crate::Config::external_store), once the metadata is known
    /// and before the first peer connects; returns whether the piece was taken.
    pub fn restore_piece(&mut self, piece: u32) -> bool {
        if !self.cfg.external_store || !self.peers.is_empty() {
            return false;
        }
        let Some(t) = self.torrent.as_mut() else {
            return false;
        };
        if piece >= t.picker.piece_count() || !t.picker.is_missing(piece) {
            return false;
        }
        t.picker.have.set(piece, true);
        self.store.stored.insert(piece);
        // A fully restored torrent is a seed, not a download that just completed: no
        // `Complete` (trackers would hear `completed`).
        self.complete_sent = t.picker.is_complete();
        self.refresh_deadline();
        true
    }

    /// Puts verified bytes into the memory window; pieces it evicts stay HAVE when the store
    /// backs them and are forgotten otherwise.
    pub(crate) fn keep_in_memory(&mut self, piece: u32, data: Vec<u8>) {
        let evicted = self.put_in_memory(piece, data);
        for e in evicted {
            self.store.from_store.remove(&e);
            if !(self.cfg.external_store && self.store.backs(e)) {
                self.forget_piece(e);
            }
        }
    }

    /// Puts a piece into the memory storage, naming first the pieces readers reach next
    /// ([`Config::keep_ahead_bytes`](crate::Config::keep_ahead_bytes)) so they are evicted
    /// last. Returns the pieces evicted.
    pub(crate) fn put_in_memory(&mut self, piece: u32, data: Vec<u8>) -> Vec<u32> {
        if self.cfg.keep_ahead_bytes > 0 {
            let next = self.readers_next();
            self.storage.keep_first(&next);
        }
        self.storage.put(piece, data)
    }

    /// The pieces within [`Config::keep_ahead_bytes`](crate::Config::keep_ahead_bytes) of
    /// each reader's position: one range per reader, readers in id order (empty when 0).
    /// Ranges, not pieces: this runs at every pipeline top-up and every put, and a range is
    /// the same size whatever the keep-ahead. Where readers' ranges overlap a piece comes
    /// twice; both users take it once.
    pub(crate) fn readers_next(&self) -> Vec<RangeInclusive<u32>> {
        let ahead = self.cfg.keep_ahead_bytes;
        let mut next = Vec::new();
        let Some(t) = self.torrent.as_ref().filter(|_| ahead > 0) else {
            return next;
        };
        for r in self.readers.map.values() {
            let Some(first) = t.info.piece_for_offset(r.pos) else {
                continue;
            };
            let end = r.pos.saturating_add(ahead).min(t.info.total_length);
            let last = t.info.piece_for_offset(end - 1).unwrap_or(first);
            next.push(first..=last);
        }
        next
    }

    /// Hands a freshly verified piece to the store.
    pub(crate) fn write_out(&mut self, piece: u32, data: &[u8]) {
        self.store.from_store.remove(&piece);
        if self.store.writing.insert(piece) {
            self.store.writing_bytes += data.len() as u64;
        }
        self.out.push_back(Output::StorePiece {
            piece,
            data: data.to_vec(),
        });
    }

    /// The in-flight cap left for new partial pieces: pieces still being written hold their
    /// copies until the store answers, so they count against it (a slow store slows the
    /// download instead of growing memory).
    pub(crate) fn inflight_cap(&self) -> u64 {
        self.cfg
            .max_inflight_bytes
            .saturating_sub(self.store.writing_bytes)
    }

    /// Whether a HAVE piece must be loaded before it can be read.
    pub(crate) fn needs_load(&self, piece: u32) -> bool {
        self.cfg.external_store && !self.storage.has(piece)
    }

    /// Asks the store for a piece (once while asked).
    pub(crate) fn request_load(&mut self, piece: u32) {
        if !self.store.loading.contains_key(&piece) {
            self.store.loading.insert(piece, Load::Asked);
            self.out.push_back(Output::LoadPiece { piece });
        }
    }

    /// A peer asked for a block of a stored piece that is not in memory: it waits for the
    /// load. Beyond the bound it is refused like any request we cannot serve.
    pub(crate) fn serve_later(&mut self, key: PeerKey, b: BlockInfo) -> bool {
        let bound = (self.cfg.our_reqq as usize).saturating_mul(self.cfg.max_peers.max(1));
        if self.store.waiting_count >= bound {
            return false;
        }
        self.store.waiting_count += 1;
        self.store
            .waiting
            .entry(b.index)
            .or_default()
            .push((key, b));
        self.request_load(b.index);
        true
    }

    /// [`Input::PieceStored`](crate::Input::PieceStored).
    pub(crate) fn on_piece_stored(&mut self, piece: u32, result: Result<(), StoreError>) {
        if !self.store.writing.remove(&piece) {
            return;
        }
        let size = self
            .torrent
            .as_ref()
            .map_or(0, |t| t.picker.piece_size(piece));
        self.store.writing_bytes = self.store.writing_bytes.saturating_sub(size);
        self.store.refusing = result.is_err();
        match result {
            Ok(()) => {
                self.store.stored.insert(piece);
            }
            Err(_) => {
                self.stats.store_write_failures += 1;
                // Lives on in memory while the window keeps it; gone already if it did not.
                if !self.storage.has(piece) {
                    self.lose_stored(piece);
                }
            }
        }
    }

    /// [`Input::PieceLoaded`](crate::Input::PieceLoaded): judges the bytes (length now, hash
    /// inline or lent out). The buffer handed in is the one kept: a loaded piece costs no
    /// copy (a whole piece, 4 MiB for large files, and the wasm memory that held extra copies
    /// never shrinks).
    pub(crate) fn on_piece_loaded(&mut self, piece: u32, result: Result<Vec<u8>, StoreError>) {
        if !matches!(self.store.loading.get(&piece), Some(Load::Asked)) {
            return;
        }
        let size = self.torrent.as_ref().map(|t| t.picker.piece_size(piece));
        let bytes = match result {
            Ok(b) if Some(b.len() as u64) == size => b,
            _ => {
                self.store.loading.remove(&piece);
                self.stats.store_misses += 1;
                self.lose_stored(piece);
                return;
            }
        };
        // Inline when a digest for another copy of this piece is still out (see `hashes_out`).
        if self.cfg.deferred_hashing && self.hashes_out.insert(piece) {
            self.out.push_back(Output::HashPiece { piece, data: bytes });
            self.store.loading.insert(piece, Load::Hashing);
        } else {
            let digest = self.hasher.sha1(&bytes);
            self.judge_loaded(piece, bytes, digest);
        }
    }

    /// A digest for a loaded piece, with its bytes given back; whether the engine was
    /// waiting on one.
    pub(crate) fn on_loaded_hashed(&mut self, piece: u32, digest: [u8; 20], data: Vec<u8>) -> bool {
        if !matches!(self.store.loading.get(&piece), Some(Load::Hashing)) {
            return false;
        }
        self.store.loading.insert(piece, Load::Asked);
        self.judge_loaded(piece, data, digest);
        true
    }

    /// A loaded piece's digest is known: into memory and out to its waiters, or dropped.
    fn judge_loaded(&mut self, piece: u32, data: Vec<u8>, digest: [u8; 20]) {
        self.store.loading.remove(&piece);
        let Some(t) = self.torrent.as_ref() else {
            return;
        };
        let expected = t.info.pieces.get(piece as usize).copied();
        if !t.picker.have.get(piece) {
            // Dropped (or never HAVE) meanwhile; a download owns the piece now.
            return;
        }
        // The length too: bytes given back by a hashing driver are judged as bytes.
        if Some(digest) != expected || data.len() as u64 != t.picker.piece_size(piece) {
            self.stats.store_misses += 1;
            self.lose_stored(piece);
            return;
        }
        self.stats.store_loads += 1;
        if !self.storage.has(piece) {
            self.keep_in_memory(piece, data);
            if self.storage.has(piece) {
                self.store.from_store.insert(piece);
            }
        }
        let waiting = self.store.waiting.remove(&piece).unwrap_or_default();
        self.store.waiting_count = self.store.waiting_count.saturating_sub(waiting.len());
        for (key, b) in waiting {
            self.serve(key, b);
        }
        self.deliver_all();
    }

    /// The store does not hold a HAVE piece after all (missing, damaged, unwritable): refuse
    /// its waiting requests, stop announcing it, and fetch it again.
    fn lose_stored(&mut self, piece: u32) {
        self.store.stored.remove(&piece);
        self.store.from_store.remove(&piece);
        let now = self.now;
        let waiting = self.store.waiting.remove(&piece).unwrap_or_default();
        self.store.waiting_count = self.store.waiting_count.saturating_sub(waiting.len());
        for (key, b) in waiting {
            if let Some(peer) = self.peers.get_mut(&key) {
                if peer.fast {
                    send(peer, Message::RejectRequest(b), now);
                }
            }
        }
        if !self.storage.has(piece) {
            self.forget_piece(piece);
            self.refresh_deadline();
            let keys: Vec<PeerKey> = self.peers.keys().copied().collect();
            for k in keys {
                self.fill(k);
            }
        }
    }
}
