//! Client → tracker: announce (optionally with offers).

use metainfo::{InfoHash, PeerId};
use serde::{ser::SerializeMap, Deserialize, Serialize, Serializer};

use super::RawIn;
use crate::{
    common::{decode_binary_id, required_id, BinStr},
    error::clip,
    DecodeError, OfferId, SessionDescription, MAX_OFFERS,
};

/// An announce: "I am in this swarm, here are my stats, and here are offers to relay".
///
/// Serialized in the member order of WebTorrent 3 (bittorrent-tracker's client builds the object
/// as `{numwant, uploaded, downloaded, left, event}` + `{action, info_hash, peer_id}`, then adds
/// `trackerid` and `offers`):
/// `numwant, uploaded, downloaded, left, event, action, info_hash, peer_id, trackerid, offers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InAnnounce {
    /// `info_hash`: the torrent.
    pub info_hash: InfoHash,
    /// `peer_id`: the announcing client. WebTorrent: `-WW0300-` + 12 base64 characters.
    pub peer_id: PeerId,
    /// `numwant`: WebTorrent sends `min(numwant, 5)` = the number of offers attached (5) on
    /// `started` and periodic announces, and its default 50 on `completed` / `stopped`, which
    /// carry no offers. Trackers ignore it for WebSocket peers.
    pub numwant: Option<u64>,
    /// `uploaded`: bytes uploaded this session. Always sent by WebTorrent.
    pub uploaded: Option<u64>,
    /// `downloaded`: bytes downloaded this session. Always sent by WebTorrent.
    pub downloaded: Option<u64>,
    /// `left`: bytes still missing; `0` marks a seeder. WebTorrent always sends the key, with
    /// `null` while the size is unknown (joined by magnet, metadata not fetched yet): `None` here
    /// is serialized as `"left":null`, and both `null` and an absent key decode to `None`.
    pub left: Option<u64>,
    /// `event`: `started` on the first announce, `completed` once, `stopped` on leave; absent on
    /// periodic announces and on the announce after a reconnect.
    pub event: Option<AnnounceEvent>,
    /// `trackerid`: sent by WebTorrent only after a response carried `tracker id` (it echoes it).
    pub tracker_id: Option<String>,
    /// `offers`: WebRTC offers for the tracker to relay to other peers, one each. WebTorrent
    /// attaches 5 to `started` and periodic announces and omits the key on `completed` and
    /// `stopped`. `Some(vec![])` is kept distinct from `None` so that `"offers":[]` re-encodes
    /// as sent.
    pub offers: Option<Vec<InOffer>>,
}

/// One entry of `offers`: `{ "offer_id": <binary string>, "offer": {type, sdp} }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InOffer {
    /// `offer_id`: 20 random bytes; the answer and relayed answer echo it.
    pub offer_id: OfferId,
    /// `offer`: `{ "type": "offer", "sdp": ... }`, complete (non-trickle) SDP.
    pub offer: SessionDescription,
}

/// The `event` member of an announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnnounceEvent {
    /// `"started"`: first announce of a session.
    Started,
    /// `"completed"`: the download just finished (sent once).
    Completed,
    /// `"stopped"`: leaving the swarm.
    Stopped,
    /// `"update"`: bittorrent-tracker's name for a periodic announce; WebTorrent omits `event`
    /// instead, but the server accepts it.
    Update,
    /// `"paused"`: known to bittorrent-tracker's server; WebTorrent 3 does not send it.
    Paused,
}

impl AnnounceEvent {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Completed => "completed",
            Self::Stopped => "stopped",
            Self::Update => "update",
            Self::Paused => "paused",
        }
    }

    /// Parses a wire name; unknown names are a typed error.
    pub fn from_wire(name: &str) -> Result<Self, DecodeError> {
        Ok(match name {
            "started" => Self::Started,
            "completed" => Self::Completed,
            "stopped" => Self::Stopped,
            "update" => Self::Update,
            "paused" => Self::Paused,
            other => return Err(DecodeError::UnknownEvent(clip(other))),
        })
    }
}

/// `offers` items as they come off the wire, before id decoding.
#[derive(Deserialize)]
pub(crate) struct RawOffer {
    offer_id: Option<String>,
    offer: Option<SessionDescription>,
}

impl InAnnounce {
    pub(super) fn from_raw(raw: RawIn) -> Result<Self, DecodeError> {
        let info_hash = raw.single_info_hash()?;
        let peer_id = required_id("peer_id", raw.peer_id.as_deref())?;
        let event = raw
            .event
            .as_deref()
            .map(AnnounceEvent::from_wire)
            .transpose()?;
        let offers = match raw.offers {
            None => None,
            Some(list) if list.len() > MAX_OFFERS => {
                return Err(DecodeError::TooManyOffers {
                    count: list.len(),
                    max: MAX_OFFERS,
                })
            }
            Some(list) => Some(
                list.into_iter()
                    .map(|o| {
                        let text = o.offer_id.ok_or(DecodeError::MissingField("offer_id"))?;
                        Ok(InOffer {
                            offer_id: decode_binary_id("offer_id", &text)?,
                            offer: o.offer.ok_or(DecodeError::MissingField("offer"))?,
                        })
                    })
                    .collect::<Result<Vec<_>, DecodeError>>()?,
            ),
        };
        Ok(Self {
            info_hash,
            peer_id,
            numwant: raw.numwant,
            uploaded: raw.uploaded,
            downloaded: raw.downloaded,
            left: raw.left,
            event,
            tracker_id: raw.trackerid,
            offers,
        })
    }
}

impl Serialize for InAnnounce {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(n) = self.numwant {
            map.serialize_entry("numwant", &n)?;
        }
        if let Some(n) = self.uploaded {
            map.serialize_entry("uploaded", &n)?;
        }
        if let Some(n) = self.downloaded {
            map.serialize_entry("downloaded", &n)?;
        }
        map.serialize_entry("left", &self.left)?;
        if let Some(event) = self.event {
            map.serialize_entry("event", event.as_str())?;
        }
        map.serialize_entry("action", "announce")?;
        map.serialize_entry("info_hash", &BinStr(&self.info_hash))?;
        map.serialize_entry("peer_id", &BinStr(&self.peer_id))?;
        if let Some(id) = &self.tracker_id {
            map.serialize_entry("trackerid", id)?;
        }
        if let Some(offers) = &self.offers {
            map.serialize_entry("offers", offers)?;
        }
        map.end()
    }
}

impl Serialize for InOffer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("offer_id", &BinStr(&self.offer_id))?;
        map.serialize_entry("offer", &self.offer)?;
        map.end()
    }
}
