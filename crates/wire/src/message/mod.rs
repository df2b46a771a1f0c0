//! Length-prefixed peer messages (BEP 3, BEP 6, BEP 10 framing).
//!
//! Decoded messages borrow their variable-size payloads (`piece` blocks, `bitfield` bytes,
//! `extended` payloads) from the input slice instead of copying them: the only copy a block
//! undergoes in this crate is the one into the stream decoder's buffer, and the session copies it
//! once more into its piece buffer. A borrowed [`Message`] is `Copy` and cheap to match on; keep
//! what you need (e.g. `block.to_vec()`) before pulling the next message.

mod decode;
mod ids;
#[cfg(test)]
mod tests;

pub use ids::{id, is_fast_only};

use crate::{error::WireError, handshake::Reserved};

/// A block of a piece: `request`, `cancel` and `reject_request` carry one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockInfo {
    /// Piece index.
    pub index: u32,
    /// Byte offset inside the piece.
    pub begin: u32,
    /// Block length in bytes.
    pub length: u32,
}

/// One peer message. Payloads borrow from the decoded buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// Zero-length message.
    KeepAlive,
    /// `choke` (0).
    Choke,
    /// `unchoke` (1).
    Unchoke,
    /// `interested` (2).
    Interested,
    /// `not interested` (3).
    NotInterested,
    /// `have` (4): the sender now has this piece.
    Have(u32),
    /// `bitfield` (5): raw payload; validate it with
    /// [`Bitfield::from_payload`](crate::Bitfield::from_payload) once the piece count is known.
    Bitfield(&'a [u8]),
    /// `request` (6).
    Request(BlockInfo),
    /// `piece` (7): a block of data.
    Piece {
        /// Piece index.
        index: u32,
        /// Byte offset inside the piece.
        begin: u32,
        /// The block, borrowed from the input.
        block: &'a [u8],
    },
    /// `cancel` (8).
    Cancel(BlockInfo),
    /// `port` (9): the sender's DHT port. Browsers have no DHT; ignore it.
    Port(u16),
    /// `suggest` (13, BEP 6).
    Suggest(u32),
    /// `have_all` (14, BEP 6).
    HaveAll,
    /// `have_none` (15, BEP 6).
    HaveNone,
    /// `reject_request` (16, BEP 6).
    RejectRequest(BlockInfo),
    /// `allowed_fast` (17, BEP 6).
    AllowedFast(u32),
    /// `extended` (20, BEP 10): extension message id (0 = extended handshake) and its payload.
    Extended {
        /// Extension message id: 0 for the handshake, else an id from the receiver's `m`.
        id: u8,
        /// The extension payload, borrowed from the input.
        payload: &'a [u8],
    },
    /// A message id we do not know: skipped, not an error. `len` is the payload length (without
    /// the id byte). Encoding one writes `len` zero bytes as its payload.
    Unknown {
        /// The message id.
        id: u8,
        /// Payload length in bytes.
        len: u32,
    },
}

/// Writes the 13-byte header of a `piece` message whose block (of `block_len` bytes) the caller
/// sends right after it, so a block need not be copied into a message buffer.
pub fn encode_piece_header(index: u32, begin: u32, block_len: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(&block_len.saturating_add(9).to_be_bytes());
    out.push(id::PIECE);
    out.extend_from_slice(&index.to_be_bytes());
    out.extend_from_slice(&begin.to_be_bytes());
}

impl<'a> Message<'a> {
    /// The message id, or `None` for keep-alive.
    pub fn id(&self) -> Option<u8> {
        Some(match self {
            Self::KeepAlive => return None,
            Self::Choke => id::CHOKE,
            Self::Unchoke => id::UNCHOKE,
            Self::Interested => id::INTERESTED,
            Self::NotInterested => id::NOT_INTERESTED,
            Self::Have(_) => id::HAVE,
            Self::Bitfield(_) => id::BITFIELD,
            Self::Request(_) => id::REQUEST,
            Self::Piece { .. } => id::PIECE,
            Self::Cancel(_) => id::CANCEL,
            Self::Port(_) => id::PORT,
            Self::Suggest(_) => id::SUGGEST,
            Self::HaveAll => id::HAVE_ALL,
            Self::HaveNone => id::HAVE_NONE,
            Self::RejectRequest(_) => id::REJECT_REQUEST,
            Self::AllowedFast(_) => id::ALLOWED_FAST,
            Self::Extended { .. } => id::EXTENDED,
            Self::Unknown { id, .. } => *id,
        })
    }

    /// True for BEP 6 messages, which require negotiated fast extension.
    pub fn is_fast_only(&self) -> bool {
        self.id().is_some_and(is_fast_only)
    }

    /// BEP 6 rule: a fast-only message when the handshakes did not both set the fast bit is an
    /// error. `negotiated` is [`Reserved::negotiate`] of both handshakes.
    pub fn check_negotiated(&self, negotiated: Reserved) -> Result<(), WireError> {
        match self.id() {
            Some(id) if is_fast_only(id) && !negotiated.fast() => {
                Err(WireError::FastNotNegotiated { id })
            }
            _ => Ok(()),
        }
    }

    /// Payload length (after the id byte).
    fn payload_len(&self) -> usize {
        match self {
            Self::KeepAlive
            | Self::Choke
            | Self::Unchoke
            | Self::Interested
            | Self::NotInterested
            | Self::HaveAll
            | Self::HaveNone => 0,
            Self::Have(_) | Self::Suggest(_) | Self::AllowedFast(_) => 4,
            Self::Request(_) | Self::Cancel(_) | Self::RejectRequest(_) => 12,
            Self::Port(_) => 2,
            Self::Bitfield(b) => b.len(),
            Self::Piece { block, .. } => 8 + block.len(),
            Self::Extended { payload, .. } => 1 + payload.len(),
            Self::Unknown { len, .. } => *len as usize,
        }
    }

    /// Bytes [`encode`](Self::encode) appends (length prefix included).
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::KeepAlive => 4,
            _ => 5 + self.payload_len(),
        }
    }

    /// Appends the message (length prefix, id, payload) to `out`.
    ///
    /// Payloads longer than `u32::MAX - 1` bytes cannot be framed; their length prefix saturates
    /// (no such message is valid under any [`Limits`]).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        let Some(msg_id) = self.id() else {
            out.extend_from_slice(&[0; 4]);
            return;
        };
        let len = u32::try_from(self.payload_len().saturating_add(1)).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.push(msg_id);
        match *self {
            Self::KeepAlive
            | Self::Choke
            | Self::Unchoke
            | Self::Interested
            | Self::NotInterested
            | Self::HaveAll
            | Self::HaveNone => {}
            Self::Have(n) | Self::Suggest(n) | Self::AllowedFast(n) => {
                out.extend_from_slice(&n.to_be_bytes());
            }
            Self::Request(b) | Self::Cancel(b) | Self::RejectRequest(b) => {
                out.extend_from_slice(&b.index.to_be_bytes());
                out.extend_from_slice(&b.begin.to_be_bytes());
                out.extend_from_slice(&b.length.to_be_bytes());
            }
            Self::Port(p) => out.extend_from_slice(&p.to_be_bytes()),
            Self::Bitfield(b) => out.extend_from_slice(b),
            Self::Piece {
                index,
                begin,
                block,
            } => {
                out.extend_from_slice(&index.to_be_bytes());
                out.extend_from_slice(&begin.to_be_bytes());
                out.extend_from_slice(block);
            }
            Self::Extended { id, payload } => {
                out.push(id);
                out.extend_from_slice(payload);
            }
            Self::Unknown { len, .. } => out.resize(out.len() + len as usize, 0),
        }
    }

    /// The encoded message as a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}
