//! Tracker → client: response to an announce.

use metainfo::InfoHash;
use serde::{ser::SerializeMap, Serialize, Serializer};

use super::RawOut;
use crate::{common::BinStr, DecodeError};

/// The tracker's reply to an announce: swarm counts and when to announce next.
///
/// Serialized in bittorrent-tracker 11's member order,
/// `complete, incomplete, action, interval, info_hash`, followed by the optional members
/// `min interval, tracker id, warning message` (which bittorrent-tracker's WebSocket server does
/// not send; aquatic_ws sends `action, info_hash, complete, incomplete, interval`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutAnnounceResponse {
    /// `info_hash`: the torrent the response is for (clients ignore other hashes).
    pub info_hash: InfoHash,
    /// `complete`: seeders in the swarm. Both reference trackers always send it; the reference
    /// client tolerates its absence, so it is optional here.
    pub complete: Option<u64>,
    /// `incomplete`: leechers in the swarm (same remark as `complete`).
    pub incomplete: Option<u64>,
    /// `interval`: seconds until the next periodic announce (bittorrent-tracker and aquatic_ws
    /// default to 120). The client re-arms its timer to it on every response that has it.
    pub interval: Option<u64>,
    /// `min interval`: the reference client uses it when `interval` is absent.
    pub min_interval: Option<u64>,
    /// `tracker id`: the client remembers it and sends it back as `trackerid`.
    pub tracker_id: Option<String>,
    /// `warning message`: shown to the user; the announce still succeeded.
    pub warning_message: Option<String>,
}

impl OutAnnounceResponse {
    pub(super) fn from_raw(raw: RawOut) -> Result<Self, DecodeError> {
        Ok(Self {
            info_hash: raw.single_info_hash()?,
            complete: raw.complete,
            incomplete: raw.incomplete,
            interval: raw.interval,
            min_interval: raw.min_interval,
            tracker_id: raw.tracker_id,
            warning_message: raw.warning_message,
        })
    }
}

impl Serialize for OutAnnounceResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(n) = self.complete {
            map.serialize_entry("complete", &n)?;
        }
        if let Some(n) = self.incomplete {
            map.serialize_entry("incomplete", &n)?;
        }
        map.serialize_entry("action", "announce")?;
        if let Some(n) = self.interval {
            map.serialize_entry("interval", &n)?;
        }
        map.serialize_entry("info_hash", &BinStr(&self.info_hash))?;
        if let Some(n) = self.min_interval {
            map.serialize_entry("min interval", &n)?;
        }
        if let Some(id) = &self.tracker_id {
            map.serialize_entry("tracker id", id)?;
        }
        if let Some(text) = &self.warning_message {
            map.serialize_entry("warning message", text)?;
        }
        map.end()
    }
}
