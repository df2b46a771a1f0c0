//! What goes into the engine ([`Input`]) and what comes out ([`Output`]).

use std::ops::Range;

use crate::types::{HttpRequestId, PeerKey, ReaderId};

/// Something that happened, fed to [`Engine::handle_input`](crate::Engine::handle_input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input<'a> {
    /// A data channel to a peer opened. The engine answers with our handshake at once (over
    /// WebRTC both sides send theirs immediately).
    PeerConnected {
        /// The driver's handle for the connection.
        peer: PeerKey,
    },
    /// Where an open connection goes (a TCP driver knows; over WebRTC there is nothing to
    /// tell). With [`Config::pex`](crate::Config::pex) the engine passes dialable addresses on
    /// to its other peers in `ut_pex` messages.
    PeerAddress {
        /// The connection.
        peer: PeerKey,
        /// The address.
        addr: std::net::SocketAddr,
        /// `true`: we dialled `addr`, so others can dial it too. `false`: the remote end of a
        /// connection we accepted, whose port is the peer's outgoing one; its listen port comes
        /// from its extended handshake's `p` (without one it is not passed on).
        dialled: bool,
    },
    /// Bytes arrived from a peer, in any chunking.
    PeerData {
        /// The connection.
        peer: PeerKey,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// The connection closed (by the remote or the network). Not needed after the engine
    /// itself asked to close it.
    PeerGone {
        /// The connection.
        peer: PeerKey,
    },
    /// The response to an [`Output::HttpRequest`]: the body bytes (exactly the requested range)
    /// or a failure.
    HttpResponse {
        /// Which request.
        id: HttpRequestId,
        /// The body, or what went wrong.
        result: Result<&'a [u8], HttpError>,
    },
    /// A reader (a player) now reads at this byte offset of the torrent: set or move its
    /// position (a seek). Bytes from here to `end` are delivered in order as they verify.
    Seek {
        /// The reader (created on first use).
        reader: ReaderId,
        /// Torrent byte offset.
        offset: u64,
        /// Exclusive end (e.g. the end of the file being played), capped at the torrent's end.
        end: u64,
    },
    /// The reader is gone; its window no longer has priority.
    CloseReader {
        /// The reader.
        reader: ReaderId,
    },
    /// The SHA-1 of a piece the engine handed out with [`Output::HashPiece`] (only with
    /// [`Config::deferred_hashing`](crate::Config::deferred_hashing)), with the bytes handed
    /// out given back. A digest for a piece the engine is not waiting on is ignored.
    PieceHashed {
        /// Piece index.
        piece: u32,
        /// SHA-1 of exactly the bytes handed out.
        digest: [u8; 20],
        /// The bytes handed out: the engine keeps no copy while they are hashed (a whole
        /// piece, 4 MiB for large files, and a browser's wasm memory never shrinks). They
        /// are what the digest judges; bytes that do not match it are never kept.
        data: Vec<u8>,
    },
    /// The answer to an [`Output::StorePiece`] (only with
    /// [`Config::external_store`](crate::Config::external_store)): the piece is in the store,
    /// or could not be written (it then lives only as long as the memory window keeps it).
    PieceStored {
        /// Piece index.
        piece: u32,
        /// Whether the write is durable.
        result: Result<(), StoreError>,
    },
    /// The answer to an [`Output::LoadPiece`]: the whole piece as the store holds it. The engine
    /// checks its length and SHA-1 before any byte is served; a piece that fails, or an error,
    /// drops it from the store's set and it is fetched again. The bytes are handed over, not
    /// lent: the engine keeps this buffer (hashing it, then holding it in memory) instead of
    /// copying a whole piece again.
    PieceLoaded {
        /// Piece index.
        piece: u32,
        /// The stored bytes, or why there are none.
        result: Result<Vec<u8>, StoreError>,
    },
    /// Time passed (the driver's timer for [`Engine::poll_timeout`](crate::Engine::poll_timeout)
    /// fired). Any input also advances time; this one carries nothing else.
    Tick,
}

/// Why an HTTP request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpError {
    /// A non-2xx status.
    Status(u16),
    /// Network failure or abort.
    Network,
}

/// Why the driver's piece store could not write or read a piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is full and nothing could be evicted (a browser's `QuotaExceededError`).
    #[error("the store is full")]
    Quota,
    /// The piece is not in the store (never written, evicted, expired, deleted).
    #[error("the piece is not in the store")]
    Missing,
    /// The store found the entry unreadable (a half-written or foreign record).
    #[error("the stored piece is damaged")]
    Damaged,
    /// The store itself failed (closed, blocked, no store on this platform).
    #[error("the store failed")]
    Failed,
}

/// Something the driver must do or may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes to the peer. Each `Send` holds whole messages (or the handshake), in
    /// order.
    Send {
        /// The connection.
        peer: PeerKey,
        /// Bytes to write to its data channel.
        bytes: Vec<u8>,
    },
    /// Close the connection. The engine already forgot the peer.
    Close {
        /// The connection.
        peer: PeerKey,
        /// Why.
        reason: CloseReason,
    },
    /// Fetch `range` (torrent byte offsets) from webseed `webseed` (index into the list given
    /// at start) and answer with [`Input::HttpResponse`]. Map it to per-file GETs with
    /// [`webseed_gets`](crate::webseed_gets).
    HttpRequest {
        /// Handle to answer with.
        id: HttpRequestId,
        /// Index of the webseed URL.
        webseed: usize,
        /// Torrent byte range.
        range: Range<u64>,
    },
    /// Cancel an HTTP request the engine no longer needs (its response is ignored anyway).
    HttpCancel {
        /// Which request.
        id: HttpRequestId,
    },
    /// The metadata arrived and verified (magnet start): the torrent's size and files are
    /// known from now on.
    MetadataReady,
    /// Hash these bytes (a whole downloaded piece, or one loaded from the store) with SHA-1
    /// and answer with [`Input::PieceHashed`], giving the bytes back with the digest; only
    /// with [`Config::deferred_hashing`](crate::Config::deferred_hashing). Until then the
    /// piece waits: it is neither requested again nor served.
    HashPiece {
        /// Piece index.
        piece: u32,
        /// The piece's bytes (the engine's own buffer, lent until the answer).
        data: Vec<u8>,
    },
    /// Write this verified piece to the persistent store and answer with
    /// [`Input::PieceStored`]; only with
    /// [`Config::external_store`](crate::Config::external_store). Until answered, a
    /// [`Output::LoadPiece`] for the same piece must see this write (answer loads after
    /// pending writes of the piece, or from them).
    StorePiece {
        /// Piece index.
        piece: u32,
        /// The verified bytes.
        data: Vec<u8>,
    },
    /// Read this whole piece from the persistent store and answer with
    /// [`Input::PieceLoaded`]; only with
    /// [`Config::external_store`](crate::Config::external_store). Asked once per piece until
    /// answered: a reader or a peer needs a piece that is stored but not in memory.
    LoadPiece {
        /// Piece index.
        piece: u32,
    },
    /// A piece passed its SHA-1 check and is stored.
    PieceVerified {
        /// Piece index.
        piece: u32,
    },
    /// Verified bytes at the reader's position, in order. The reader's position moves past
    /// them.
    ReaderData {
        /// The reader.
        reader: ReaderId,
        /// Torrent offset of `bytes[0]`.
        offset: u64,
        /// The bytes (all from verified pieces).
        bytes: Vec<u8>,
    },
    /// Every piece is verified.
    Complete,
    /// Peer addresses a peer told us about (BEP 11 `ut_pex` `added`, bounded per message by
    /// [`wire::MAX_PEX_PEERS`]); only with [`Config::pex`](crate::Config::pex). A driver that
    /// dials adds them to its address book.
    PeerAddrs {
        /// The addresses.
        addrs: Vec<std::net::SocketAddr>,
    },
}

/// Why the engine closed a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer broke the wire protocol (bad framing, oversized message, bad bitfield…).
    Protocol(String),
    /// Banned: too many pieces it contributed to failed their hash, or a banned peer id.
    Banned,
    /// Sent nothing for too long.
    Idle,
    /// Did not complete its handshake in time
    /// ([`Config::handshake_timeout_ms`](crate::Config::handshake_timeout_ms)).
    SlowHandshake,
    /// Both sides have everything: nothing to exchange.
    BothSeeding,
    /// It has everything and this engine only uploads
    /// ([`Config::upload_only`](crate::Config::upload_only)): nothing to exchange either way,
    /// and the slot is better given to a peer that lacks something.
    OnlyUploading,
    /// A second connection from the same peer id.
    Duplicate,
    /// A connection to ourselves (the handshake carried our own peer id): a tracker or PEX
    /// listed our own address. Its address is not worth dialling again.
    Ourselves,
    /// Above the peer cap.
    TooManyPeers,
}

impl core::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Protocol(what) => write!(f, "it broke the wire protocol: {what}"),
            Self::Banned => f.write_str("it was banned (it sent data that failed its hash)"),
            Self::Idle => f.write_str("it sent nothing for too long"),
            Self::SlowHandshake => f.write_str("it did not finish its handshake in time"),
            Self::BothSeeding => f.write_str("both sides have everything"),
            Self::OnlyUploading => f.write_str("it has everything and this side only uploads"),
            Self::Duplicate => f.write_str("it was a second connection to the same peer"),
            Self::Ourselves => f.write_str("it was a connection to ourselves"),
            Self::TooManyPeers => f.write_str("there were too many peers"),
        }
    }
}

/// One connected peer as [`Engine::peer_summary`](crate::Engine::peer_summary) reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeerSummary {
    /// Its handshake arrived, and its extension handshake or bitfield (it said what it has).
    pub heard: bool,
    /// It has a piece we lack.
    pub offering: bool,
    /// Block bytes it sent us, in all.
    pub received: u64,
}

/// Figures for announces and the stats panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Piece bytes received from peers (including wasted ones).
    pub downloaded_from_peers: u64,
    /// Piece bytes received from webseeds.
    pub downloaded_from_webseeds: u64,
    /// Piece bytes sent to peers.
    pub uploaded: u64,
    /// Bytes received that were not needed (duplicates, late, unrequested, failed pieces).
    pub wasted: u64,
    /// Pieces that failed their hash.
    pub hash_failures: u64,
    /// Peers banned.
    pub peers_banned: u64,
    /// Pieces verified.
    pub pieces_verified: u64,
    /// Requests released because a peer stalled.
    pub requests_timed_out: u64,
    /// Bytes still missing (`left` for announces); `None` before the metadata is known.
    pub left: Option<u64>,
    /// Connected peers.
    pub peers: usize,
    /// Bytes handed to readers.
    pub reader_bytes: u64,
    /// Bytes handed to readers from pieces loaded from the persistent store (the hit rate is
    /// this over `reader_bytes`).
    pub reader_bytes_from_store: u64,
    /// Pieces loaded from the store and verified.
    pub store_loads: u64,
    /// Pieces the store returned damaged (wrong length or hash) or missing; they were fetched
    /// again.
    pub store_misses: u64,
    /// Writes the store could not do (full or failing).
    pub store_write_failures: u64,
}
