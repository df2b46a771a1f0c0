//! The gateway as a [`session::Platform`], the third beside the browser and the WebRTC seeder:
//! peers are TCP connections (dialled, or accepted by the gateway's listener and routed here by
//! info hash), classic trackers are an HTTP GET or a UDP socket each, hashing is inline. Each
//! socket runs in its own task (`net.rs`) and reports back as events on the torrent's channel;
//! results known at once are queued and fed after the call.

use std::{
    collections::{BTreeMap, VecDeque},
    net::SocketAddr,
    ops::Range,
};

use session::{ClassicRequest, ClassicTrackerIdx, Event, GetId, Notice, Platform, TrackerIdx};
use swarm::{HttpError, Millis, PeerKey, PieceHasher as _, ReaderId};
use tokio::{
    net::TcpStream,
    sync::mpsc::{unbounded_channel, UnboundedSender},
    task::AbortHandle,
};

use super::net::{self, Events};

/// One peer connection: where its bytes go, and its task.
struct Conn {
    outbox: UnboundedSender<Vec<u8>>,
    task: AbortHandle,
}

/// One torrent's side of the platform.
pub(super) struct TcpPlatform {
    /// Where socket tasks report.
    events: Events,
    /// Results to feed the session after the current call.
    pub(super) queue: VecDeque<Event>,
    conns: BTreeMap<PeerKey, Conn>,
    udp: BTreeMap<ClassicTrackerIdx, UnboundedSender<Vec<u8>>>,
    /// When the session wants [`Event::Timer`].
    pub(super) timer: Option<Millis>,
    /// Readers that have something (or finished) since last looked at.
    pub(super) ready: Vec<ReaderId>,
    /// Open connections (for the gateway's figures).
    pub(super) open: u64,
    pub(super) metadata_ready: bool,
    name: String,
    /// The tracker client and rate caps every torrent shares.
    shared: net::Shared,
}

impl TcpPlatform {
    pub(super) fn new(events: Events, name: String, shared: net::Shared) -> Self {
        Self {
            events,
            queue: VecDeque::new(),
            conns: BTreeMap::new(),
            udp: BTreeMap::new(),
            timer: None,
            ready: Vec::new(),
            open: 0,
            metadata_ready: false,
            name,
            shared,
        }
    }

    /// A connection the listener accepted for this torrent, with the bytes already read from
    /// it (the start of its handshake, read to learn the info hash).
    pub(super) fn adopt(&mut self, peer: PeerKey, stream: TcpStream, read: Vec<u8>) {
        let (outbox, rx) = unbounded_channel();
        let events = self.events.clone();
        let caps = self.shared.caps.clone();
        let task = tokio::spawn(net::run_peer(peer, stream, rx, events, caps)).abort_handle();
        self.conns.insert(peer, Conn { outbox, task });
        self.queue.push_back(Event::PeerOpen { peer });
        self.queue.push_back(Event::PeerData { peer, bytes: read });
    }

    /// Ends every socket task (the torrent is stopping).
    pub(super) fn shut(&mut self) {
        for (_, conn) in std::mem::take(&mut self.conns) {
            conn.task.abort();
        }
        self.udp.clear();
    }
}

impl Platform for TcpPlatform {
    fn tracker_connect(&mut self, tracker: TrackerIdx, _url: &str) {
        // Gateway sessions are given HTTP and UDP trackers only.
        self.queue.push_back(Event::TrackerClosed { tracker });
    }

    fn tracker_send(&mut self, _tracker: TrackerIdx, _text: String) {}

    fn tracker_close(&mut self, _tracker: TrackerIdx) {}

    fn create_offer(&mut self, peer: PeerKey) {
        // `max_offers` is 0: TCP has no signalling.
        self.queue.push_back(Event::PeerClosed { peer });
    }

    fn answer_offer(&mut self, peer: PeerKey, _offer_sdp: &str) {
        self.queue.push_back(Event::PeerClosed { peer });
    }

    fn apply_answer(&mut self, peer: PeerKey, _answer_sdp: &str) {
        self.queue.push_back(Event::PeerClosed { peer });
    }

    fn dial(&mut self, peer: PeerKey, addr: SocketAddr) {
        tracing::debug!(torrent = %self.name, %addr, ?peer, "dialling");
        let (outbox, rx) = unbounded_channel();
        let events = self.events.clone();
        let caps = self.shared.caps.clone();
        let task = tokio::spawn(net::dial_peer(peer, addr, rx, events, caps)).abort_handle();
        self.conns.insert(peer, Conn { outbox, task });
    }

    // Gateway engines keep their pieces in their own `swarm::Storage` (`piece_store.rs`, one
    // file per verified piece on disk); they never run with `external_store`, so these are
    // never asked.
    fn store_write(&mut self, piece: u32, _data: Vec<u8>) {
        let result = Err(swarm::StoreError::Failed);
        self.queue.push_back(Event::PieceStored { piece, result });
    }

    fn store_read(&mut self, piece: u32) {
        let result = Err(swarm::StoreError::Missing);
        self.queue.push_back(Event::PieceLoaded { piece, result });
    }

    fn classic_tracker_request(&mut self, tracker: ClassicTrackerIdx, request: ClassicRequest) {
        match request {
            ClassicRequest::HttpGet { url } => {
                let (http, events) = (self.shared.http.clone(), self.events.clone());
                tokio::spawn(net::tracker_get(http, tracker, url, events));
            }
            ClassicRequest::Udp {
                host_port,
                datagram,
            } => {
                let events = &self.events;
                let socket = self.udp.entry(tracker).or_insert_with(|| {
                    let (tx, rx) = unbounded_channel();
                    tokio::spawn(net::udp_tracker(tracker, host_port, rx, events.clone()));
                    tx
                });
                let _ = socket.send(datagram);
            }
        }
    }

    fn send(&mut self, peer: PeerKey, bytes: Vec<u8>) {
        let Some(conn) = self.conns.get(&peer) else {
            return;
        };
        if conn.outbox.send(bytes).is_err() {
            self.close_peer(peer);
            self.queue.push_back(Event::PeerClosed { peer });
        }
    }

    fn close_peer(&mut self, peer: PeerKey) {
        if let Some(conn) = self.conns.remove(&peer) {
            tracing::debug!(torrent = %self.name, ?peer, "closing a peer connection");
            conn.task.abort();
        }
    }

    fn http_get(&mut self, get: GetId, _url: &str, _range: Range<u64>) {
        // The gateway's engines are built without web seeds (see `torrent.rs`).
        let result = Err(HttpError::Network);
        self.queue.push_back(Event::HttpDone { get, result });
    }

    fn http_cancel(&mut self, _get: GetId) {}

    fn hash_piece(&mut self, piece: u32, data: Vec<u8>) {
        let digest = crate::native_sha1::NativeSha1.sha1(&data);
        self.queue.push_back(Event::PieceHashed {
            piece,
            digest,
            data,
        });
    }

    fn set_timer(&mut self, at: Option<Millis>) {
        self.timer = at;
    }

    fn notice(&mut self, notice: Notice) {
        match notice {
            Notice::ReaderReady(reader) => self.ready.push(reader),
            Notice::MetadataReady => {
                self.metadata_ready = true;
                tracing::info!(torrent = %self.name, "metadata received");
            }
            Notice::PeerOpened(peer) => {
                self.open += 1;
                tracing::debug!(torrent = %self.name, ?peer, "peer connected over TCP");
            }
            Notice::PeerGone(_) => self.open = self.open.saturating_sub(1),
            Notice::Complete => {
                tracing::info!(torrent = %self.name, "download complete");
            }
            Notice::TrackerWarning { text, .. } => {
                tracing::warn!(torrent = %self.name, warning = %text, "tracker warning");
            }
            Notice::OfferRefused => {}
        }
    }
}
