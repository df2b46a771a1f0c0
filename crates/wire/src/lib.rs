//! The BitTorrent peer wire protocol, sans-IO: BEP 3 handshake and messages, BEP 6 fast
//! extension, BEP 10 extension protocol, BEP 9 `ut_metadata` and `lt_donthave`, as WebTorrent
//! speaks them over a WebRTC data channel.
//!
//! # What this crate promises
//!
//! * No I/O, no clock, no randomness, no async: bytes in, values out (and values in, bytes out).
//!   It builds for native targets and `wasm32-unknown-unknown` alike.
//! * Decoders never panic on input and never allocate from an unchecked length: every length
//!   prefix is compared with a [`Limits`] entry before anything waits or allocates for it.
//! * Decoding returns `(value, consumed)` from a borrowed slice; errors separate "need more bytes"
//!   ([`DecodeError::NeedMore`]) from protocol violations ([`WireError`], close the connection).
//! * Everything decoded re-encodes to the same bytes (canonical bencode for extension dicts).
//!
//! # Driving the stream decoder
//!
//! 1. Send our [`Handshake`] as soon as the data channel opens (both sides send at once).
//! 2. Create one [`FrameDecoder`] per connection, with our reserved bits and the expected info
//!    hash in its [`DecoderConfig`].
//! 3. On every data-channel message, [`FrameDecoder::push`] its bytes, then call
//!    [`FrameDecoder::next_frame`] until `Ok(None)`. The first frame is the remote handshake; the
//!    rest are [`Message`]s borrowing from the decoder's buffer.
//! 4. If both sides set the extension bit, send our [`ExtendedHandshake`] (extended id 0) and
//!    decode theirs from [`Message::Extended`] with id 0. Incoming extension messages carry *our*
//!    ids ([`Extension::from_local_id`]); outgoing ones use the *remote's*
//!    ([`ExtendedHandshake::remote_id`]).
//! 5. Any `Err` means: close the connection.
//!
//! ```
//! # use shoal_wire as wire; // the workspace imports this package as `wire`
//! use wire::{DecoderConfig, Frame, FrameDecoder, Handshake, Message};
//! use metainfo::{InfoHash, PeerId};
//!
//! let info_hash = InfoHash::from([7; 20]);
//! let mut decoder = FrameDecoder::new(DecoderConfig {
//!     expected_info_hash: Some(info_hash),
//!     ..DecoderConfig::default()
//! });
//!
//! // What the remote sent, arriving in arbitrary pieces.
//! let mut stream = Vec::new();
//! Handshake::new(info_hash, PeerId::from([1; 20])).encode(&mut stream);
//! Message::Interested.encode(&mut stream);
//! Message::Have(42).encode(&mut stream);
//!
//! let mut seen = Vec::new();
//! for chunk in stream.chunks(5) {
//!     decoder.push(chunk)?;
//!     while let Some(frame) = decoder.next_frame()? {
//!         match frame {
//!             Frame::Handshake(hs) => assert!(hs.reserved.fast()),
//!             Frame::Message(msg) => seen.push(format!("{msg:?}")),
//!         }
//!     }
//! }
//! assert_eq!(seen, ["Interested", "Have(42)"]);
//! # Ok::<(), wire::WireError>(())
//! ```

#![warn(missing_docs)]

mod bitfield;
mod decoder;
mod donthave;
mod error;
mod extended;
mod handshake;
mod limits;
mod message;
mod ut_metadata;
mod ut_pex;

#[cfg(all(test, not(target_family = "wasm")))]
mod proptests;

pub use bitfield::Bitfield;
pub use decoder::{DecoderConfig, Frame, FrameDecoder};
pub use donthave::{decode_donthave, encode_donthave};
pub use error::{BitfieldError, DecodeError, ExtensionError, WireError};
pub use extended::{ExtendedHandshake, Extension, MAX_EXTENSIONS};
pub use handshake::{Handshake, Reserved, HANDSHAKE_LEN, PROTOCOL};
pub use limits::Limits;
pub use message::{encode_piece_header, id, is_fast_only, BlockInfo, Message};
pub use ut_metadata::{
    metadata_piece_count, metadata_piece_len, MetadataMessage, MAX_METADATA_SIZE,
    METADATA_PIECE_LEN,
};
pub use ut_pex::{PexMessage, MAX_PEX_PEERS};

// Run the unit tests in headless Chromium when built for the browser.
#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
