//! A recording fake [`Platform`] and a deterministic world around it: several sessions, a
//! tracker that relays offers and answers between them (the real message types, encoded and
//! decoded), links that carry bytes between connections, a web server for webseed GETs and a
//! hasher that can be told to lie. Time only moves when nothing is queued: it jumps to the
//! earliest timer a session asked for.

use std::{
    collections::{BTreeMap, VecDeque},
    ops::Range,
};

use swarm::{Engine, HttpError, MemoryStorage, Millis, PeerKey, Sha1Smol, StoreError};
use tracker_proto::{InMessage, OutAnnounceResponse, OutAnswer, OutMessage, OutOffer};

use crate::{Event, GetId, Notice, Platform, Read, Session, SessionConfig, TrackerIdx};

/// One call a session made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    TrackerConnect(TrackerIdx),
    TrackerSend(TrackerIdx, String),
    TrackerClose(TrackerIdx),
    CreateOffer(PeerKey),
    AnswerOffer(PeerKey, String),
    ApplyAnswer(PeerKey, String),
    Dial(PeerKey, std::net::SocketAddr),
    ClassicRequest(crate::ClassicTrackerIdx, tracker_classic::Request),
    Send(PeerKey, usize),
    ClosePeer(PeerKey),
    HttpGet(GetId, String, Range<u64>),
    HttpCancel(GetId),
    HashPiece(u32),
    StoreWrite(u32),
    StoreRead(u32),
    Notice(Notice),
}

/// The fake: records every call (with when it was made) and the timer.
#[derive(Debug, Default)]
pub(crate) struct Fake {
    pub(crate) now: Millis,
    pub(crate) log: Vec<(Millis, Call)>,
    /// Calls not yet acted on by the world (with payloads the log leaves out).
    pending: Vec<Pending>,
    pub(crate) timer: Option<Millis>,
}

#[derive(Debug)]
enum Pending {
    Call(Call),
    Send(PeerKey, Vec<u8>),
    Hash(u32, Vec<u8>),
    StoreWrite(u32, Vec<u8>),
}

impl Fake {
    fn record(&mut self, call: Call) {
        self.log.push((self.now, call.clone()));
        self.pending.push(Pending::Call(call));
    }

    pub(crate) fn calls(&self) -> impl Iterator<Item = &Call> {
        self.log.iter().map(|(_, c)| c)
    }
}

impl Platform for Fake {
    fn tracker_connect(&mut self, tracker: TrackerIdx, _url: &str) {
        self.record(Call::TrackerConnect(tracker));
    }
    fn tracker_send(&mut self, tracker: TrackerIdx, text: String) {
        self.record(Call::TrackerSend(tracker, text));
    }
    fn tracker_close(&mut self, tracker: TrackerIdx) {
        self.record(Call::TrackerClose(tracker));
    }
    fn create_offer(&mut self, peer: PeerKey) {
        self.record(Call::CreateOffer(peer));
    }
    fn answer_offer(&mut self, peer: PeerKey, offer_sdp: &str) {
        self.record(Call::AnswerOffer(peer, offer_sdp.to_owned()));
    }
    fn apply_answer(&mut self, peer: PeerKey, answer_sdp: &str) {
        self.record(Call::ApplyAnswer(peer, answer_sdp.to_owned()));
    }
    fn dial(&mut self, peer: PeerKey, addr: std::net::SocketAddr) {
        self.record(Call::Dial(peer, addr));
    }
    fn classic_tracker_request(
        &mut self,
        tracker: crate::ClassicTrackerIdx,
        request: tracker_classic::Request,
    ) {
        self.record(Call::ClassicRequest(tracker, request));
    }
    fn send(&mut self, peer: PeerKey, bytes: Vec<u8>) {
        self.log.push((self.now, Call::Send(peer, bytes.len())));
        self.pending.push(Pending::Send(peer, bytes));
    }
    fn close_peer(&mut self, peer: PeerKey) {
        self.record(Call::ClosePeer(peer));
    }
    fn http_get(&mut self, get: GetId, url: &str, range: Range<u64>) {
        self.record(Call::HttpGet(get, url.to_owned(), range));
    }
    fn http_cancel(&mut self, get: GetId) {
        self.record(Call::HttpCancel(get));
    }
    fn hash_piece(&mut self, piece: u32, data: Vec<u8>) {
        self.log.push((self.now, Call::HashPiece(piece)));
        self.pending.push(Pending::Hash(piece, data));
    }
    fn store_write(&mut self, piece: u32, data: Vec<u8>) {
        self.log.push((self.now, Call::StoreWrite(piece)));
        self.pending.push(Pending::StoreWrite(piece, data));
    }
    fn store_read(&mut self, piece: u32) {
        self.record(Call::StoreRead(piece));
    }
    fn set_timer(&mut self, at: Option<Millis>) {
        self.timer = at;
    }
    fn notice(&mut self, notice: Notice) {
        self.log.push((self.now, Call::Notice(notice)));
    }
}

pub(crate) type TestSession = Session<MemoryStorage, Sha1Smol>;

/// One session and its fake.
pub(crate) struct Node {
    pub(crate) session: TestSession,
    pub(crate) fake: Fake,
    peer_id: [u8; 20],
    /// The node's persistent store (a browser's IndexedDB): piece → bytes.
    pub(crate) store: BTreeMap<u32, Vec<u8>>,
}

/// How the world misbehaves.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Connections made never open.
    pub(crate) never_open: bool,
    /// Bytes this node sends are lost.
    pub(crate) mute: Option<usize>,
    /// The next this many GETs fail with 503.
    pub(crate) failing_gets: usize,
    /// The next digest for this piece is wrong.
    pub(crate) wrong_digest_for: Option<u32>,
}

/// Sessions, a tracker, links, a web server.
pub(crate) struct World {
    pub(crate) now: Millis,
    pub(crate) nodes: Vec<Node>,
    pub(crate) faults: Faults,
    /// Web server: URL → resource bytes.
    pub(crate) web: BTreeMap<String, Vec<u8>>,
    queue: VecDeque<(usize, Event)>,
    /// Tracker: who announced each torrent, in order.
    members: BTreeMap<metainfo::InfoHash, Vec<usize>>,
    next_member: usize,
    links: BTreeMap<(usize, PeerKey), (usize, PeerKey)>,
    /// TCP listeners: address → node. Dials to other addresses never connect.
    pub(crate) listening: BTreeMap<std::net::SocketAddr, usize>,
}

fn endpoint(sdp: &str) -> Option<(usize, PeerKey)> {
    let mut it = sdp.split(' ').skip(1);
    let node = it.next()?.parse().ok()?;
    let key = it.next()?.parse().ok()?;
    Some((node, PeerKey(key)))
}

impl World {
    pub(crate) fn new() -> Self {
        Self {
            now: Millis(0),
            nodes: Vec::new(),
            faults: Faults::default(),
            web: BTreeMap::new(),
            queue: VecDeque::new(),
            members: BTreeMap::new(),
            next_member: 0,
            links: BTreeMap::new(),
            listening: BTreeMap::new(),
        }
    }

    /// Adds a session over `engine`; returns its index.
    pub(crate) fn add(
        &mut self,
        engine: Engine<MemoryStorage, Sha1Smol>,
        cfg: SessionConfig,
    ) -> usize {
        let i = self.nodes.len();
        let mut fake = Fake {
            now: self.now,
            ..Fake::default()
        };
        let peer_id = cfg.peer_id;
        let session = Session::start(engine, cfg, self.now, &mut fake);
        self.nodes.push(Node {
            session,
            fake,
            peer_id,
            store: BTreeMap::new(),
        });
        self.act(i);
        i
    }

    /// Runs until `done` holds (checked after every event) or `until`; whether it held.
    pub(crate) fn run(&mut self, until: Millis, mut done: impl FnMut(&mut Self) -> bool) -> bool {
        loop {
            if done(self) {
                return true;
            }
            if let Some((i, ev)) = self.queue.pop_front() {
                self.feed(i, ev);
                continue;
            }
            let Some(next) = self.nodes.iter().filter_map(|n| n.fake.timer).min() else {
                return false;
            };
            if next > until {
                self.now = until;
                return done(self);
            }
            self.now = Millis(next.0.max(self.now.0));
            for i in 0..self.nodes.len() {
                if self.nodes[i].fake.timer.is_some_and(|t| t <= self.now) {
                    self.nodes[i].fake.timer = None;
                    self.feed(i, Event::Timer);
                }
            }
        }
    }

    pub(crate) fn feed(&mut self, i: usize, ev: Event) {
        let node = &mut self.nodes[i];
        node.fake.now = self.now;
        node.session.handle(self.now, ev, &mut node.fake);
        self.act(i);
    }

    /// Whether node `i` has a link to node `j`.
    pub(crate) fn linked(&self, i: usize, j: usize) -> bool {
        self.links.iter().any(|((a, _), (b, _))| *a == i && *b == j)
    }

    /// Every open link fails (a network drop): both ends hear `PeerClosed`.
    pub(crate) fn break_links(&mut self) {
        for ((i, k), _) in std::mem::take(&mut self.links) {
            self.queue.push_back((i, Event::PeerClosed { peer: k }));
        }
    }

    /// The remote end of node `i`'s connection `peer` hangs up: both ends see it closed.
    pub(crate) fn hang_up(&mut self, i: usize, peer: PeerKey) {
        if let Some((j, k)) = self.links.remove(&(i, peer)) {
            self.links.remove(&(j, k));
            self.queue.push_back((j, Event::PeerClosed { peer: k }));
        }
        self.queue.push_back((i, Event::PeerClosed { peer }));
    }

    /// Reads one chunk of a reader of node `i`, acting on what the read asked for.
    pub(crate) fn read(&mut self, i: usize, reader: swarm::ReaderId) -> Read {
        let node = &mut self.nodes[i];
        let r = node.session.read(self.now, reader, &mut node.fake);
        self.act(i);
        r
    }

    /// Turns node `i`'s calls into events for it and the others.
    pub(crate) fn act(&mut self, i: usize) {
        let pending = std::mem::take(&mut self.nodes[i].fake.pending);
        for p in pending {
            match p {
                Pending::Call(call) => self.call(i, call),
                Pending::Send(peer, bytes) => {
                    if self.faults.mute == Some(i) {
                        continue;
                    }
                    if let Some(&(j, k)) = self.links.get(&(i, peer)) {
                        self.queue
                            .push_back((j, Event::PeerData { peer: k, bytes }));
                    }
                }
                Pending::Hash(piece, data) => {
                    let mut digest = sha1_smol::Sha1::from(&data).digest().bytes();
                    if self.faults.wrong_digest_for == Some(piece) {
                        self.faults.wrong_digest_for = None;
                        digest[0] ^= 1;
                    }
                    let event = Event::PieceHashed {
                        piece,
                        digest,
                        data,
                    };
                    self.queue.push_back((i, event));
                }
                Pending::StoreWrite(piece, data) => {
                    self.nodes[i].store.insert(piece, data);
                    let result = Ok(());
                    self.queue
                        .push_back((i, Event::PieceStored { piece, result }));
                }
            }
        }
    }

    fn call(&mut self, i: usize, call: Call) {
        match call {
            Call::TrackerConnect(tracker) => {
                self.queue.push_back((i, Event::TrackerOpen { tracker }));
            }
            Call::TrackerSend(tracker, text) => self.tracker(i, tracker, &text),
            Call::CreateOffer(peer) => {
                let sdp = format!("offer {i} {}", peer.0);
                self.queue.push_back((i, Event::OfferMade { peer, sdp }));
            }
            Call::AnswerOffer(peer, _offer) => {
                let sdp = format!("answer {i} {}", peer.0);
                self.queue.push_back((i, Event::AnswerMade { peer, sdp }));
            }
            Call::ApplyAnswer(peer, answer) => {
                let Some((j, k)) = endpoint(&answer) else {
                    return;
                };
                self.links.insert((i, peer), (j, k));
                self.links.insert((j, k), (i, peer));
                if !self.faults.never_open {
                    self.queue.push_back((i, Event::PeerOpen { peer }));
                    self.queue.push_back((j, Event::PeerOpen { peer: k }));
                }
            }
            Call::ClosePeer(peer) => {
                if let Some((j, k)) = self.links.remove(&(i, peer)) {
                    self.links.remove(&(j, k));
                    self.queue.push_back((j, Event::PeerClosed { peer: k }));
                }
            }
            Call::HttpGet(get, url, range) => {
                let result = if self.faults.failing_gets > 0 {
                    self.faults.failing_gets -= 1;
                    Err(HttpError::Status(503))
                } else {
                    self.web
                        .get(&url)
                        .and_then(|r| r.get(range.start as usize..range.end as usize))
                        .map(<[u8]>::to_vec)
                        .ok_or(HttpError::Status(416))
                };
                self.queue.push_back((i, Event::HttpDone { get, result }));
            }
            Call::Dial(peer, addr) => self.dial(i, peer, addr),
            Call::ClassicRequest(tracker, request) => self.classic_tracker(i, tracker, &request),
            Call::StoreRead(piece) => {
                let result = self.nodes[i]
                    .store
                    .get(&piece)
                    .cloned()
                    .ok_or(StoreError::Missing);
                self.queue
                    .push_back((i, Event::PieceLoaded { piece, result }));
            }
            Call::TrackerClose(_)
            | Call::HttpCancel(_)
            | Call::StoreWrite(_)
            | Call::Send(..)
            | Call::HashPiece(_)
            | Call::Notice(_) => {}
        }
    }

    /// A TCP dial: the listener at `addr` accepts (within its cap) and both ends open.
    fn dial(&mut self, i: usize, peer: PeerKey, addr: std::net::SocketAddr) {
        let Some(&j) = self.listening.get(&addr) else {
            return;
        };
        let Some(k) = self.nodes[j].session.accept_peer() else {
            self.queue.push_back((i, Event::PeerClosed { peer }));
            return;
        };
        self.links.insert((i, peer), (j, k));
        self.links.insert((j, k), (i, peer));
        self.queue.push_back((i, Event::PeerOpen { peer }));
        self.queue.push_back((j, Event::PeerOpen { peer: k }));
    }

    /// An HTTP tracker that names every listener but the caller, as a compact list.
    fn classic_tracker(
        &mut self,
        i: usize,
        tracker: crate::ClassicTrackerIdx,
        request: &tracker_classic::Request,
    ) {
        let tracker_classic::Request::HttpGet { .. } = request else {
            return;
        };
        let mut compact = Vec::new();
        for (addr, &node) in &self.listening {
            if let (std::net::SocketAddr::V4(a), true) = (addr, node != i) {
                compact.extend_from_slice(&a.ip().octets());
                compact.extend_from_slice(&a.port().to_be_bytes());
            }
        }
        let mut body = format!("d8:intervali60e5:peers{}:", compact.len()).into_bytes();
        body.extend_from_slice(&compact);
        body.push(b'e');
        let reply = Ok(body);
        self.queue
            .push_back((i, Event::ClassicTrackerReply { tracker, reply }));
    }

    /// The tracker: announces get a response and their offers relayed to other members in
    /// turn; answers go to the offerer.
    fn tracker(&mut self, i: usize, tracker: TrackerIdx, text: &str) {
        let Ok(msg) = InMessage::from_json(text) else {
            return;
        };
        let mut out = Vec::new();
        match msg {
            InMessage::Announce(a) => {
                let members = self.members.entry(a.info_hash).or_default();
                if !members.contains(&i) {
                    members.push(i);
                }
                let others: Vec<usize> = members.iter().copied().filter(|&m| m != i).collect();
                out.push((
                    i,
                    OutMessage::AnnounceResponse(OutAnnounceResponse {
                        info_hash: a.info_hash,
                        complete: Some(0),
                        incomplete: Some(members.len() as u64),
                        interval: Some(60),
                        min_interval: None,
                        tracker_id: None,
                        warning_message: None,
                    }),
                ));
                for offer in a.offers.unwrap_or_default() {
                    if others.is_empty() {
                        break;
                    }
                    let to = others[self.next_member % others.len()];
                    self.next_member += 1;
                    out.push((
                        to,
                        OutMessage::Offer(OutOffer {
                            offer: offer.offer,
                            offer_id: offer.offer_id,
                            peer_id: a.peer_id,
                            info_hash: a.info_hash,
                        }),
                    ));
                }
            }
            InMessage::Answer(a) => {
                if let Some(to) = self
                    .nodes
                    .iter()
                    .position(|n| metainfo::PeerId::from(n.peer_id) == a.to_peer_id)
                {
                    out.push((
                        to,
                        OutMessage::Answer(OutAnswer {
                            answer: a.answer,
                            offer_id: a.offer_id,
                            peer_id: a.peer_id,
                            info_hash: a.info_hash,
                        }),
                    ));
                }
            }
            InMessage::Scrape(_) => {}
        }
        for (to, message) in out {
            // The text goes over the wire and back, as on a real socket.
            let message = OutMessage::from_json(&message.to_json());
            let ev = Event::TrackerMessage { tracker, message };
            self.queue.push_back((to, ev));
        }
    }
}
