//! The boundary between a [`Session`](crate::Session) and the platform that does its I/O:
//! the effects it asks for ([`Platform`]), the results and happenings fed back ([`Event`]),
//! and what it tells the platform in passing ([`Notice`]).

use std::{net::SocketAddr, ops::Range};

use swarm::{HttpError, Millis, PeerKey, ReaderId, StoreError};
use tracker_proto::{DecodeError, OutMessage};

/// One of the session's trackers: the index into [`SessionConfig::trackers`](crate::SessionConfig::trackers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrackerIdx(pub usize);

/// One of the session's HTTP or UDP trackers: the index into
/// [`SessionConfig::classic_trackers`](crate::SessionConfig::classic_trackers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassicTrackerIdx(pub usize);

/// One HTTP GET of a webseed request (an engine request may need one per file it touches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GetId(pub u64);

/// The effects a session needs, done by the platform (a browser, the companion, a test).
///
/// Every call returns at once. A result comes back later as an [`Event`] fed to
/// [`Session::handle`](crate::Session::handle) — also when the platform has it at once (a
/// native answer, an inline hash): queue it and feed it after the call returns, never from
/// inside the call. A call about a peer, tracker or GET the platform no longer knows is
/// ignored.
pub trait Platform {
    /// Open (or reuse) the socket to tracker `tracker` at `url`; answer with
    /// [`Event::TrackerOpen`] or [`Event::TrackerClosed`]. Called again after a close.
    fn tracker_connect(&mut self, tracker: TrackerIdx, url: &str);
    /// Send one text frame to the tracker (dropped when its socket is not open).
    fn tracker_send(&mut self, tracker: TrackerIdx, text: String);
    /// The session has left the tracker (its `stopped` announce was just sent): close the
    /// socket once that had its chance to leave (WebTorrent waits up to a second).
    fn tracker_close(&mut self, tracker: TrackerIdx);

    /// Start a connection that we initiate and make its complete (non-trickle) offer SDP;
    /// answer with [`Event::OfferMade`], or [`Event::PeerClosed`] when that fails.
    fn create_offer(&mut self, peer: PeerKey);
    /// Start a connection for a remote offer; answer with [`Event::AnswerMade`] or
    /// [`Event::PeerClosed`].
    fn answer_offer(&mut self, peer: PeerKey, offer_sdp: &str);
    /// Apply the remote answer to the connection of our offer (the connection then opens:
    /// [`Event::PeerOpen`], or fails: [`Event::PeerClosed`]).
    fn apply_answer(&mut self, peer: PeerKey, answer_sdp: &str);
    /// Connect to `addr` over a stream transport (TCP) for connection `peer`; answer with
    /// [`Event::PeerOpen`] once connected, or [`Event::PeerClosed`]. A platform that cannot dial
    /// (a browser) answers [`Event::PeerClosed`]; it is only asked when it was given addresses.
    fn dial(&mut self, peer: PeerKey, addr: SocketAddr);
    /// Do one request of an HTTP or UDP tracker: GET the URL and answer with
    /// [`Event::ClassicTrackerReply`] carrying the body (or why there is none); or send the
    /// datagram from this tracker's own UDP socket and feed every datagram that socket
    /// receives as [`Event::ClassicTrackerReply`].
    fn classic_tracker_request(
        &mut self,
        tracker: ClassicTrackerIdx,
        request: tracker_classic::Request,
    );
    /// Write bytes to an open connection, in order (queue behind back-pressure; report a
    /// failure as [`Event::PeerClosed`]).
    fn send(&mut self, peer: PeerKey, bytes: Vec<u8>);
    /// Close a connection. No [`Event::PeerClosed`] needs to follow.
    fn close_peer(&mut self, peer: PeerKey);

    /// Fetch bytes `range` of `url` (an HTTP `Range` GET; `range` is half-open) and answer
    /// with [`Event::HttpDone`] carrying exactly those bytes or an error.
    fn http_get(&mut self, get: GetId, url: &str, range: Range<u64>);
    /// Abort a GET; its result, if it still comes, is ignored.
    fn http_cancel(&mut self, get: GetId);

    /// SHA-1 these bytes (a whole piece) and answer with [`Event::PieceHashed`], giving them
    /// back.
    fn hash_piece(&mut self, piece: u32, data: Vec<u8>);

    /// Write a verified piece to the persistent store and answer with [`Event::PieceStored`]
    /// (only asked when the engine runs with `swarm::Config::external_store`; a platform
    /// without a store answers `Err(StoreError::Failed)`). A [`Platform::store_read`] of the
    /// same piece before that answer must see this write.
    fn store_write(&mut self, piece: u32, data: Vec<u8>);
    /// Read a whole piece from the persistent store and answer with [`Event::PieceLoaded`]
    /// (the engine checks the bytes before using them).
    fn store_read(&mut self, piece: u32);

    /// Feed [`Event::Timer`] at `at` (replacing the previous timer); `None` disarms it.
    fn set_timer(&mut self, at: Option<Millis>);

    /// Something the platform may want to know (wake a reader, log, count). Ignored by
    /// default.
    fn notice(&mut self, notice: Notice) {
        let _ = notice;
    }
}

/// What happened, fed to [`Session::handle`](crate::Session::handle).
#[derive(Debug)]
pub enum Event {
    /// The timer set with [`Platform::set_timer`] fired (any event also advances time).
    Timer,
    /// The tracker's socket is open.
    TrackerOpen {
        /// Which tracker.
        tracker: TrackerIdx,
    },
    /// A text frame from the tracker, decoded with [`OutMessage::from_json`]. A platform
    /// sharing one socket among sessions may decode once and hand each session the message.
    TrackerMessage {
        /// Which tracker.
        tracker: TrackerIdx,
        /// The message, or why it could not be read.
        message: Result<OutMessage, DecodeError>,
    },
    /// The tracker's socket closed, failed, or could not be opened.
    TrackerClosed {
        /// Which tracker.
        tracker: TrackerIdx,
    },
    /// The offer asked for by [`Platform::create_offer`] is ready.
    OfferMade {
        /// The connection.
        peer: PeerKey,
        /// Its complete offer SDP.
        sdp: String,
    },
    /// The answer asked for by [`Platform::answer_offer`] is ready.
    AnswerMade {
        /// The connection.
        peer: PeerKey,
        /// Its complete answer SDP.
        sdp: String,
    },
    /// The connection is open: bytes can flow.
    PeerOpen {
        /// The connection.
        peer: PeerKey,
    },
    /// Bytes arrived on a connection.
    PeerData {
        /// The connection.
        peer: PeerKey,
        /// The bytes, in any chunking.
        bytes: Vec<u8>,
    },
    /// The connection closed or failed (or could not be made).
    PeerClosed {
        /// The connection.
        peer: PeerKey,
    },
    /// An HTTP tracker's response body, or a datagram from a UDP tracker's socket; `Err` with
    /// a sentence when the GET failed (a refused connection, an error status) or the socket
    /// could not be opened.
    ClassicTrackerReply {
        /// Which tracker.
        tracker: ClassicTrackerIdx,
        /// The bytes, or what went wrong.
        reply: Result<Vec<u8>, String>,
    },
    /// Peer addresses learnt elsewhere (a magnet's `x.pe`, the DHT, PEX): dialled as slots
    /// free up.
    PeerAddrs {
        /// The addresses.
        addrs: Vec<SocketAddr>,
    },
    /// A GET asked for by [`Platform::http_get`] finished.
    HttpDone {
        /// Which GET.
        get: GetId,
        /// Exactly the bytes asked for, or what went wrong.
        result: Result<Vec<u8>, HttpError>,
    },
    /// The digest asked for by [`Platform::hash_piece`], with the bytes given back (the
    /// engine lent its only copy).
    PieceHashed {
        /// The piece.
        piece: u32,
        /// SHA-1 of the bytes handed out.
        digest: [u8; 20],
        /// The bytes handed out.
        data: Vec<u8>,
    },
    /// The write asked for by [`Platform::store_write`] finished (or failed: the piece then
    /// lives only in the engine's memory window).
    PieceStored {
        /// The piece.
        piece: u32,
        /// Whether it is in the store now.
        result: Result<(), StoreError>,
    },
    /// The read asked for by [`Platform::store_read`] finished.
    PieceLoaded {
        /// The piece.
        piece: u32,
        /// The stored bytes (unchecked: the engine judges them), or why there are none.
        result: Result<Vec<u8>, StoreError>,
    },
}

/// What a session tells its platform in passing, through [`Platform::notice`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A reader has bytes to read (or finished): wake whoever waits on it.
    ReaderReady(ReaderId),
    /// The metadata is known ([`Session::info`](crate::Session::info) answers from now on).
    MetadataReady,
    /// Every piece is verified.
    Complete,
    /// A peer connection opened.
    PeerOpened(PeerKey),
    /// An open peer connection ended.
    PeerGone(PeerKey),
    /// A relayed offer was not answered: the session is at its peer cap.
    OfferRefused,
    /// A tracker sent a warning or failure reason.
    TrackerWarning {
        /// Which tracker.
        tracker: TrackerIdx,
        /// What it said.
        text: String,
    },
}
