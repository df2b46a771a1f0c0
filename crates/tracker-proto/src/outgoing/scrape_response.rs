//! Tracker → client: response to a scrape.

use std::fmt;

use metainfo::InfoHash;
use serde::{
    de::{MapAccess, Visitor},
    ser::SerializeMap,
    Deserialize, Deserializer, Serialize, Serializer,
};

use super::RawOut;
use crate::{
    common::{decode_binary_id, BinStr},
    DecodeError,
};

/// The tracker's reply to a scrape.
///
/// `{"action":"scrape","files":{<binary info_hash>:{complete,incomplete,downloaded},...},
/// "flags":{"min_request_interval":<s>}}` (bittorrent-tracker sends `flags`, aquatic_ws does not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutScrapeResponse {
    /// `files`: one entry per scraped torrent, in the order the tracker wrote them. Kept as a
    /// list so that the wire order (and any duplicate key) survives a round trip.
    pub files: Vec<(InfoHash, ScrapeStats)>,
    /// `flags.min_request_interval`: seconds the client should wait before scraping again.
    pub min_request_interval: Option<u64>,
}

/// Counts for one torrent in a scrape response. Missing counts decode as 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct ScrapeStats {
    /// `complete`: seeders.
    pub complete: u64,
    /// `incomplete`: leechers.
    pub incomplete: u64,
    /// `downloaded`: completed downloads the tracker has seen (aquatic_ws always sends 0).
    pub downloaded: u64,
}

impl OutScrapeResponse {
    pub(super) fn from_raw(raw: RawOut) -> Result<Self, DecodeError> {
        let files = raw
            .files
            .ok_or(DecodeError::MissingField("files"))?
            .0
            .into_iter()
            .map(|(key, stats)| Ok((decode_binary_id("files", &key)?, stats)))
            .collect::<Result<_, DecodeError>>()?;
        Ok(Self {
            files,
            min_request_interval: raw.flags.and_then(|f| f.min_request_interval),
        })
    }

    /// The counts for `info_hash`, if the response has them.
    pub fn stats_for(&self, info_hash: &InfoHash) -> Option<ScrapeStats> {
        self.files
            .iter()
            .find(|(hash, _)| hash == info_hash)
            .map(|(_, stats)| *stats)
    }
}

impl Serialize for OutScrapeResponse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Files<'a>(&'a [(InfoHash, ScrapeStats)]);
        impl Serialize for Files<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.len()))?;
                for (hash, stats) in self.0 {
                    map.serialize_entry(&BinStr(hash), stats)?;
                }
                map.end()
            }
        }
        #[derive(Serialize)]
        struct Flags {
            min_request_interval: u64,
        }

        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("action", "scrape")?;
        map.serialize_entry("files", &Files(&self.files))?;
        if let Some(n) = self.min_request_interval {
            map.serialize_entry(
                "flags",
                &Flags {
                    min_request_interval: n,
                },
            )?;
        }
        map.end()
    }
}

/// `files` before key decoding, in wire order.
pub(crate) struct RawFiles(Vec<(String, ScrapeStats)>);

impl<'de> Deserialize<'de> for RawFiles {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FilesVisitor;

        impl<'de> Visitor<'de> for FilesVisitor {
            type Value = RawFiles;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object keyed by binary info hashes")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<RawFiles, A::Error> {
                // Bounded by MAX_MESSAGE_LEN.
                let mut files = Vec::new();
                while let Some(entry) = access.next_entry::<String, ScrapeStats>()? {
                    files.push(entry);
                }
                Ok(RawFiles(files))
            }
        }

        deserializer.deserialize_map(FilesVisitor)
    }
}

/// `flags`; other members are ignored.
#[derive(Deserialize)]
pub(crate) struct RawFlags {
    min_request_interval: Option<u64>,
}
