//! The engine: one torrent's state machine. The driver feeds [`Input`]s with the current time,
//! drains [`Output`]s, and wakes it at [`Engine::poll_timeout`]. See the crate docs for the
//! recipe and STATE.md for the invariants.

mod download;
mod http;
mod invariants;
mod meta;
mod pex;
mod session;
mod store;
mod verify;

pub use meta::MetadataError;
pub(crate) use pex::PexSent;

use std::collections::VecDeque;
use vecmap::{VecMap, VecSet};

use metainfo::{Info, InfoHash, Metainfo, PeerId};
use wire::{DecoderConfig, FrameDecoder, Handshake, Limits, Reserved};

use crate::{
    config::Config,
    hasher::PieceHasher,
    io::{CloseReason, Input, Output, PeerSummary, Stats},
    metadata::MetadataFetch,
    peer::Peer,
    picker::Picker,
    readers::{Readers, Wanted},
    storage::Storage,
    types::{Millis, PeerKey, Rng},
    webseed::Webseeds,
};

/// How often the engine wants a [`Input::Tick`] at most, ms: rates, timeouts, choking rounds
/// and HTTP fallback are evaluated on ticks.
pub const TICK_MS: u64 = 200;

/// The torrent once its metadata is known.
#[derive(Debug)]
pub(crate) struct Torrent {
    pub(crate) info: Info,
    pub(crate) info_bytes: Vec<u8>,
    pub(crate) picker: Picker,
}

/// One torrent's swarm engine (sans-IO). `S` stores verified pieces, `H` hashes them.
#[derive(Debug)]
pub struct Engine<S, H> {
    pub(crate) cfg: Config,
    pub(crate) info_hash: InfoHash,
    pub(crate) torrent: Option<Torrent>,
    pub(crate) meta: MetadataFetch,
    pub(crate) peers: VecMap<PeerKey, Peer>,
    pub(crate) storage: S,
    pub(crate) hasher: H,
    pub(crate) readers: Readers,
    /// Deadline pieces, refreshed when readers move or pieces verify.
    pub(crate) deadline: Vec<Wanted>,
    pub(crate) webseeds: Webseeds,
    pub(crate) out: VecDeque<Output>,
    pub(crate) now: Millis,
    pub(crate) started: Option<Millis>,
    pub(crate) rng: Rng,
    pub(crate) stats: Stats,
    pub(crate) banned: VecSet<PeerId>,
    pub(crate) optimistic: Option<PeerKey>,
    pub(crate) next_choke: Millis,
    pub(crate) next_optimistic: Millis,
    /// When the next [`Input::Tick`] is due: set by each tick, not moved by other inputs, so
    /// a driver re-arming its timer after every input still ticks while data streams in.
    pub(crate) next_tick: Millis,
    pub(crate) complete_sent: bool,
    /// The driver's persistent store, with [`Config::external_store`].
    pub(crate) store: store::External,
    /// Pieces handed out for hashing ([`Config::deferred_hashing`]) whose digest has not come
    /// back. A digest names only its piece, so at most one is out per piece: a second copy
    /// to judge meanwhile (a download after a load of the piece failed, or the reverse) is
    /// hashed inline, and the digest that comes back belongs to the one copy waiting for it.
    pub(crate) hashes_out: VecSet<u32>,
}

impl<S: Storage, H: PieceHasher> Engine<S, H> {
    /// An engine for a torrent whose metadata we have (a .torrent file). Webseeds come from its
    /// `url-list`.
    pub fn new(cfg: Config, meta: &Metainfo, storage: S, hasher: H) -> Self {
        let mut e = Self::bare(cfg, meta.info_hash, meta.url_list.clone(), storage, hasher);
        e.install(meta.info.clone(), meta.info_bytes.clone());
        e.out.clear();
        e
    }

    /// An engine started from a magnet: the metadata is fetched from peers (ut_metadata) first.
    /// `webseeds` are the magnet's `ws=` URLs.
    pub fn from_magnet(
        cfg: Config,
        info_hash: InfoHash,
        webseeds: Vec<String>,
        storage: S,
        hasher: H,
    ) -> Self {
        Self::bare(cfg, info_hash, webseeds, storage, hasher)
    }

    fn bare(cfg: Config, info_hash: InfoHash, urls: Vec<String>, storage: S, hasher: H) -> Self {
        let rng = Rng::new(cfg.seed);
        Self {
            cfg,
            info_hash,
            torrent: None,
            meta: MetadataFetch::default(),
            peers: VecMap::new(),
            storage,
            hasher,
            readers: Readers::default(),
            deadline: Vec::new(),
            webseeds: Webseeds::new(urls),
            out: VecDeque::new(),
            now: Millis(0),
            started: None,
            rng,
            stats: Stats::default(),
            banned: VecSet::new(),
            optimistic: None,
            next_choke: Millis(0),
            next_optimistic: Millis(0),
            next_tick: Millis(0),
            complete_sent: false,
            store: store::External::default(),
            hashes_out: VecSet::new(),
        }
    }

    /// Offers a piece we already hold (a seeder's files, a cache). It is hashed like any
    /// download and stored if it matches; returns whether it did.
    pub fn import_piece(&mut self, piece: u32, data: Vec<u8>) -> bool {
        match self.importable(piece, data.len()) {
            Some(expected) if self.hasher.sha1(&data) == expected => {
                self.store_verified(piece, data);
                // Outside `handle_input`: the haves for the connected peers leave with the
                // next `poll_output`, not with whatever input comes next.
                self.flush();
                true
            }
            _ => false,
        }
    }

    /// Feeds one input at time `now` (times never go backwards; an earlier `now` is taken as
    /// the latest seen). Then drain [`Engine::poll_output`].
    pub fn handle_input(&mut self, now: Millis, input: Input<'_>) {
        self.now = self.now.max(now);
        self.started.get_or_insert(self.now);
        match input {
            Input::PeerConnected { peer } => self.on_connected(peer),
            Input::PeerAddress {
                peer,
                addr,
                dialled,
            } => self.on_peer_address(peer, addr, dialled),
            Input::PeerData { peer, bytes } => self.on_data(peer, bytes),
            Input::PeerGone { peer } => self.drop_peer(peer),
            Input::HttpResponse { id, result } => self.on_http_response(id, result),
            Input::Seek {
                reader,
                offset,
                end,
            } => self.on_seek(reader, offset, end),
            Input::CloseReader { reader } => {
                self.readers.map.remove(&reader);
                self.refresh_deadline();
            }
            Input::PieceHashed {
                piece,
                digest,
                data,
            } => self.on_piece_hashed(piece, digest, data),
            Input::PieceStored { piece, result } => self.on_piece_stored(piece, result),
            Input::PieceLoaded { piece, result } => self.on_piece_loaded(piece, result),
            Input::Tick => self.on_tick(),
        }
        self.flush();
        if cfg!(debug_assertions) && self.cfg.check_invariants {
            if let Err(e) = self.check_invariants() {
                panic!("swarm invariant broken: {e}");
            }
        }
    }

    /// The next thing to do, `None` when there is nothing more for now.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When the engine wants an [`Input::Tick`] (a timer): [`TICK_MS`] after the last tick,
    /// whatever came in since (it may be in the past: tick at once). Always set: a swarm keeps
    /// rates, choking rounds, keep-alives and timeouts going. Measured from the last tick, not
    /// from the last input: a deadline that moved with every input never came while blocks
    /// streamed in, which froze the download rate, and with it the request pipeline, at zero.
    pub fn poll_timeout(&self) -> Millis {
        self.next_tick
    }

    /// Counters for announces and the stats panel.
    pub fn stats(&self) -> Stats {
        let mut s = self.stats;
        s.left = self.torrent.as_ref().map(|t| t.picker.left());
        s.peers = self.peers.len();
        s
    }

    /// The torrent's info dict, once known.
    pub fn info(&self) -> Option<&Info> {
        self.torrent.as_ref().map(|t| &t.info)
    }

    /// The bencoded info dict (its SHA-1 is the info hash), once known: what a store keeps so
    /// a magnet can start again without asking peers for the metadata.
    pub fn info_bytes(&self) -> Option<&[u8]> {
        self.torrent.as_ref().map(|t| t.info_bytes.as_slice())
    }

    /// The info hash.
    pub fn info_hash(&self) -> InfoHash {
        self.info_hash
    }

    /// Whether every piece is verified.
    pub fn is_complete(&self) -> bool {
        self.torrent
            .as_ref()
            .is_some_and(|t| t.picker.is_complete())
    }

    /// Whether piece `piece` is verified and stored.
    pub fn has_piece(&self, piece: u32) -> bool {
        self.torrent
            .as_ref()
            .is_some_and(|t| t.picker.have.get(piece))
    }

    /// The storage (e.g. to read a finished download).
    pub fn storage_mut(&mut self) -> &mut S {
        &mut self.storage
    }

    /// The remote peer id of a connection, once its handshake arrived.
    pub fn peer_id_of(&self, peer: PeerKey) -> Option<PeerId> {
        self.peers.get(&peer).and_then(|p| p.remote_id)
    }

    /// Connected peers.
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// What the connected peers have, as far as they said: `(offering, unheard)`, the peers
    /// with a piece we lack, and the peers whose handshake, extension handshake or bitfield
    /// has not arrived yet (they may still turn out to have something; a peer that has
    /// nothing may stay silent after its handshakes, as BEP 3 allows).
    pub fn peers_offering(&self) -> (usize, usize) {
        self.peers.values().fold((0, 0), |(offering, unheard), p| {
            (
                offering + usize::from(p.wanted > 0),
                unheard + usize::from(!p.heard()),
            )
        })
    }

    /// What one connected peer said and sent so far (`None` for a key the engine does not
    /// know): for a caller that judges peers one by one, such as an HLS loader that stops
    /// waiting on a peer that let a segment down.
    pub fn peer_summary(&self, peer: PeerKey) -> Option<PeerSummary> {
        self.peers.get(&peer).map(|p| PeerSummary {
            heard: p.heard(),
            offering: p.wanted > 0,
            received: p.received,
        })
    }

    pub(crate) fn decoder_config(&self) -> DecoderConfig {
        DecoderConfig {
            limits: self.limits(),
            local: Reserved::WEBTORRENT,
            expected_info_hash: Some(self.info_hash),
            enforce_fast: true,
        }
    }

    /// Wire limits, with the piece count lowered to the torrent's once known.
    pub(crate) fn limits(&self) -> Limits {
        let mut l = self.cfg.limits;
        if let Some(t) = &self.torrent {
            l.max_pieces = l.max_pieces.min(t.picker.piece_count().max(1));
        }
        l
    }

    fn on_connected(&mut self, key: PeerKey) {
        if self.peers.contains_key(&key) {
            return;
        }
        if self.peers.len() >= self.cfg.max_peers {
            self.out.push_back(Output::Close {
                peer: key,
                reason: CloseReason::TooManyPeers,
            });
            return;
        }
        let mut peer = Peer::new(FrameDecoder::new(self.decoder_config()), self.now);
        Handshake::new(self.info_hash, self.cfg.peer_id).encode(&mut peer.out);
        self.peers.insert(key, peer);
    }

    /// Moves queued peer bytes to the output queue (one `Send` per peer per input).
    pub(crate) fn flush(&mut self) {
        for (&key, peer) in &mut self.peers {
            if !peer.out.is_empty() {
                let bytes = std::mem::take(&mut peer.out);
                self.out.push_back(Output::Send { peer: key, bytes });
            }
        }
    }

    /// Closes a connection we decided to end.
    pub(crate) fn close(&mut self, key: PeerKey, reason: CloseReason) {
        if self.peers.contains_key(&key) {
            // Bytes queued before the decision still go out (e.g. a reject), then the close.
            if let Some(p) = self.peers.get_mut(&key) {
                if !p.out.is_empty() {
                    let bytes = std::mem::take(&mut p.out);
                    self.out.push_back(Output::Send { peer: key, bytes });
                }
            }
            self.drop_peer(key);
            self.out.push_back(Output::Close { peer: key, reason });
        }
    }

    /// Bans the peer's id and closes it.
    pub(crate) fn ban(&mut self, key: PeerKey) {
        if let Some(id) = self.peers.get(&key).and_then(|p| p.remote_id) {
            self.banned.insert(id);
        }
        if self.peers.contains_key(&key) {
            self.stats.peers_banned += 1;
        }
        self.close(key, CloseReason::Banned);
    }

    /// Bans a peer id for a reason found outside this engine (another torrent it shares a
    /// connection with caught it lying): its connection is closed now, and a connection that
    /// handshakes with that id later is closed as [`CloseReason::Banned`].
    pub fn ban_peer_id(&mut self, id: PeerId) {
        self.banned.insert(id);
        let keys: Vec<PeerKey> = self
            .peers
            .iter()
            .filter(|(_, p)| p.remote_id == Some(id))
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            self.ban(key);
        }
    }

    /// Forgets a peer: its requests go back to the picker, its pieces leave the availability.
    pub(crate) fn drop_peer(&mut self, key: PeerKey) {
        let Some(peer) = self.peers.remove(&key) else {
            return;
        };
        if let Some(t) = self.torrent.as_mut() {
            for o in &peer.outstanding {
                t.picker.release(o.piece, o.block);
            }
            if let Some(bf) = &peer.bitfield {
                t.picker.remove_bitfield(bf);
            }
            for p in t.picker.partial.values_mut() {
                if p.exclusive == Some(key) {
                    p.exclusive = None;
                }
            }
        }
        self.meta.forget_peer(key);
        if self.optimistic == Some(key) {
            self.optimistic = None;
        }
    }

    fn on_tick(&mut self) {
        let now = self.now;
        self.next_tick = now.plus(TICK_MS);
        for p in self.peers.values_mut() {
            p.down.update(now);
            p.up.update(now);
        }
        self.check_peer_timers();
        if now >= self.next_choke {
            self.choke_round();
        }
        if self.torrent.is_none() {
            self.request_metadata();
        }
        self.refresh_deadline();
        self.schedule_http();
        if self.cfg.pex {
            self.exchange_peers();
        }
        let keys: Vec<PeerKey> = self.peers.keys().copied().collect();
        for k in keys {
            self.fill(k);
        }
    }
}
