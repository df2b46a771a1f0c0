//! Re-framing a byte stream into handshake + messages.
//!
//! Data-channel message boundaries mean nothing (WebTorrent splits one BitTorrent message over two
//! DC messages; other senders coalesce several), so the decoder keeps the undecoded tail of the
//! stream and cuts frames out of it:
//!
//! 1. [`FrameDecoder::push`] each received chunk (it copies the bytes into its buffer; the only
//!    copy this crate makes of a block);
//! 2. call [`FrameDecoder::next_frame`] until it returns `Ok(None)`: first the remote
//!    [`Handshake`], then [`Message`]s borrowing from the buffer;
//! 3. on `Err`, close the connection: the decoder stays failed and repeats the error.
//!
//! Memory is bounded by [`Limits::max_buffered`]: lengths are checked (per message type) as soon
//! as the 5-byte header is in, so nothing waits for or allocates from an unchecked length.

use metainfo::InfoHash;

use crate::{
    error::{DecodeError, WireError},
    handshake::{Handshake, Reserved},
    limits::Limits,
    message::Message,
};

/// How a [`FrameDecoder`] checks what it decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Size limits.
    pub limits: Limits,
    /// The reserved bits of *our* handshake; ANDed with the remote's to get the negotiated set.
    pub local: Reserved,
    /// If set, a remote handshake for another torrent is an error
    /// ([`WireError::InfoHashMismatch`]).
    pub expected_info_hash: Option<InfoHash>,
    /// Reject BEP 6 messages unless both sides set the fast bit (BEP 6 says: close).
    pub enforce_fast: bool,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            local: Reserved::WEBTORRENT,
            expected_info_hash: None,
            enforce_fast: true,
        }
    }
}

/// One decoded unit of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// The remote handshake (always the first frame).
    Handshake(Handshake),
    /// A length-prefixed message.
    Message(Message<'a>),
}

/// Caps the idle buffer capacity kept after a large message has been drained.
const KEEP_CAPACITY: usize = 64 * 1024;

/// A sans-IO stream decoder for one connection's incoming direction.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    config: DecoderConfig,
    buf: Vec<u8>,
    /// Start of the undecoded bytes in `buf`.
    pos: usize,
    remote: Option<Handshake>,
    negotiated: Option<Reserved>,
    failed: Option<WireError>,
}

impl FrameDecoder {
    /// A decoder expecting the remote handshake first.
    pub fn new(config: DecoderConfig) -> Self {
        Self {
            config,
            buf: Vec::new(),
            pos: 0,
            remote: None,
            negotiated: None,
            failed: None,
        }
    }

    /// A decoder for a stream whose handshake was already consumed elsewhere; `remote` is the
    /// peer's reserved bits (used for the fast-extension rule).
    pub fn after_handshake(config: DecoderConfig, remote: Reserved) -> Self {
        let mut d = Self::new(config);
        d.negotiated = Some(config.local.negotiate(remote));
        d
    }

    /// Appends received bytes. Fails (and stays failed) when the undecoded bytes would exceed
    /// [`Limits::max_buffered`].
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let len = self.buf.len().saturating_add(bytes.len());
        let max = self.config.limits.max_buffered;
        if len > max {
            let e = WireError::BufferFull { len, max };
            self.failed = Some(e.clone());
            return Err(e);
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, WireError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.pos == self.buf.len() {
            self.pos = 0;
            self.buf.clear();
            if self.buf.capacity() > KEEP_CAPACITY {
                self.buf.shrink_to(KEEP_CAPACITY);
            }
            return Ok(None);
        }
        let input = &self.buf[self.pos..];
        let Some(negotiated) = self.negotiated else {
            return match Handshake::decode(input) {
                Ok((hs, n)) => {
                    if let Some(expected) = self.config.expected_info_hash {
                        if expected != hs.info_hash {
                            let e = WireError::InfoHashMismatch {
                                expected,
                                got: hs.info_hash,
                            };
                            self.failed = Some(e.clone());
                            return Err(e);
                        }
                    }
                    self.pos += n;
                    self.remote = Some(hs);
                    self.negotiated = Some(self.config.local.negotiate(hs.reserved));
                    Ok(Some(Frame::Handshake(hs)))
                }
                Err(DecodeError::NeedMore { .. }) => Ok(None),
                Err(DecodeError::Malformed(e)) => {
                    self.failed = Some(e.clone());
                    Err(e)
                }
            };
        };
        match Message::decode(input, &self.config.limits) {
            Ok((msg, n)) => {
                if self.config.enforce_fast {
                    if let Err(e) = msg.check_negotiated(negotiated) {
                        self.failed = Some(e.clone());
                        return Err(e);
                    }
                }
                self.pos += n;
                Ok(Some(Frame::Message(msg)))
            }
            Err(DecodeError::NeedMore { .. }) => Ok(None),
            Err(DecodeError::Malformed(e)) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The remote handshake, once decoded.
    pub fn remote_handshake(&self) -> Option<&Handshake> {
        self.remote.as_ref()
    }

    /// Bits both sides set, once the remote handshake is known.
    pub fn negotiated(&self) -> Option<Reserved> {
        self.negotiated
    }

    /// Undecoded bytes currently held.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.config.limits
    }

    /// Replaces the limits, e.g. to set [`Limits::max_pieces`] to the torrent's piece count once
    /// the metadata is known. Applies from the next frame on.
    pub fn set_limits(&mut self, limits: Limits) {
        self.config.limits = limits;
    }

    /// The error that ended decoding, if any.
    pub fn error(&self) -> Option<&WireError> {
        self.failed.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::BlockInfo;
    use metainfo::PeerId;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn remote(reserved: Reserved) -> Vec<u8> {
        let hs = Handshake {
            reserved,
            info_hash: InfoHash::from([1; 20]),
            peer_id: PeerId::from([2; 20]),
        };
        hs.to_bytes().to_vec()
    }

    /// Decodes everything available, as debug strings (messages borrow the decoder).
    fn drain(d: &mut FrameDecoder) -> Result<Vec<String>, WireError> {
        let mut out = Vec::new();
        while let Some(f) = d.next_frame()? {
            out.push(match f {
                Frame::Handshake(_) => "handshake".to_owned(),
                Frame::Message(m) => format!("{m:?}"),
            });
        }
        Ok(out)
    }

    #[test]
    fn byte_by_byte() {
        let mut stream = remote(Reserved::WEBTORRENT);
        Message::HaveAll.encode(&mut stream);
        Message::Piece {
            index: 1,
            begin: 2,
            block: b"abc",
        }
        .encode(&mut stream);
        Message::KeepAlive.encode(&mut stream);
        let mut d = FrameDecoder::new(DecoderConfig::default());
        let mut seen = Vec::new();
        for b in &stream {
            d.push(std::slice::from_ref(b)).unwrap();
            seen.extend(drain(&mut d).unwrap());
        }
        assert_eq!(
            seen,
            [
                "handshake",
                "HaveAll",
                "Piece { index: 1, begin: 2, block: [97, 98, 99] }",
                "KeepAlive"
            ]
        );
        assert_eq!(d.buffered(), 0);
        assert!(d.negotiated().is_some_and(Reserved::fast));
        assert_eq!(
            d.remote_handshake().map(|h| h.peer_id),
            Some(PeerId::from([2; 20]))
        );
    }

    #[test]
    fn fast_message_without_fast_is_fatal_and_sticky() {
        let mut stream = remote(Reserved::NONE.with_extension_protocol(true));
        Message::HaveNone.encode(&mut stream);
        let mut d = FrameDecoder::new(DecoderConfig::default());
        d.push(&stream).unwrap();
        assert!(matches!(d.next_frame(), Ok(Some(Frame::Handshake(_)))));
        let err = WireError::FastNotNegotiated { id: 15 };
        assert_eq!(d.next_frame(), Err(err.clone()));
        assert_eq!(d.next_frame(), Err(err.clone()));
        assert_eq!(d.push(b"x"), Err(err.clone()));
        assert_eq!(d.error(), Some(&err));

        let mut lax = FrameDecoder::after_handshake(
            DecoderConfig {
                enforce_fast: false,
                ..DecoderConfig::default()
            },
            Reserved::NONE,
        );
        lax.push(&Message::HaveNone.to_vec()).unwrap();
        assert_eq!(drain(&mut lax).unwrap(), ["HaveNone"]);
    }

    #[test]
    fn wrong_info_hash_and_protocol() {
        let mut d = FrameDecoder::new(DecoderConfig {
            expected_info_hash: Some(InfoHash::from([9; 20])),
            ..DecoderConfig::default()
        });
        d.push(&remote(Reserved::WEBTORRENT)).unwrap();
        assert!(matches!(
            d.next_frame(),
            Err(WireError::InfoHashMismatch { .. })
        ));
        let mut d = FrameDecoder::new(DecoderConfig::default());
        d.push(b"\x13BitTorrent protocoX").unwrap();
        assert_eq!(d.next_frame(), Err(WireError::BadProtocol));
    }

    #[test]
    fn buffer_cap() {
        let limits = Limits {
            max_buffered: 100,
            ..Limits::default()
        };
        let config = DecoderConfig {
            limits,
            ..DecoderConfig::default()
        };
        let mut d = FrameDecoder::after_handshake(config, Reserved::WEBTORRENT);
        d.push(&[0; 60]).unwrap();
        // 15 keep-alives are decoded, freeing the buffer.
        assert_eq!(drain(&mut d).unwrap().len(), 15);
        d.push(&[0; 100]).unwrap();
        assert_eq!(
            d.push(&[0]),
            Err(WireError::BufferFull { len: 101, max: 100 })
        );
    }

    #[test]
    fn oversized_request_closes() {
        let mut d = FrameDecoder::after_handshake(DecoderConfig::default(), Reserved::WEBTORRENT);
        let req = Message::Request(BlockInfo {
            index: 0,
            begin: 0,
            length: 256 * 1024,
        });
        d.push(&req.to_vec()).unwrap();
        assert!(matches!(
            d.next_frame(),
            Err(WireError::RequestTooLarge { .. })
        ));
    }

    #[test]
    fn max_pieces_limits_bitfields() {
        let mut d = FrameDecoder::after_handshake(DecoderConfig::default(), Reserved::WEBTORRENT);
        d.set_limits(Limits {
            max_pieces: 16,
            ..*d.limits()
        });
        d.push(&Message::Bitfield(&[0xff, 0xff]).to_vec()).unwrap();
        assert_eq!(drain(&mut d).unwrap(), ["Bitfield([255, 255])"]);
        d.push(&Message::Bitfield(&[0xff, 0xff, 0]).to_vec())
            .unwrap();
        assert!(matches!(
            d.next_frame(),
            Err(WireError::TooLong { id: Some(5), .. })
        ));
    }
}
