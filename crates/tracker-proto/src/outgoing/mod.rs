//! Messages the tracker sends to a client (`Out*`, named from the tracker's point of view).

mod announce_response;
mod answer;
mod error;
mod offer;
mod scrape_response;

use metainfo::InfoHash;
use serde::{Deserialize, Serialize, Serializer};

pub use self::{
    announce_response::OutAnnounceResponse,
    answer::OutAnswer,
    error::{ErrorAction, OutError},
    offer::OutOffer,
    scrape_response::{OutScrapeResponse, ScrapeStats},
};
use crate::{
    common::{check_object, check_size, decode_binary_id, to_json_string},
    error::clip,
    incoming::RawHashes,
    DecodeError, SessionDescription,
};

/// Any message a tracker sends.
///
/// The kind is recognised like the reference client does: `failure reason` ⇒ error, `offer` ⇒
/// relayed offer, `answer` ⇒ relayed answer, else `action` (`"scrape"` ⇒ scrape response,
/// `"announce"` ⇒ announce response). Members may come in any order and unknown members are
/// ignored (aquatic_ws orders them differently from bittorrent-tracker). Encoding follows
/// bittorrent-tracker 11's member order, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutMessage {
    /// Reply to an announce.
    AnnounceResponse(OutAnnounceResponse),
    /// Another peer's offer, relayed.
    Offer(OutOffer),
    /// An answer to one of our offers, relayed.
    Answer(OutAnswer),
    /// Reply to a scrape.
    ScrapeResponse(OutScrapeResponse),
    /// `failure reason`.
    Error(OutError),
}

impl OutMessage {
    /// Decodes one WebSocket text frame (same limits as [`InMessage::from_json`](crate::InMessage::from_json)).
    pub fn from_json(text: &str) -> Result<Self, DecodeError> {
        check_size(text)?;
        check_object(text)?;
        let mut raw: RawOut = serde_json::from_str(text)?;
        if let Some(reason) = raw.failure_reason.take() {
            return Ok(Self::Error(OutError::from_raw(raw, reason)));
        }
        if let Some(offer) = raw.offer.take() {
            return Ok(Self::Offer(OutOffer::from_raw(raw, offer)?));
        }
        if let Some(answer) = raw.answer.take() {
            return Ok(Self::Answer(OutAnswer::from_raw(raw, answer)?));
        }
        match raw.action.as_deref() {
            None => Err(DecodeError::MissingField("action")),
            Some("announce") => Ok(Self::AnnounceResponse(OutAnnounceResponse::from_raw(raw)?)),
            Some("scrape") => Ok(Self::ScrapeResponse(OutScrapeResponse::from_raw(raw)?)),
            Some(other) => Err(DecodeError::UnknownAction(clip(other))),
        }
    }

    /// Encodes as compact JSON, ready for one WebSocket text frame.
    pub fn to_json(&self) -> String {
        to_json_string(self)
    }

    /// The info hash the message is about, if it names exactly one.
    pub fn info_hash(&self) -> Option<&InfoHash> {
        match self {
            Self::AnnounceResponse(m) => Some(&m.info_hash),
            Self::Offer(m) => Some(&m.info_hash),
            Self::Answer(m) => Some(&m.info_hash),
            Self::ScrapeResponse(_) => None,
            Self::Error(m) => m.info_hash.as_ref(),
        }
    }
}

impl Serialize for OutMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::AnnounceResponse(m) => m.serialize(serializer),
            Self::Offer(m) => m.serialize(serializer),
            Self::Answer(m) => m.serialize(serializer),
            Self::ScrapeResponse(m) => m.serialize(serializer),
            Self::Error(m) => m.serialize(serializer),
        }
    }
}

impl From<OutAnnounceResponse> for OutMessage {
    fn from(m: OutAnnounceResponse) -> Self {
        Self::AnnounceResponse(m)
    }
}

impl From<OutOffer> for OutMessage {
    fn from(m: OutOffer) -> Self {
        Self::Offer(m)
    }
}

impl From<OutAnswer> for OutMessage {
    fn from(m: OutAnswer) -> Self {
        Self::Answer(m)
    }
}

impl From<OutScrapeResponse> for OutMessage {
    fn from(m: OutScrapeResponse) -> Self {
        Self::ScrapeResponse(m)
    }
}

impl From<OutError> for OutMessage {
    fn from(m: OutError) -> Self {
        Self::Error(m)
    }
}

/// Every member any tracker message may carry (see `incoming::RawIn` for the approach).
#[derive(Deserialize)]
pub(crate) struct RawOut {
    action: Option<String>,
    info_hash: Option<RawHashes>,
    peer_id: Option<String>,
    offer_id: Option<String>,
    offer: Option<SessionDescription>,
    answer: Option<SessionDescription>,
    complete: Option<u64>,
    incomplete: Option<u64>,
    interval: Option<u64>,
    #[serde(rename = "min interval")]
    min_interval: Option<u64>,
    #[serde(rename = "tracker id")]
    tracker_id: Option<String>,
    #[serde(rename = "warning message")]
    warning_message: Option<String>,
    #[serde(rename = "failure reason")]
    failure_reason: Option<String>,
    files: Option<scrape_response::RawFiles>,
    flags: Option<scrape_response::RawFlags>,
}

impl RawOut {
    fn single_info_hash(&self) -> Result<InfoHash, DecodeError> {
        match &self.info_hash {
            None => Err(DecodeError::MissingField("info_hash")),
            Some(RawHashes::One(text)) => decode_binary_id("info_hash", text),
            Some(RawHashes::Many(_)) => Err(DecodeError::WrongType {
                field: "info_hash",
                expected: "a single binary string",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use metainfo::Id20;
    use serde_json::json;

    use super::*;
    use crate::encode_binary_string;

    fn id(b: u8) -> String {
        encode_binary_string(&[b; 20])
    }

    fn decode(value: &serde_json::Value) -> Result<OutMessage, DecodeError> {
        OutMessage::from_json(&value.to_string())
    }

    #[test]
    fn aquatic_member_order_is_understood() {
        let v = json!({"action": "announce", "info_hash": id(1), "complete": 3, "incomplete": 4,
                       "interval": 120, "min interval": 60, "tracker id": "t", "warning message": "w"});
        let Ok(OutMessage::AnnounceResponse(r)) = decode(&v) else {
            panic!()
        };
        assert_eq!(
            (r.complete, r.incomplete, r.interval, r.min_interval),
            (Some(3), Some(4), Some(120), Some(60))
        );
        assert_eq!(
            (r.tracker_id.as_deref(), r.warning_message.as_deref()),
            (Some("t"), Some("w"))
        );
    }

    #[test]
    fn kinds_are_recognised_like_the_reference_client() {
        let sdp = json!({"type": "offer", "sdp": "v=0\r\n"});
        let offer = json!({"info_hash": id(1), "peer_id": id(2), "offer_id": id(3), "offer": sdp, "action": "announce"});
        assert!(matches!(decode(&offer), Ok(OutMessage::Offer(o)) if o.offer_id == Id20([3; 20])));
        let answer = json!({"info_hash": id(1), "peer_id": id(2), "offer_id": id(3),
                            "answer": {"type": "answer", "sdp": ""}, "action": "announce"});
        assert!(matches!(decode(&answer), Ok(OutMessage::Answer(_))));
        let failure = json!({"failure reason": "nope", "action": "announce", "info_hash": id(1)});
        assert!(
            matches!(decode(&failure), Ok(OutMessage::Error(e)) if e.info_hash == Some(Id20([1; 20])))
        );
        // Error decoding is lenient: odd `action` / `info_hash` are dropped, the text is kept.
        let odd = json!({"failure reason": "nope", "action": 1, "info_hash": "bad"});
        assert!(decode(&odd).is_err(), "action must still be a string");
        let odd = json!({"failure reason": "nope", "action": "connect", "info_hash": "bad"});
        assert!(
            matches!(decode(&odd), Ok(OutMessage::Error(e)) if e.action.is_none() && e.info_hash.is_none())
        );
        let scrape = json!({"action": "scrape", "files": {id(1): {"complete": 1, "incomplete": 2, "downloaded": 3},
                                                       id(2): {}}, "flags": {"min_request_interval": 30}});
        let Ok(OutMessage::ScrapeResponse(s)) = decode(&scrape) else {
            panic!()
        };
        assert_eq!(s.min_request_interval, Some(30));
        assert_eq!(s.stats_for(&Id20([2; 20])), Some(ScrapeStats::default()));
        assert_eq!(s.files[0].1.downloaded, 3);
    }

    #[test]
    fn each_malformed_kind_has_its_typed_error() {
        assert!(matches!(
            decode(&json!({"complete": 1})),
            Err(DecodeError::MissingField("action"))
        ));
        assert!(matches!(
            decode(&json!({"action": "poke"})),
            Err(DecodeError::UnknownAction(_))
        ));
        assert!(matches!(
            decode(&json!({"action": "announce", "interval": 120})),
            Err(DecodeError::MissingField("info_hash"))
        ));
        assert!(matches!(
            decode(&json!({"action": "announce", "interval": -1, "info_hash": id(1)})),
            Err(DecodeError::Json(_))
        ));
        let offer =
            json!({"info_hash": id(1), "peer_id": id(2), "offer": {"type": "offer", "sdp": ""}});
        assert!(matches!(
            decode(&offer),
            Err(DecodeError::MissingField("offer_id"))
        ));
        let answer = json!({"info_hash": id(1), "peer_id": "x", "offer_id": id(3), "answer": {"type": "answer", "sdp": ""}});
        assert!(matches!(
            decode(&answer),
            Err(DecodeError::IdLength {
                field: "peer_id",
                len: 1
            })
        ));
        let scrape = json!({"action": "scrape", "files": {"\u{0100}": {}}});
        assert!(matches!(
            decode(&scrape),
            Err(DecodeError::IdCodePoint { field: "files", .. })
        ));
        assert!(matches!(
            decode(&json!({"action": "scrape"})),
            Err(DecodeError::MissingField("files"))
        ));
        let sdp = json!({"action": "announce", "info_hash": id(1), "peer_id": id(2), "offer_id": id(3),
                         "offer": {"type": "bogus", "sdp": ""}});
        assert!(matches!(decode(&sdp), Err(DecodeError::Json(_))));
    }

    #[test]
    fn decode_errors_become_failure_reasons() {
        let err = DecodeError::IdLength {
            field: "info_hash",
            len: 40,
        };
        let reply = OutMessage::Error(OutError::from_decode_error(&err));
        assert_eq!(
            reply.to_json(),
            r#"{"failure reason":"info_hash must be 20 bytes as a binary string, this one has 40 characters"}"#
        );
    }
}
