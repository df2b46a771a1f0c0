//! The [`Session`]: one torrent's engine, announcers, peers, GETs and readers, and the loop that
//! moves outputs between them and the [`Platform`].

use vecmap::VecMap;

use metainfo::InfoHash;
use swarm::{CloseReason, Engine, Input, Millis, Output, PieceHasher, ReaderId, Storage};
use tracker_proto::SplitMix64;

use crate::{
    classic::Classic,
    config::SessionConfig,
    flow::ReaderFlow,
    peers::Peers,
    platform::{Event, Notice, Platform},
    rate::Rate,
    stats::{Stats, TrackerStatus},
    trackers::Tracker,
    webseed::Gets,
};

/// What [`Session::read`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// The next verified bytes of the reader's range.
    Chunk(Vec<u8>),
    /// Nothing yet: wait for [`Notice::ReaderReady`].
    Waiting,
    /// Every byte of the range was read (or the reader is unknown).
    Finished,
}

/// One torrent's session. See the crate's documentation for how to drive it.
pub struct Session<S: Storage, H: PieceHasher> {
    pub(crate) engine: Engine<S, H>,
    pub(crate) cfg: SessionConfig,
    pub(crate) now: Millis,
    pub(crate) trackers: Vec<Tracker>,
    pub(crate) classic: Vec<Classic>,
    pub(crate) peers: Peers,
    pub(crate) gets: Gets,
    pub(crate) rng: SplitMix64,
    pub(crate) readers: VecMap<ReaderId, ReaderFlow>,
    /// Webseeds that are a companion's gateway ([`Session::add_gateway`]).
    pub(crate) gateways: Vec<usize>,
    next_reader: u32,
    no_peers_since: Option<Millis>,
    /// Why the last open peer connection ended (see [`Stats::last_peer_close`]).
    pub(crate) last_peer_close: Option<String>,
    down: Rate,
    up: Rate,
    timer: Option<Millis>,
    stopped: bool,
}

impl<S: Storage, H: PieceHasher> Session<S, H> {
    /// Starts a session over `engine`: its trackers are asked to connect and the engine gets
    /// its first tick (a webseed may be asked at once).
    pub fn start(
        engine: Engine<S, H>,
        cfg: SessionConfig,
        now: Millis,
        platform: &mut impl Platform,
    ) -> Self {
        let mut rng = SplitMix64::new(cfg.rng_seed);
        // A seed's first announce already says it has everything (`left` 0).
        let left = engine.stats().left;
        let trackers = cfg
            .trackers
            .iter()
            .map(|url| Tracker::new(url, &cfg, engine.info_hash(), left, rng.next_u64()))
            .collect();
        let first = tracker_classic::Stats {
            left,
            ..tracker_classic::Stats::default()
        };
        let classic = cfg
            .classic_trackers
            .iter()
            .map(|url| {
                let hash = engine.info_hash().0;
                let port = cfg.listen_port;
                Classic::new(url, hash, cfg.peer_id, port, first, rng.next_u64(), now)
            })
            .collect();
        let mut session = Self {
            engine,
            now,
            trackers,
            classic,
            peers: Peers::default(),
            gets: Gets::default(),
            rng,
            readers: VecMap::new(),
            gateways: Vec::new(),
            next_reader: 0,
            no_peers_since: Some(now),
            last_peer_close: None,
            down: Rate::default(),
            up: Rate::default(),
            timer: None,
            stopped: false,
            cfg,
        };
        session.handle(now, Event::Timer, platform);
        session
    }

    /// Feeds one event at `now` (times never go backwards; an earlier `now` counts as the
    /// latest seen) and performs what follows through `platform`.
    pub fn handle(&mut self, now: Millis, event: Event, platform: &mut impl Platform) {
        if self.stopped {
            return;
        }
        self.advance(now);
        let now = self.now;
        match event {
            Event::Timer => self.engine.handle_input(now, Input::Tick),
            Event::TrackerOpen { tracker } => self.tracker_open(tracker),
            Event::TrackerMessage { tracker, message } => self.tracker_message(tracker, message),
            Event::TrackerClosed { tracker } => self.tracker_closed(tracker),
            Event::OfferMade { peer, sdp } => self.offer_made(peer, sdp),
            Event::AnswerMade { peer, sdp } => self.answer_made(peer, sdp),
            Event::PeerOpen { peer } => self.peer_open(peer, platform),
            Event::PeerData { peer, bytes } => {
                if self.peers.got_data(peer) {
                    let input = Input::PeerData {
                        peer,
                        bytes: &bytes,
                    };
                    self.engine.handle_input(now, input);
                }
            }
            Event::PeerClosed { peer } => self.forget_peer(peer, platform),
            Event::ClassicTrackerReply { tracker, reply } => {
                self.classic_reply(tracker, reply, platform);
            }
            Event::PeerAddrs { addrs } => {
                self.peers.addrs.add(addrs, now);
            }
            Event::HttpDone { get, result } => self.http_done(get, result, platform),
            Event::PieceHashed {
                piece,
                digest,
                data,
            } => {
                let input = Input::PieceHashed {
                    piece,
                    digest,
                    data,
                };
                self.engine.handle_input(now, input);
            }
            Event::PieceStored { piece, result } => {
                self.engine
                    .handle_input(now, Input::PieceStored { piece, result });
            }
            Event::PieceLoaded { piece, result } => {
                self.engine
                    .handle_input(now, Input::PieceLoaded { piece, result });
            }
        }
        self.settle(platform);
    }

    /// Adds a reader over torrent bytes `[start, end)`; bytes arrive through [`Session::read`]
    /// (never more than [`READ_AHEAD`](crate::READ_AHEAD) ahead of what was read).
    pub fn open_reader(
        &mut self,
        now: Millis,
        start: u64,
        end: u64,
        platform: &mut impl Platform,
    ) -> ReaderId {
        self.advance(now);
        let id = ReaderId(self.next_reader);
        self.next_reader = self.next_reader.wrapping_add(1);
        let (flow, (offset, grant)) = ReaderFlow::new(start, end);
        self.readers.insert(id, flow);
        if !self.stopped {
            let seek = Input::Seek {
                reader: id,
                offset,
                end: grant,
            };
            self.engine.handle_input(self.now, seek);
            self.settle(platform);
        }
        id
    }

    /// The reader's next chunk; pulling moves the engine's window on when it is due.
    pub fn read(&mut self, now: Millis, reader: ReaderId, platform: &mut impl Platform) -> Read {
        self.advance(now);
        let Some(flow) = self.readers.get_mut(&reader) else {
            return Read::Finished;
        };
        let Some(chunk) = flow.pop() else {
            return if flow.finished() {
                Read::Finished
            } else {
                Read::Waiting
            };
        };
        if let Some((offset, end)) = flow.regrant() {
            if !self.stopped {
                let seek = Input::Seek {
                    reader,
                    offset,
                    end,
                };
                self.engine.handle_input(self.now, seek);
                self.settle(platform);
            }
        }
        Read::Chunk(chunk)
    }

    /// Forgets a reader (its window loses its priority).
    pub fn close_reader(&mut self, now: Millis, reader: ReaderId, platform: &mut impl Platform) {
        self.advance(now);
        if self.readers.remove(&reader).is_some() && !self.stopped {
            self.engine
                .handle_input(self.now, Input::CloseReader { reader });
            self.settle(platform);
        }
    }

    /// Leaves the swarm: announces `stopped` and closes the trackers, every peer and GET, and
    /// disarms the timer. Later events are ignored; readers keep what they hold.
    pub fn stop(&mut self, platform: &mut impl Platform) {
        if self.stopped {
            return;
        }
        self.stop_trackers(platform);
        self.classic_stop(platform);
        self.settle(platform);
        self.stopped = true;
        for peer in self.peers.keys() {
            self.peers.remove(peer, self.now);
            platform.close_peer(peer);
        }
        self.gets.cancel_all(platform);
        platform.set_timer(None);
        self.timer = None;
        for &reader in self.readers.keys() {
            platform.notice(Notice::ReaderReady(reader));
        }
    }

    /// Time never goes backwards: an earlier `now` counts as the latest seen.
    pub(crate) fn advance(&mut self, now: Millis) {
        self.now = Millis(now.0.max(self.now.0));
    }

    /// Bytes a reader holds that were not read yet.
    #[cfg(test)]
    pub(crate) fn reader_queued(&self, reader: ReaderId) -> u64 {
        self.readers.get(&reader).map_or(0, ReaderFlow::queued)
    }

    /// Whether [`Session::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The engine (its info, stats, storage).
    pub fn engine(&self) -> &Engine<S, H> {
        &self.engine
    }

    /// The engine, mutably (e.g. to check its storage); do not feed it inputs directly.
    pub fn engine_mut(&mut self) -> &mut Engine<S, H> {
        &mut self.engine
    }

    /// The torrent's info, once known.
    pub fn info(&self) -> Option<&metainfo::Info> {
        self.engine.info()
    }

    /// The torrent's info hash.
    pub fn info_hash(&self) -> InfoHash {
        self.engine.info_hash()
    }

    /// Open peer connections (those still connecting are in [`Stats::connecting`]).
    pub fn open_peers(&self) -> usize {
        self.peers.open()
    }

    /// Each tracker's state: the WebSocket trackers, then the HTTP and UDP ones.
    pub fn tracker_statuses(&self) -> Vec<TrackerStatus> {
        let ws = self.trackers.iter().map(|t| t.status.clone());
        ws.chain(self.classic.iter().map(|c| c.status.clone()))
            .collect()
    }

    /// Other peers of the swarm by the WebSocket trackers' last announce answers (the largest
    /// count, less ourselves); `None` until a tracker answered with counts.
    pub fn others_announced(&self) -> Option<u64> {
        self.trackers
            .iter()
            .filter_map(|t| t.swarm_size)
            .max()
            .map(|n| n.saturating_sub(1))
    }

    /// Bans a peer id found lying elsewhere (on another torrent sharing its connection): its
    /// connection closes now and it is never taken back (`swarm::Engine::ban_peer_id`).
    pub fn ban_peer(&mut self, now: Millis, id: metainfo::PeerId, platform: &mut impl Platform) {
        if self.stopped {
            return;
        }
        self.advance(now);
        self.engine.ban_peer_id(id);
        self.settle(platform);
    }

    /// Offers a piece the driver fetched and hashed elsewhere (`swarm::Engine::import_hashed`:
    /// stored when its digest is this torrent's hash of `piece` and the piece is missing) and
    /// sends the connected peers their `have` at once. For a session seeding a torrent another
    /// download fills (`swarm::Config::upload_only`). Returns whether it was stored.
    pub fn import_hashed(
        &mut self,
        now: Millis,
        piece: u32,
        hashed: swarm::HashedPiece,
        platform: &mut impl Platform,
    ) -> bool {
        if self.stopped {
            return false;
        }
        self.advance(now);
        let stored = self.engine.import_hashed(piece, hashed);
        self.settle(platform);
        stored
    }

    /// Peer addresses known (from classic trackers and [`Event::PeerAddrs`]).
    pub fn known_addrs(&self) -> usize {
        self.peers.addrs.len()
    }

    /// The figures for a stats panel at `now`.
    pub fn stats(&self, now: Millis) -> Stats {
        let s = self.engine.stats();
        // Read from the engine each time, not mirrored: pieces also stop being HAVE (evicted
        // from memory without a store, lost from the store) without an output saying so.
        let have: Vec<bool> = self.engine.info().map_or_else(Vec::new, |info| {
            (0..info.piece_count())
                .map(|p| self.engine.has_piece(p))
                .collect()
        });
        Stats {
            peers: self.open_peers(),
            connecting: self.peers.connecting(),
            download_bps: self.down.per_second(now),
            upload_bps: self.up.per_second(now),
            bytes_from_peers: s.downloaded_from_peers,
            bytes_from_http: s.downloaded_from_webseeds,
            bytes_via_gateway: self
                .gateways
                .iter()
                .map(|w| self.engine.webseed_bytes(*w))
                .sum(),
            uploaded: s.uploaded,
            pieces_total: self.engine.info().map_or(0, |i| i.piece_count()),
            pieces_verified: u32::try_from(have.iter().filter(|h| **h).count()).unwrap_or(u32::MAX),
            have,
            trackers: self.tracker_statuses(),
            waiting_for_peers_ms: self.no_peers_since.map(|t| now.0.saturating_sub(t.0)),
            metadata_ready: self.engine.info().is_some(),
            webseeds: self.cfg.webseeds.len(),
            bytes_read: s.reader_bytes,
            bytes_read_from_store: s.reader_bytes_from_store,
            store_loads: s.store_loads,
            store_misses: s.store_misses,
            store_write_failures: s.store_write_failures,
            hash_failures: s.hash_failures,
            peers_banned: s.peers_banned,
            last_peer_close: self.last_peer_close.clone(),
        }
    }

    /// Runs what is due, drains the engine and the announcers until both are quiet, updates
    /// the figures and re-arms the timer.
    pub(crate) fn settle(&mut self, platform: &mut impl Platform) {
        self.close_overdue_peers(platform);
        self.run_due_trackers();
        self.run_due_classic(platform);
        loop {
            let engine_busy = self.drain_engine(platform);
            let trackers_busy = self.drain_trackers(platform);
            if !engine_busy && !trackers_busy {
                break;
            }
        }
        self.dial_due(platform);
        let s = self.engine.stats();
        let now = self.now;
        self.down
            .sample(now, s.downloaded_from_peers + s.downloaded_from_webseeds);
        self.up.sample(now, s.uploaded);
        if self.peers.open() > 0 {
            self.no_peers_since = None;
        } else if self.no_peers_since.is_none() {
            self.no_peers_since = Some(now);
            // The last peer left mid-download: ask the trackers for others as soon as their
            // rules allow rather than after the whole interval (two minutes on ours).
            if !self.engine.is_complete() {
                self.trackers_want_peers();
            }
        }
        if self.stopped {
            return;
        }
        let next = [
            Some(self.engine.poll_timeout()),
            self.peers.next_deadline(),
            self.trackers_due_at(),
            self.classic_due_at(),
            self.next_dial_at(),
        ]
        .into_iter()
        .flatten()
        .min();
        if next != self.timer {
            self.timer = next;
            platform.set_timer(next);
        }
    }

    /// Acts on every engine output; whether there was any.
    fn drain_engine(&mut self, platform: &mut impl Platform) -> bool {
        let mut any = false;
        while let Some(out) = self.engine.poll_output() {
            any = true;
            match out {
                Output::Send { peer, bytes } => platform.send(peer, bytes),
                Output::PeerAddrs { addrs } => {
                    self.peers.addrs.add(addrs, self.now);
                }
                Output::Close { peer, reason } => {
                    if matches!(reason, CloseReason::Ourselves | CloseReason::Banned) {
                        self.peers.addrs.shun(peer);
                    }
                    // The engine already forgot the peer: no `PeerGone` for it.
                    if self.peers.remove(peer, self.now).is_some() {
                        self.last_peer_close = Some(format!("closed by us: {reason}"));
                        platform.close_peer(peer);
                        platform.notice(Notice::PeerGone(peer));
                    }
                }
                Output::HttpRequest { id, webseed, range } => {
                    self.http_request(id, webseed, range, platform);
                }
                Output::HttpCancel { id } => self.gets.cancel(id, platform),
                Output::MetadataReady => platform.notice(Notice::MetadataReady),
                Output::HashPiece { piece, data } => platform.hash_piece(piece, data),
                Output::StorePiece { piece, data } => platform.store_write(piece, data),
                Output::LoadPiece { piece } => platform.store_read(piece),
                Output::PieceVerified { .. } => {}
                Output::ReaderData {
                    reader,
                    offset,
                    bytes,
                } => {
                    if let Some(flow) = self.readers.get_mut(&reader) {
                        flow.push(offset, bytes);
                        platform.notice(Notice::ReaderReady(reader));
                    }
                }
                Output::Complete => {
                    self.trackers_complete();
                    self.classic_complete();
                    platform.notice(Notice::Complete);
                }
            }
        }
        any
    }

    /// The counters announced to trackers.
    pub(crate) fn announce_stats(&self) -> tracker_proto::Stats {
        let s = self.engine.stats();
        tracker_proto::Stats {
            uploaded: s.uploaded,
            downloaded: s.downloaded_from_peers + s.downloaded_from_webseeds,
            left: s.left,
        }
    }

    pub(crate) fn tracker_now(&self) -> tracker_proto::Millis {
        tracker_proto::Millis(self.now.0)
    }
}
