//! Tracker → client: an answer relayed back to the offerer.

use metainfo::{InfoHash, PeerId};
use serde::{ser::SerializeMap, Serialize, Serializer};

use super::RawOut;
use crate::{
    common::{required_id, BinStr},
    DecodeError, OfferId, SessionDescription,
};

/// An answer to one of our offers, forwarded by the tracker from the answering peer.
///
/// Serialized in bittorrent-tracker 11's member order: `action, answer, offer_id, peer_id, info_hash`.
/// The reference client looks up its pending offer by `offer_id` (unknown ids are ignored) and
/// records `peer_id` as the remote peer's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutAnswer {
    /// `answer`: `{ "type": "answer", "sdp": ... }` as the answerer sent it.
    pub answer: SessionDescription,
    /// `offer_id`: one of the recipient's offers.
    pub offer_id: OfferId,
    /// `peer_id`: the answerer.
    pub peer_id: PeerId,
    /// `info_hash`: the swarm.
    pub info_hash: InfoHash,
}

impl OutAnswer {
    pub(super) fn from_raw(raw: RawOut, answer: SessionDescription) -> Result<Self, DecodeError> {
        Ok(Self {
            answer,
            offer_id: required_id("offer_id", raw.offer_id.as_deref())?,
            peer_id: required_id("peer_id", raw.peer_id.as_deref())?,
            info_hash: raw.single_info_hash()?,
        })
    }
}

impl Serialize for OutAnswer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("action", "announce")?;
        map.serialize_entry("answer", &self.answer)?;
        map.serialize_entry("offer_id", &BinStr(&self.offer_id))?;
        map.serialize_entry("peer_id", &BinStr(&self.peer_id))?;
        map.serialize_entry("info_hash", &BinStr(&self.info_hash))?;
        map.end()
    }
}
