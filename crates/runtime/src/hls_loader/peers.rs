//! The viewers of one live channel as peers of each other.
//!
//! Joining costs one [`Session`](session::Session) for the channel's `SWARM` id: it announces
//! it on the playlist's trackers and keeps a handful of WebRTC connections (its engine has no
//! metadata for `SWARM` and wants none: the connections are what it is for). Each segment with
//! a checked tag is its own torrent with its own session (info dict rebuilt from the tag, no
//! trackers, no offers, no webseeds): a segment moves over a new data channel opened in-band on
//! a channel connection, labelled with the segment's info hash in hex, carrying standard
//! BitTorrent wire for that torrent, and fed to the segment's session through
//! [`Session::accept_peer`](session::Session::accept_peer). Who has what is that wire's own
//! bitfield and `have` messages. A segment session's engine bans a peer at its first piece that
//! fails the tag's hash; the loader then bans that peer from the whole channel.

use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    rc::{Rc, Weak},
};
use vecmap::{VecMap, VecSet};

use hls::{ChannelTag, SegmentTag};
use metainfo::{InfoHash, PeerId};
use session::{Event, SessionConfig};
use swarm::{Engine, MemoryStorage, PeerKey, Sha1Smol};
use web_sys::{RtcDataChannel, RtcPeerConnection};

use super::channel::{ChannelState, HlsChannel, PeerSetup};
use crate::{
    browser::{self, peer, BrowserPlatform, SharedNet},
    cell::TorrentCell,
    client::{crate_random, torrent_of_info},
};

/// Connections kept to other viewers of the channel ("a handful").
const CHANNEL_PEERS: usize = 6;
/// Segment sessions kept (the newest; older segments leave the live window anyway).
const KEPT_SEGMENTS: usize = 30;
/// Peers of one segment's session.
const SEGMENT_PEERS: usize = 12;
/// After joining, how long channel peers still on their way are waited for (our offers reach
/// them through the tracker, their answers come back the same way, then the connection opens
/// and handshakes), ms. Later a segment with no connected peer goes to HTTP at once, as
/// before: waiting longer cost start-up time on a loaded machine (benchmarks.md).
const JOIN_GRACE_MS: u64 = 2500;

/// One channel's peers and the sessions of its segments.
pub(crate) struct HlsSwarm {
    channel: Rc<TorrentCell>,
    net: SharedNet,
    peer_id: [u8; 20],
    ice_servers: Vec<crate::IceServer>,
    segments: RefCell<VecMap<InfoHash, Rc<SegmentSwarm>>>,
    order: RefCell<VecDeque<InfoHash>>,
    /// Peer ids of channel peers that sent a bad piece: never asked or answered again.
    banned: RefCell<VecSet<PeerId>>,
    /// Channel peers that let a segment down: not waited on for a while (see `hls::Strikes`).
    pub(crate) strikes: RefCell<hls::Strikes<PeerId>>,
    /// Bytes uploaded by segment sessions already dropped.
    uploaded_before: Cell<u64>,
    state: Weak<RefCell<ChannelState>>,
    /// When the channel's session started.
    joined: swarm::Millis,
}

/// One segment's session and which channel connection each of its peers rides on.
pub(crate) struct SegmentSwarm {
    pub(crate) cell: Rc<TorrentCell>,
    net: SharedNet,
    /// Segment peer → channel peer.
    links: RefCell<VecMap<PeerKey, PeerKey>>,
    /// The engine's ban and hash-failure counts [`HlsSwarm::ban_liars`] has acted on: kept
    /// with the segment, so a ban during a prefetch is acted on by whoever looks next.
    seen_bans: Cell<(u64, u64)>,
    /// A prefetch is running for it (one at a time).
    prefetching: Cell<bool>,
}

impl HlsSwarm {
    /// Starts the channel's session: announces `SWARM` on the tag's WebSocket trackers.
    /// `None` when the tag names no WebSocket tracker.
    pub(crate) fn join(
        tag: &ChannelTag,
        setup: &PeerSetup,
        state: Weak<RefCell<ChannelState>>,
    ) -> Option<Rc<Self>> {
        let trackers: Vec<String> = tag
            .trackers
            .iter()
            .filter(|t| t.starts_with("ws://") || t.starts_with("wss://"))
            .cloned()
            .collect();
        if trackers.is_empty() {
            return None;
        }
        let engine_cfg = swarm::Config::new(PeerId::from(setup.peer_id), crate_random());
        let engine = Engine::from_magnet(
            engine_cfg,
            tag.swarm,
            Vec::new(),
            MemoryStorage::new(1 << 20),
            Sha1Smol,
        );
        let mut cfg = SessionConfig::new(setup.peer_id, crate_random());
        cfg.trackers = trackers;
        cfg.max_peers = CHANNEL_PEERS;
        let ice = setup.ice_servers.clone();
        let mut net = None;
        let channel = TorrentCell::start(engine, cfg, metainfo::Magnet::new(tag.swarm), |sink| {
            let p = BrowserPlatform::new(sink, ice, None);
            net = Some(p.net());
            Box::new(p)
        });
        let net = net?;
        let swarm = Rc::new_cyclic(|weak: &Weak<Self>| {
            let weak = weak.clone();
            browser::on_extra_channel(
                &net,
                Rc::new(move |key, pc, dc| {
                    if let Some(s) = weak.upgrade() {
                        s.incoming(key, pc, dc);
                    } else {
                        dc.close();
                    }
                }),
            );
            Self {
                channel,
                net: Rc::clone(&net),
                peer_id: setup.peer_id,
                ice_servers: setup.ice_servers.clone(),
                segments: RefCell::new(VecMap::new()),
                order: RefCell::new(VecDeque::new()),
                banned: RefCell::new(VecSet::new()),
                strikes: RefCell::new(hls::Strikes::new()),
                uploaded_before: Cell::new(0),
                state,
                joined: crate::now(),
            }
        });
        Some(swarm)
    }

    /// Open channel connections to peers not banned.
    pub(crate) fn open_peers(&self) -> usize {
        self.usable().len()
    }

    /// Channel peers that may be asked: open, and not banned.
    fn usable(&self) -> Vec<(PeerKey, RtcPeerConnection)> {
        let banned = self.banned.borrow();
        let session = self.channel.session();
        peer::open_connections(&self.net)
            .into_iter()
            .filter(|(k, _)| {
                session
                    .engine()
                    .peer_id_of(*k)
                    .is_some_and(|id| !banned.contains(&id))
            })
            .collect()
    }

    /// Channel peers on their way, in the first [`JOIN_GRACE_MS`] after joining: connections
    /// with a remote peer that are not open yet, open ones whose handshake has not come, the
    /// peers the tracker counted that are not connected (or the one announce not answered
    /// yet). A viewer that just joined gives them the chance it gives connected peers.
    pub(crate) fn coming(&self) -> usize {
        let now = crate::now();
        if now.since(self.joined) >= JOIN_GRACE_MS {
            return 0;
        }
        let session = self.channel.session();
        let connecting = session.stats(now).connecting;
        let open = peer::open_connections(&self.net);
        let shaking = open
            .iter()
            .filter(|(k, _)| session.engine().peer_id_of(*k).is_none())
            .count();
        let waiting = match session.others_announced() {
            // The announce is on its way: whoever is there may answer our offers.
            None => 1,
            Some(others) => usize::try_from(others)
                .unwrap_or(usize::MAX)
                .saturating_sub(open.len() + connecting),
        };
        connecting + shaking + waiting.min(CHANNEL_PEERS)
    }

    /// Peers that sent pieces of `seg` (a prefetch that completed) are waited on again if
    /// a strike had benched them.
    pub(crate) fn credit_senders(&self, seg: &SegmentSwarm) {
        let now = crate::now();
        let mut watch = hls::PeerWatch::new();
        watch.observe(now, 0, seg.peer_states(self), &self.strikes.borrow());
        let mut strikes = self.strikes.borrow_mut();
        for (id, turn) in watch.turns(now, hls::Outcome::Complete, 0) {
            strikes.record(now, id, turn);
        }
    }

    /// Segment bytes sent to peers.
    pub(crate) fn uploaded(&self) -> u64 {
        let live: u64 = self
            .segments
            .borrow()
            .values()
            .map(|s| s.cell.session().engine().stats().uploaded)
            .sum();
        self.uploaded_before.get() + live
    }

    /// Channel peers banned for a bad piece.
    pub(crate) fn banned(&self) -> u64 {
        self.banned.borrow().len() as u64
    }

    /// The session of the segment at `url` with `tag` (made when first needed).
    pub(crate) fn segment(&self, url: &str, tag: &SegmentTag) -> Option<Rc<SegmentSwarm>> {
        if let Some(s) = self.segments.borrow().get(&tag.info_hash) {
            return Some(Rc::clone(s));
        }
        let info = tag.info_dict(hls::segment_name(url));
        let meta = metainfo::Metainfo::from_bytes(&torrent_of_info(&info)).ok()?;
        if meta.info_hash != tag.info_hash {
            return None;
        }
        let mut engine_cfg = swarm::Config::new(PeerId::from(self.peer_id), crate_random());
        // One piece that fails its hash is enough to tell a liar: the tag is the origin's.
        engine_cfg.max_hash_fails = 1;
        // Lowest piece first, reader or not (a prefetch has none): HTTP resumes a segment at
        // its first missing byte, so only a prefix from peers is of use when they fall silent.
        engine_cfg.in_order = true;
        // Pieces from peers are hashed with SubtleCrypto, off the page's thread, like a
        // torrent's (browser/hashing.rs): SHA-1 in wasm was the largest single cost of the
        // page's own code in steady live play (docs/benchmarks.md). Still every piece, checked
        // against the tag's hash before the loader hands a byte to hls.js.
        engine_cfg.deferred_hashing = browser::subtle_sha1_available();
        let storage = MemoryStorage::new(tag.length.max(1));
        let engine = Engine::new(engine_cfg, &meta, storage, Sha1Smol);
        let mut cfg = SessionConfig::new(self.peer_id, crate_random());
        cfg.max_peers = SEGMENT_PEERS;
        cfg.max_offers = 0;
        let ice = self.ice_servers.clone();
        let mut net = None;
        let cell = TorrentCell::start(engine, cfg, metainfo::Magnet::new(tag.info_hash), |sink| {
            let p = BrowserPlatform::new(sink, ice, None);
            net = Some(p.net());
            Box::new(p)
        });
        let seg = Rc::new(SegmentSwarm {
            cell,
            net: net?,
            links: RefCell::new(VecMap::new()),
            seen_bans: Cell::new((0, 0)),
            prefetching: Cell::new(false),
        });
        self.segments
            .borrow_mut()
            .insert(tag.info_hash, Rc::clone(&seg));
        let mut order = self.order.borrow_mut();
        order.push_back(tag.info_hash);
        while order.len() > KEPT_SEGMENTS {
            let Some(old) = order.pop_front() else { break };
            if let Some(s) = self.segments.borrow_mut().remove(&old) {
                let up = s.cell.session().engine().stats().uploaded;
                self.uploaded_before.set(self.uploaded_before.get() + up);
                s.cell.destroy();
            }
        }
        Some(seg)
    }

    /// Asks every usable channel peer not yet linked to `seg` for it: one new data channel
    /// each, on the open connection. Answers how many peers the segment now has.
    pub(crate) fn ask(&self, seg: &SegmentSwarm, tag: &SegmentTag) -> usize {
        seg.prune();
        let label = tag.info_hash.to_hex();
        for (ch_key, pc) in self.usable() {
            if seg.links.borrow().values().any(|k| *k == ch_key) {
                continue;
            }
            let Some(key) = seg.cell.with(|s, _| s.accept_peer()).flatten() else {
                break;
            };
            let dc = pc.create_data_channel(&label);
            seg.links.borrow_mut().insert(key, ch_key);
            peer::adopt(&seg.net, key, pc, dc);
        }
        seg.linked()
    }

    /// A data channel another viewer opened on a channel connection: a segment it wants.
    /// Answered when we know that segment's tag (we list it, or have it); closed otherwise.
    fn incoming(&self, ch_key: PeerKey, pc: RtcPeerConnection, dc: RtcDataChannel) {
        let remote = self.channel.session().engine().peer_id_of(ch_key);
        let banned = remote.is_none_or(|id| self.banned.borrow().contains(&id));
        let hash = InfoHash::from_text(&dc.label()).ok();
        let known = hash.and_then(|h| {
            let state = self.state.upgrade()?;
            HlsChannel { state }.segment_by_hash(h)
        });
        let (false, Some((url, tag))) = (banned, known) else {
            dc.close();
            return;
        };
        let Some(seg) = self.segment(&url, &tag) else {
            dc.close();
            return;
        };
        // Both asked each other at once: the channel of the viewer with the lower peer id
        // stays (each side decides alike, so exactly one survives; the engine would close a
        // second connection to the same peer anyway).
        let crossed = seg
            .links
            .borrow()
            .iter()
            .any(|(k, ch)| *ch == ch_key && peer::exists(&seg.net, *k));
        if crossed && remote.is_some_and(|id| self.peer_id < *id.as_bytes()) {
            dc.close();
            return;
        }
        let Some(key) = seg.cell.with(|s, _| s.accept_peer()).flatten() else {
            dc.close();
            return;
        };
        seg.links.borrow_mut().insert(key, ch_key);
        peer::adopt(&seg.net, key, pc, dc);
    }

    /// Bans from the channel the peers of `seg` whose engine banned them (a bad piece):
    /// linked peers the segment's engine no longer has while it counts a new ban.
    pub(crate) fn ban_liars(&self, seg: &SegmentSwarm) {
        let stats = seg.cell.session().engine().stats();
        let (bans, fails) = (stats.peers_banned, stats.hash_failures);
        let seen = seg.seen_bans.get();
        if bans <= seen.0 {
            return;
        }
        let bad_piece = fails > seen.1;
        seg.seen_bans.set((bans, fails));
        if !bad_piece {
            // Banned for breaking the protocol, not for a bad piece: this segment only.
            web_sys::console::warn_1(
                &"Shoal: a peer broke the BitTorrent protocol on a segment's channel".into(),
            );
            return;
        }
        let gone: Vec<PeerKey> = {
            let session = seg.cell.session();
            seg.links
                .borrow()
                .iter()
                .filter(|(k, _)| session.engine().peer_id_of(**k).is_none())
                .map(|(_, ch)| *ch)
                .collect()
        };
        let liars: Vec<PeerId> = {
            let channel = self.channel.session();
            gone.iter()
                .filter_map(|ch| channel.engine().peer_id_of(*ch))
                .collect()
        };
        for id in liars {
            web_sys::console::warn_1(
                &format!(
                    "Shoal: peer {} sent a piece that failed its hash: its connection is closed",
                    id.to_hex()
                )
                .into(),
            );
            self.banned.borrow_mut().insert(id);
            // The connection goes too (its segment channels with it), and the channel's
            // engine refuses the peer if a later announce brings it back.
            self.channel.with(|s, p| s.ban_peer(crate::now(), id, p));
        }
    }
}

impl HlsSwarm {
    /// Drops the session of segment `hash` (a prefetch abandoned): its data channels close,
    /// so peers stop sending it. Asked for again later, it starts afresh.
    pub(crate) fn forget(&self, hash: InfoHash) {
        let Some(s) = self.segments.borrow_mut().remove(&hash) else {
            return;
        };
        self.order.borrow_mut().retain(|h| *h != hash);
        let up = s.cell.session().engine().stats().uploaded;
        self.uploaded_before.set(self.uploaded_before.get() + up);
        s.cell.destroy();
    }
}

impl Drop for HlsSwarm {
    /// Leaving the stream leaves the channel: trackers hear `stopped`, every data channel and
    /// connection closes.
    fn drop(&mut self) {
        for seg in self.segments.borrow().values() {
            seg.cell.destroy();
        }
        self.channel.destroy();
    }
}

impl SegmentSwarm {
    /// Forgets links whose data channel has closed.
    fn prune(&self) {
        self.links
            .borrow_mut()
            .retain(|k, _| peer::exists(&self.net, *k));
    }

    /// Peers linked and still known to the segment's engine or connecting.
    pub(crate) fn linked(&self) -> usize {
        let session = self.cell.session();
        let open = session.open_peers();
        let stats = session.stats(crate::now());
        open + stats.connecting
    }

    /// Each channel peer linked to this segment with what it said and sent on the segment's
    /// channel (a link still opening counts as not heard from), keyed by its peer id on the
    /// channel: the loader's `hls::PeerWatch` judges them.
    pub(crate) fn peer_states(&self, channel: &HlsSwarm) -> Vec<(PeerId, hls::PeerState)> {
        let session = self.cell.session();
        let channel = channel.channel.session();
        self.links
            .borrow()
            .iter()
            .filter(|(k, _)| peer::exists(&self.net, **k))
            .filter_map(|(k, ch)| {
                let id = channel.engine().peer_id_of(*ch)?;
                let state =
                    session
                        .engine()
                        .peer_summary(*k)
                        .map_or_else(hls::PeerState::default, |p| hls::PeerState {
                            heard: p.heard,
                            offering: p.offering,
                            received: p.received,
                        });
                Some((id, state))
            })
            .collect()
    }

    /// Hands pieces the loader hashed against the segment's tag to its session, as verified
    /// (the engine compares digests, it does not hash them again): they are then offered to
    /// its peers (`have`) and served. A piece the engine has, or holds partly, is left alone.
    pub(crate) fn import(&self, pieces: Vec<(u32, swarm::HashedPiece)>) {
        let now = crate::now();
        self.cell.with(|s, p| {
            let mut any = false;
            for (piece, hashed) in pieces {
                any |= s.engine_mut().import_hashed(piece, hashed);
            }
            if any {
                // Drain what the imports queued (haves to peers, readers), once.
                s.handle(now, Event::Timer, p);
            }
        });
    }

    /// Marks a prefetch of this segment as running; `false` when one already is.
    pub(crate) fn start_prefetch(&self) -> bool {
        !self.prefetching.replace(true)
    }

    /// The prefetch of this segment ended.
    pub(crate) fn end_prefetch(&self) {
        self.prefetching.set(false);
    }

    /// Whether the engine has every piece.
    pub(crate) fn complete(&self) -> bool {
        self.cell.session().engine().is_complete()
    }
}
