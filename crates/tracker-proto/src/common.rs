//! Pieces shared by both directions: the binary-string id codec, SDP bodies, limits.
//!
//! # Why ids are "binary strings"
//!
//! The reference implementation (bittorrent-tracker, used by WebTorrent) is JavaScript. It turns
//! the 20 raw bytes of an info hash, peer id or offer id into a JS string with
//! `Buffer.toString('binary')`: byte `b` becomes the character U+00bb, so every string has
//! exactly 20 characters, each in U+0000–U+00FF. `JSON.stringify` then escapes it like any
//! string (`\u000f`, `\"`, `\\`, ...), and characters ≥ U+0080 travel as two UTF-8 bytes inside
//! the WebSocket text frame. These strings are neither hex nor UTF-8 text of the id.
//!
//! In Rust the same mapping is `u8 as char` one way and `char as u32 <= 255` the other; serde_json
//! does the JSON escaping exactly like `JSON.stringify` (short escapes for `\b \t \n \f \r`,
//! `\u00xx` with lower-case hex for the other control characters, no escaping of U+007F and
//! above). Decoding rejects any character above U+00FF ([`DecodeError::IdCodePoint`]) and any
//! length other than 20 ([`DecodeError::IdLength`]); trackers answer such messages with a
//! `failure reason`.

use metainfo::Id20;
use serde::{Deserialize, Serialize, Serializer};

use crate::DecodeError;

/// Length in bytes (and in binary-string characters) of every id on this protocol.
pub const ID_LEN: usize = 20;

/// Largest WebSocket message accepted by the decoders, in bytes (aquatic_ws's default
/// `max_message_size`, 64 KiB). Five offers from WebTorrent take about 5 KiB.
pub const MAX_MESSAGE_LEN: usize = 64 * 1024;

/// Most offers accepted in one client announce. WebTorrent sends at most 5; aquatic_ws relays at
/// most 10 of them, so 20 leaves room for other clients while bounding the work per message.
pub const MAX_OFFERS: usize = 20;

/// Most info hashes accepted in one scrape request (aquatic_ws's limit).
pub const MAX_SCRAPE_INFO_HASHES: usize = 255;

/// The id of one WebRTC offer: 20 random bytes chosen by the offering client, echoed by the tracker
/// in the relayed offer, in the answer and in the relayed answer.
pub type OfferId = Id20;

/// Encodes bytes as a binary string: byte `b` becomes the character U+00bb.
pub fn encode_binary_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Decodes a binary string that must hold exactly one 20-byte id.
///
/// `field` names the JSON key in the error, so that a server can reply with a useful
/// `failure reason` ("info_hash must be 20 bytes as a binary string ...").
pub fn decode_binary_id(field: &'static str, text: &str) -> Result<Id20, DecodeError> {
    let mut out = [0u8; ID_LEN];
    let mut len = 0usize;
    for ch in text.chars() {
        let byte = u8::try_from(u32::from(ch)).map_err(|_| DecodeError::IdCodePoint {
            field,
            code_point: u32::from(ch),
        })?;
        if let Some(slot) = out.get_mut(len) {
            *slot = byte;
        }
        len += 1;
    }
    if len != ID_LEN {
        return Err(DecodeError::IdLength { field, len });
    }
    Ok(Id20(out))
}

/// Serializes an id as a binary string (for use inside `Serialize` impls).
pub(crate) struct BinStr<'a>(pub(crate) &'a Id20);

impl Serialize for BinStr<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&encode_binary_string(&self.0 .0))
    }
}

/// Decodes an optional id field, mapping absence to [`DecodeError::MissingField`].
pub(crate) fn required_id(field: &'static str, text: Option<&str>) -> Result<Id20, DecodeError> {
    decode_binary_id(field, text.ok_or(DecodeError::MissingField(field))?)
}

/// `RTCSdpType`: the `type` member of a session description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpType {
    /// `"offer"`: what offers carry.
    Offer,
    /// `"answer"`: what answers carry.
    Answer,
    /// `"pranswer"`: never sent through trackers by WebTorrent; accepted for completeness.
    Pranswer,
    /// `"rollback"`: never sent through trackers by WebTorrent; accepted for completeness.
    Rollback,
}

/// A WebRTC session description `{ "type": ..., "sdp": ... }` as carried in `offer` / `answer`.
///
/// WebTorrent uses non-trickle ICE, so `sdp` is the complete SDP with all candidates, every line
/// terminated by CRLF (as Chromium and libdatachannel produce it). It is relayed verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionDescription {
    /// `type`: `"offer"` in offers, `"answer"` in answers.
    #[serde(rename = "type")]
    pub kind: SdpType,
    /// `sdp`: the SDP text.
    pub sdp: String,
}

impl SessionDescription {
    /// An `{type: "offer", sdp}` body.
    pub fn offer(sdp: impl Into<String>) -> Self {
        Self {
            kind: SdpType::Offer,
            sdp: sdp.into(),
        }
    }

    /// An `{type: "answer", sdp}` body.
    pub fn answer(sdp: impl Into<String>) -> Self {
        Self {
            kind: SdpType::Answer,
            sdp: sdp.into(),
        }
    }
}

/// Serializes a message to compact JSON.
///
/// Our `Serialize` impls only write strings, integers, sequences and string-keyed maps, which
/// serde_json cannot fail to encode into a `String`.
pub(crate) fn to_json_string<T: Serialize>(value: &T) -> String {
    // The error case is unreachable for the types of this crate (see above); an empty string is
    // never a valid message, so a bug here would show up as a decode error on the other side.
    serde_json::to_string(value).unwrap_or_default()
}

/// Rejects texts over [`MAX_MESSAGE_LEN`] before any parsing.
pub(crate) fn check_size(text: &str) -> Result<(), DecodeError> {
    if text.len() > MAX_MESSAGE_LEN {
        return Err(DecodeError::TooLarge {
            len: text.len(),
            max: MAX_MESSAGE_LEN,
        });
    }
    Ok(())
}

/// Rejects JSON values other than objects (serde's derived structs would also accept arrays).
pub(crate) fn check_object(text: &str) -> Result<(), DecodeError> {
    let first = text
        .bytes()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first == Some(b'{') {
        Ok(())
    } else {
        Err(DecodeError::WrongType {
            field: "message",
            expected: "a JSON object",
        })
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn every_byte_maps_to_one_char_and_back() {
        let mut bytes = [0u8; 20];
        for start in (0u8..=255).step_by(20) {
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = start.wrapping_add(i as u8);
            }
            let text = encode_binary_string(&bytes);
            assert_eq!(text.chars().count(), 20);
            assert!(matches!(decode_binary_id("peer_id", &text), Ok(id) if id == Id20(bytes)));
        }
    }

    #[test]
    fn json_escaping_matches_json_stringify() {
        let mut bytes = [b'a'; 20];
        bytes[0] = 0x00;
        bytes[1] = b'"';
        bytes[2] = b'\\';
        bytes[3] = 0x0a;
        bytes[4] = 0x1f;
        bytes[5] = 0x7f;
        bytes[6] = 0xa0;
        bytes[7] = 0xff;
        let json = to_json_string(&BinStr(&Id20(bytes)));
        assert_eq!(
            json,
            "\"\\u0000\\\"\\\\\\n\\u001f\u{7f}\u{a0}\u{ff}aaaaaaaaaaaa\""
        );
    }

    #[test]
    fn wrong_lengths_and_wide_chars_are_typed_errors() {
        assert!(matches!(
            decode_binary_id("info_hash", "abc"),
            Err(DecodeError::IdLength {
                field: "info_hash",
                len: 3
            })
        ));
        assert!(matches!(
            decode_binary_id("info_hash", &"a".repeat(21)),
            Err(DecodeError::IdLength {
                field: "info_hash",
                len: 21
            })
        ));
        let wide = format!("{}\u{100}", "a".repeat(19));
        assert!(matches!(
            decode_binary_id("offer_id", &wide),
            Err(DecodeError::IdCodePoint {
                field: "offer_id",
                code_point: 0x100
            })
        ));
        // A 40-character hex string is not accepted as an id: this is not hex.
        assert!(decode_binary_id("info_hash", &"0f".repeat(20)).is_err());
    }
}
