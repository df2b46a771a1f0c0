//! Tracker → client: error (`failure reason`).

use metainfo::InfoHash;
use serde::{ser::SerializeMap, Serialize, Serializer};

use super::RawOut;
use crate::{
    common::{decode_binary_id, BinStr},
    incoming::RawHashes,
    DecodeError,
};

/// A protocol-level failure, sent instead of a response (it is a message, not a Rust error).
///
/// bittorrent-tracker sends `{action, "failure reason", info_hash}` when it rejects a message;
/// aquatic_ws also sends one when an answer's offer is unknown or expired. The reference client
/// emits it as a warning for that torrent and keeps going. Serialized as
/// `action, failure reason, info_hash` (optional members omitted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutError {
    /// `failure reason`: human-readable text.
    pub failure_reason: String,
    /// `action` of the rejected message, when known.
    pub action: Option<ErrorAction>,
    /// `info_hash` of the rejected message, when known.
    pub info_hash: Option<InfoHash>,
}

/// The `action` an error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorAction {
    /// `"announce"` (also answers).
    Announce,
    /// `"scrape"`.
    Scrape,
}

impl OutError {
    /// A `failure reason` for a client message that did not decode, e.g.
    /// "info_hash must be 20 bytes as a binary string, this one has 40 characters".
    pub fn from_decode_error(err: &DecodeError) -> Self {
        Self {
            failure_reason: err.to_string(),
            action: None,
            info_hash: None,
        }
    }

    /// Decoding is lenient: an unknown `action` or an `info_hash` that is not a valid id is
    /// dropped rather than hiding the failure text.
    pub(super) fn from_raw(raw: RawOut, failure_reason: String) -> Self {
        let action = match raw.action.as_deref() {
            Some("announce") => Some(ErrorAction::Announce),
            Some("scrape") => Some(ErrorAction::Scrape),
            _ => None,
        };
        let info_hash = match &raw.info_hash {
            Some(RawHashes::One(text)) => decode_binary_id("info_hash", text).ok(),
            _ => None,
        };
        Self {
            failure_reason,
            action,
            info_hash,
        }
    }
}

impl Serialize for OutError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self.action {
            Some(ErrorAction::Announce) => map.serialize_entry("action", "announce")?,
            Some(ErrorAction::Scrape) => map.serialize_entry("action", "scrape")?,
            None => {}
        }
        map.serialize_entry("failure reason", &self.failure_reason)?;
        if let Some(hash) = &self.info_hash {
            map.serialize_entry("info_hash", &BinStr(hash))?;
        }
        map.end()
    }
}
