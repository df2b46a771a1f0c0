//! Client → tracker: answer to a relayed offer.

use metainfo::{InfoHash, PeerId};
use serde::{ser::SerializeMap, Serialize, Serializer};

use super::RawIn;
use crate::{
    common::{required_id, BinStr},
    DecodeError, OfferId, SessionDescription,
};

/// An answer to an offer the tracker relayed to us. On the wire it is also
/// `"action":"announce"`; the `answer` member is what makes it an answer.
///
/// Serialized in WebTorrent 3's member order:
/// `action, info_hash, peer_id, to_peer_id, answer, offer_id, trackerid`.
///
/// bittorrent-tracker forwards it to `to_peer_id` and sends no response; aquatic_ws also sends
/// an announce response, or a `failure reason` when the offer is unknown or expired (> 120 s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InAnswer {
    /// `info_hash`: the torrent (copied from the relayed offer).
    pub info_hash: InfoHash,
    /// `peer_id`: the answering client (us, on the client side).
    pub peer_id: PeerId,
    /// `to_peer_id`: the offerer, copied from the relayed offer's `peer_id`. Required.
    pub to_peer_id: PeerId,
    /// `answer`: `{ "type": "answer", "sdp": ... }`, complete (non-trickle) SDP.
    pub answer: SessionDescription,
    /// `offer_id`: copied from the relayed offer.
    pub offer_id: OfferId,
    /// `trackerid`: WebTorrent adds it once a response carried `tracker id`.
    pub tracker_id: Option<String>,
}

impl InAnswer {
    /// `answer` has already been taken out of `raw` by the caller (it selected this kind).
    pub(super) fn from_raw(raw: RawIn, answer: SessionDescription) -> Result<Self, DecodeError> {
        Ok(Self {
            info_hash: raw.single_info_hash()?,
            peer_id: required_id("peer_id", raw.peer_id.as_deref())?,
            to_peer_id: required_id("to_peer_id", raw.to_peer_id.as_deref())?,
            answer,
            offer_id: required_id("offer_id", raw.offer_id.as_deref())?,
            tracker_id: raw.trackerid,
        })
    }
}

impl Serialize for InAnswer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("action", "announce")?;
        map.serialize_entry("info_hash", &BinStr(&self.info_hash))?;
        map.serialize_entry("peer_id", &BinStr(&self.peer_id))?;
        map.serialize_entry("to_peer_id", &BinStr(&self.to_peer_id))?;
        map.serialize_entry("answer", &self.answer)?;
        map.serialize_entry("offer_id", &BinStr(&self.offer_id))?;
        if let Some(id) = &self.tracker_id {
            map.serialize_entry("trackerid", id)?;
        }
        map.end()
    }
}
