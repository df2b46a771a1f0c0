//! Size limits applied while decoding.
//!
//! Every length read from the wire is compared with one of these before anything is buffered for
//! it or allocated from it. The defaults are sized for WebTorrent peers:
//!
//! | limit | default | why |
//! |---|---|---|
//! | [`max_block_len`](Limits::max_block_len) | 16 KiB | the block size we request (WebTorrent's too); a `piece` message is then ≤ 16 KiB + 13 bytes on the wire (length prefix ≤ 16,393) |
//! | [`max_request_len`](Limits::max_request_len) | 128 KiB | WebTorrent closes peers that request more |
//! | [`max_pieces`](Limits::max_pieces) | 500,000 | a bitfield of up to 62,500 bytes; 500,000 piece hashes are exactly the 10,000,000-byte metadata cap WebTorrent enforces. Lower it to the torrent's real count once known |
//! | [`max_extended_len`](Limits::max_extended_len) | 256 KiB | the largest extension message we use (ut_metadata data) is 16 KiB + ~60 bytes; 256 KiB also matches Chrome's data-channel message size |
//! | [`max_unknown_len`](Limits::max_unknown_len) | 64 KiB | unknown ids are skipped, but still buffered whole |
//! | [`max_buffered`](Limits::max_buffered) | 1 MiB | one maximal extended message plus a few maximal (256 KiB) data-channel messages pushed before draining |

/// Limits for the message decoder and the stream decoder. See the module docs for the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest block in a `piece` message.
    pub max_block_len: u32,
    /// Largest block a `request` may ask for (`reject_request` and `cancel` are not limited).
    pub max_request_len: u32,
    /// Largest piece count a `bitfield` may describe (its payload is ⌈n/8⌉ bytes).
    pub max_pieces: u32,
    /// Largest `extended` message payload (extension id byte + extension payload).
    pub max_extended_len: u32,
    /// Largest payload of a message with an id we do not know.
    pub max_unknown_len: u32,
    /// Most bytes the stream decoder holds (undecoded) at once.
    pub max_buffered: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_block_len: 16 * 1024,
            max_request_len: 128 * 1024,
            max_pieces: 500_000,
            max_extended_len: 256 * 1024,
            max_unknown_len: 64 * 1024,
            max_buffered: 1024 * 1024,
        }
    }
}

impl Limits {
    /// The largest length prefix (id + payload) allowed for message `id`. For fixed-size
    /// messages this is their exact length.
    pub fn max_len_for(&self, id: u8) -> u32 {
        use crate::message::id;
        match id {
            id::PIECE => self.max_block_len.saturating_add(9),
            id::BITFIELD => (self.max_pieces.div_ceil(8)).saturating_add(1),
            id::EXTENDED => self.max_extended_len.saturating_add(1),
            id::CHOKE..=id::NOT_INTERESTED | id::HAVE_ALL | id::HAVE_NONE => 1,
            id::HAVE | id::SUGGEST | id::ALLOWED_FAST => 5,
            id::REQUEST | id::CANCEL | id::REJECT_REQUEST => 13,
            id::PORT => 3,
            _ => self.max_unknown_len.saturating_add(1),
        }
    }

    /// The largest length prefix any message may have.
    pub fn max_frame_len(&self) -> u32 {
        let candidates = [
            self.max_len_for(crate::message::id::PIECE),
            self.max_len_for(crate::message::id::BITFIELD),
            self.max_len_for(crate::message::id::EXTENDED),
            self.max_unknown_len.saturating_add(1),
            13,
        ];
        candidates.into_iter().max().unwrap_or(13)
    }
}
