//! Client → tracker: scrape.

use metainfo::InfoHash;
use serde::{ser::SerializeMap, Serialize, Serializer};

use super::{RawHashes, RawIn};
use crate::{
    common::{decode_binary_id, BinStr},
    DecodeError, MAX_SCRAPE_INFO_HASHES,
};

/// A scrape: "how many seeders / leechers do these torrents have?".
///
/// `{"action":"scrape","info_hash": <binary string> | [<binary string>, ...]}`. bittorrent-tracker's
/// client sends a single string for one torrent and a list for several. There is no
/// "scrape everything" (aquatic_ws rejects a missing `info_hash`), and at most
/// [`MAX_SCRAPE_INFO_HASHES`] are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InScrape {
    /// `info_hash`: one or several torrents.
    pub info_hashes: InfoHashes,
}

/// The `info_hash` member of a scrape: one string or a list, kept as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InfoHashes {
    /// A single binary string.
    One(InfoHash),
    /// A JSON list of binary strings (may be empty).
    Many(Vec<InfoHash>),
}

impl InfoHashes {
    /// The info hashes, however they were sent.
    pub fn as_slice(&self) -> &[InfoHash] {
        match self {
            Self::One(hash) => std::slice::from_ref(hash),
            Self::Many(list) => list,
        }
    }
}

impl InScrape {
    pub(super) fn from_raw(raw: RawIn) -> Result<Self, DecodeError> {
        let info_hashes = match raw.info_hash {
            None => return Err(DecodeError::MissingField("info_hash")),
            Some(RawHashes::One(text)) => InfoHashes::One(decode_binary_id("info_hash", &text)?),
            Some(RawHashes::Many(list)) if list.len() > MAX_SCRAPE_INFO_HASHES => {
                return Err(DecodeError::TooManyInfoHashes {
                    count: list.len(),
                    max: MAX_SCRAPE_INFO_HASHES,
                })
            }
            Some(RawHashes::Many(list)) => InfoHashes::Many(
                list.iter()
                    .map(|text| decode_binary_id("info_hash", text))
                    .collect::<Result<_, _>>()?,
            ),
        };
        Ok(Self { info_hashes })
    }
}

impl Serialize for InScrape {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("action", "scrape")?;
        match &self.info_hashes {
            InfoHashes::One(hash) => map.serialize_entry("info_hash", &BinStr(hash))?,
            InfoHashes::Many(list) => {
                let list: Vec<BinStr<'_>> = list.iter().map(BinStr).collect();
                map.serialize_entry("info_hash", &list)?;
            }
        }
        map.end()
    }
}
