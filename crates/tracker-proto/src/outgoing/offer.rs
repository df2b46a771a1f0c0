//! Tracker → client: an offer relayed from another peer.

use metainfo::{InfoHash, PeerId};
use serde::{ser::SerializeMap, Serialize, Serializer};

use super::RawOut;
use crate::{
    common::{required_id, BinStr},
    DecodeError, OfferId, SessionDescription,
};

/// One offer of another peer's announce, forwarded by the tracker to us (each offer goes to a
/// different random peer of the swarm, never back to its sender).
///
/// Serialized in bittorrent-tracker 11's member order: `action, offer, offer_id, peer_id, info_hash`.
/// The reference client answers it with an [`InAnswer`](crate::InAnswer) whose `to_peer_id` is
/// this `peer_id` and whose `offer_id` is this `offer_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOffer {
    /// `offer`: `{ "type": "offer", "sdp": ... }` as the offerer sent it.
    pub offer: SessionDescription,
    /// `offer_id`: the offerer's id for this offer.
    pub offer_id: OfferId,
    /// `peer_id`: the offerer.
    pub peer_id: PeerId,
    /// `info_hash`: the swarm.
    pub info_hash: InfoHash,
}

impl OutOffer {
    pub(super) fn from_raw(raw: RawOut, offer: SessionDescription) -> Result<Self, DecodeError> {
        Ok(Self {
            offer,
            offer_id: required_id("offer_id", raw.offer_id.as_deref())?,
            peer_id: required_id("peer_id", raw.peer_id.as_deref())?,
            info_hash: raw.single_info_hash()?,
        })
    }
}

impl Serialize for OutOffer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("action", "announce")?;
        map.serialize_entry("offer", &self.offer)?;
        map.serialize_entry("offer_id", &BinStr(&self.offer_id))?;
        map.serialize_entry("peer_id", &BinStr(&self.peer_id))?;
        map.serialize_entry("info_hash", &BinStr(&self.info_hash))?;
        map.end()
    }
}
