//! Error types.
//!
//! Decoding a frame can end three ways: a value, "not enough bytes yet" ([`DecodeError::NeedMore`],
//! which is not a fault: push more bytes and try again), or "the peer broke the protocol"
//! ([`DecodeError::Malformed`] carrying a [`WireError`], after which the connection should be
//! closed). Extension payloads (BEP 10 handshake, BEP 9, lt_donthave) are whole once their message
//! has been framed, so their errors ([`ExtensionError`]) have no "need more" case.

/// Why a chunk of bytes could not (yet) be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ends before the value does; at least `needed` more bytes are required.
    #[error("need at least {needed} more bytes")]
    NeedMore {
        /// A lower bound on the number of missing bytes (always ≥ 1).
        needed: usize,
    },
    /// The bytes break the protocol; retrying with more input will not help.
    #[error(transparent)]
    Malformed(#[from] WireError),
}

/// A peer-wire protocol violation. Every variant means "close the connection".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The handshake's first byte is not 19 or its protocol string is not `BitTorrent protocol`.
    #[error("not a BitTorrent handshake (wrong protocol string)")]
    BadProtocol,
    /// The remote handshake names a torrent other than the one we asked for.
    #[error("handshake names info hash {got}, expected {expected}")]
    InfoHashMismatch {
        /// The info hash we expected.
        expected: metainfo::InfoHash,
        /// The info hash the peer sent.
        got: metainfo::InfoHash,
    },
    /// A message's length prefix is larger than the limit for its type.
    #[error("message (id {id:?}) has length {len}, more than the limit {max}")]
    TooLong {
        /// Message id (`None` when only the length prefix was seen).
        id: Option<u8>,
        /// Length from the prefix (id and payload).
        len: u32,
        /// The limit that applies.
        max: u32,
    },
    /// A fixed-size message has a length that does not match its type.
    #[error("message id {id} must have length {expected}, has {len}")]
    BadLength {
        /// Message id.
        id: u8,
        /// Length from the prefix (id and payload).
        len: u32,
        /// The only valid length for this id.
        expected: u32,
    },
    /// A `piece` or `extended` message too short to hold its fixed header.
    #[error("message id {id} has length {len}, shorter than its header")]
    TooShort {
        /// Message id.
        id: u8,
        /// Length from the prefix (id and payload).
        len: u32,
    },
    /// A `request` asks for more bytes than allowed (WebTorrent closes above 128 KiB).
    #[error("request for {len} bytes exceeds the limit {max}")]
    RequestTooLarge {
        /// Requested block length.
        len: u32,
        /// The limit.
        max: u32,
    },
    /// A BEP 6 (fast extension) message arrived although fast was not negotiated.
    #[error("fast-extension message id {id} without negotiated fast extension")]
    FastNotNegotiated {
        /// Message id.
        id: u8,
    },
    /// More bytes were pushed into the stream decoder than it may hold.
    #[error("stream decoder would hold {len} bytes, more than the limit {max}")]
    BufferFull {
        /// Bytes that would be buffered.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl DecodeError {
    /// True for [`DecodeError::NeedMore`].
    pub fn is_need_more(&self) -> bool {
        matches!(self, Self::NeedMore { .. })
    }
}

/// A bitfield payload that does not fit the torrent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BitfieldError {
    /// The payload is not ⌈pieces / 8⌉ bytes long.
    #[error("bitfield of {len} bytes for {pieces} pieces (expected {expected} bytes)")]
    WrongLength {
        /// Payload length in bytes.
        len: usize,
        /// Piece count of the torrent.
        pieces: u32,
        /// The expected payload length.
        expected: usize,
    },
}

/// A malformed extension payload (BEP 10 handshake, BEP 9 ut_metadata, lt_donthave).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// The payload is not valid bencode (or exceeds the bencode limits).
    #[error("invalid bencode in extension payload")]
    Bencode(#[from] bencode::DecodeError),
    /// The payload is bencode but not a dictionary.
    #[error("extension payload is not a bencoded dictionary")]
    NotADict,
    /// A required key is missing or has the wrong type or range.
    #[error("key {key:?} is missing or invalid")]
    BadField {
        /// The key.
        key: &'static str,
    },
    /// The extended handshake lists more extensions in `m` than we accept.
    #[error("extended handshake lists {count} extensions, more than {max}")]
    TooManyExtensions {
        /// Entries in `m`.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A `ut_pex` list holds more peers than we accept in one message.
    #[error("ut_pex list of {count} peers, more than {max}")]
    TooManyPeers {
        /// Entries in the list.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A ut_metadata `msg_type` other than 0, 1 or 2 (BEP 9 says: ignore the message).
    #[error("unknown ut_metadata msg_type {0}")]
    UnknownMsgType(i64),
    /// `metadata_size` / `total_size` is ≤ 0 or above the 10,000,000-byte limit.
    #[error("metadata size {0} is out of range")]
    MetadataSizeOutOfRange(i64),
    /// A ut_metadata piece index at or beyond the piece count.
    #[error("metadata piece {piece} out of range (count {count})")]
    PieceOutOfRange {
        /// The piece index.
        piece: u32,
        /// Number of metadata pieces.
        count: u32,
    },
    /// A ut_metadata data message whose byte count does not match its piece.
    #[error("metadata piece {piece} has {len} bytes, expected {expected}")]
    PieceLength {
        /// The piece index.
        piece: u32,
        /// Bytes received.
        len: usize,
        /// Bytes expected (16 KiB, or the remainder for the last piece).
        expected: usize,
    },
    /// A ut_metadata data message whose `total_size` differs from the size we know.
    #[error("metadata total_size {got} differs from the known size {expected}")]
    TotalSizeMismatch {
        /// The size we know (from the extended handshake).
        expected: u64,
        /// The size in the message.
        got: u64,
    },
    /// An lt_donthave payload that is not exactly 4 bytes.
    #[error("lt_donthave payload has {0} bytes, expected 4")]
    DontHaveLength(usize),
}
