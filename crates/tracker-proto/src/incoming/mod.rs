//! Messages a client sends to the tracker (`In*`, named from the tracker's point of view).

mod announce;
mod answer;
mod scrape;

use std::fmt;

use metainfo::InfoHash;
use serde::{
    de::{SeqAccess, Visitor},
    Deserialize, Deserializer, Serialize, Serializer,
};

pub use self::{
    announce::{AnnounceEvent, InAnnounce, InOffer},
    answer::InAnswer,
    scrape::{InScrape, InfoHashes},
};
use crate::{
    common::{check_object, check_size, decode_binary_id, to_json_string},
    error::clip,
    DecodeError, SessionDescription,
};

/// Any message a client sends.
///
/// Decoding ([`InMessage::from_json`]) accepts members in any order and ignores unknown members,
/// so that other clients (and other versions) are understood; encoding ([`InMessage::to_json`])
/// writes compact JSON in WebTorrent 3's member order, byte for byte what it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InMessage {
    /// `action: "announce"` without `answer` (possibly with offers).
    Announce(InAnnounce),
    /// `action: "announce"` with `answer` (plus `to_peer_id` and `offer_id`).
    Answer(InAnswer),
    /// `action: "scrape"`.
    Scrape(InScrape),
}

impl InMessage {
    /// Decodes one WebSocket text frame.
    ///
    /// Rejects texts over [`MAX_MESSAGE_LEN`](crate::MAX_MESSAGE_LEN) bytes before parsing, more
    /// than [`MAX_OFFERS`](crate::MAX_OFFERS) offers and more than
    /// [`MAX_SCRAPE_INFO_HASHES`](crate::MAX_SCRAPE_INFO_HASHES) scraped hashes. Every error
    /// displays as a sentence a tracker can send back as `failure reason`.
    pub fn from_json(text: &str) -> Result<Self, DecodeError> {
        check_size(text)?;
        check_object(text)?;
        let mut raw: RawIn = serde_json::from_str(text)?;
        match raw.action.as_deref() {
            None => Err(DecodeError::MissingField("action")),
            Some("announce") => match raw.answer.take() {
                Some(answer) => Ok(Self::Answer(InAnswer::from_raw(raw, answer)?)),
                None => Ok(Self::Announce(InAnnounce::from_raw(raw)?)),
            },
            Some("scrape") => Ok(Self::Scrape(InScrape::from_raw(raw)?)),
            Some(other) => Err(DecodeError::UnknownAction(clip(other))),
        }
    }

    /// Encodes as compact JSON, ready for one WebSocket text frame.
    pub fn to_json(&self) -> String {
        to_json_string(self)
    }

    /// The info hash the message is about (the first one for a multi-hash scrape).
    pub fn info_hash(&self) -> Option<&InfoHash> {
        match self {
            Self::Announce(m) => Some(&m.info_hash),
            Self::Answer(m) => Some(&m.info_hash),
            Self::Scrape(m) => m.info_hashes.as_slice().first(),
        }
    }
}

impl Serialize for InMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Announce(m) => m.serialize(serializer),
            Self::Answer(m) => m.serialize(serializer),
            Self::Scrape(m) => m.serialize(serializer),
        }
    }
}

impl From<InAnnounce> for InMessage {
    fn from(m: InAnnounce) -> Self {
        Self::Announce(m)
    }
}

impl From<InAnswer> for InMessage {
    fn from(m: InAnswer) -> Self {
        Self::Answer(m)
    }
}

impl From<InScrape> for InMessage {
    fn from(m: InScrape) -> Self {
        Self::Scrape(m)
    }
}

/// Every member any client message may carry, as plain JSON values. Unknown members are
/// skipped; `null` and absent are the same. The kind is chosen from `action` and `answer`, then
/// the kind's `from_raw` checks its required members and decodes ids with typed errors.
#[derive(Deserialize)]
pub(crate) struct RawIn {
    action: Option<String>,
    info_hash: Option<RawHashes>,
    peer_id: Option<String>,
    to_peer_id: Option<String>,
    offer_id: Option<String>,
    answer: Option<SessionDescription>,
    offers: Option<Vec<announce::RawOffer>>,
    numwant: Option<u64>,
    uploaded: Option<u64>,
    downloaded: Option<u64>,
    left: Option<u64>,
    event: Option<String>,
    trackerid: Option<String>,
}

impl RawIn {
    /// `info_hash` for announces and answers: exactly one binary string.
    fn single_info_hash(&self) -> Result<InfoHash, DecodeError> {
        match &self.info_hash {
            None => Err(DecodeError::MissingField("info_hash")),
            Some(RawHashes::One(text)) => decode_binary_id("info_hash", text),
            Some(RawHashes::Many(_)) => Err(DecodeError::WrongType {
                field: "info_hash",
                expected: "a single binary string in an announce",
            }),
        }
    }
}

/// `info_hash` before id decoding: a string, or (scrape) a list of strings.
pub(crate) enum RawHashes {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for RawHashes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HashesVisitor;

        impl<'de> Visitor<'de> for HashesVisitor {
            type Value = RawHashes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a binary string or a list of binary strings")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawHashes, E> {
                Ok(RawHashes::One(v.to_owned()))
            }

            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<RawHashes, E> {
                Ok(RawHashes::One(v))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawHashes, A::Error> {
                // Bounded by MAX_MESSAGE_LEN: at most a few thousand short strings.
                let mut list = Vec::new();
                while let Some(text) = seq.next_element::<String>()? {
                    list.push(text);
                }
                Ok(RawHashes::Many(list))
            }
        }

        deserializer.deserialize_any(HashesVisitor)
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use metainfo::Id20;
    use serde_json::json;

    use super::*;
    use crate::{encode_binary_string, MAX_MESSAGE_LEN};

    fn id(b: u8) -> String {
        encode_binary_string(&[b; 20])
    }

    fn announce() -> serde_json::Value {
        json!({"action": "announce", "info_hash": id(1), "peer_id": id(2)})
    }

    fn decode(value: &serde_json::Value) -> Result<InMessage, DecodeError> {
        InMessage::from_json(&value.to_string())
    }

    #[test]
    fn any_key_order_and_unknown_keys_are_accepted() {
        let text = format!(
            r#"{{"peer_id":{p},"x-extra":{{"nested":[1,2,null]}},"info_hash":{h},"left":7,"action":"announce","event":"update"}}"#,
            p = serde_json::to_string(&id(2)).unwrap_or_default(),
            h = serde_json::to_string(&id(1)).unwrap_or_default(),
        );
        let Ok(InMessage::Announce(m)) = InMessage::from_json(&text) else {
            panic!("{text}");
        };
        assert_eq!((m.info_hash, m.peer_id), (Id20([1; 20]), Id20([2; 20])));
        assert_eq!(
            (m.left, m.event, m.numwant),
            (Some(7), Some(AnnounceEvent::Update), None)
        );
        assert_eq!(m.offers, None);
        // Re-encoded in WebTorrent's order, with `left` and `action` where it puts them.
        assert!(m_json_starts(
            &InMessage::Announce(m),
            r#"{"left":7,"event":"update","action":"announce""#
        ));
    }

    fn m_json_starts(m: &InMessage, prefix: &str) -> bool {
        m.to_json().starts_with(prefix)
    }

    #[test]
    fn answer_and_scrape_kinds_are_recognised() {
        let mut v = announce();
        v["to_peer_id"] = json!(id(3));
        v["offer_id"] = json!(id(4));
        v["answer"] = json!({"type": "answer", "sdp": "v=0\r\n"});
        assert!(matches!(decode(&v), Ok(InMessage::Answer(a)) if a.to_peer_id == Id20([3; 20])));

        let one = json!({"action": "scrape", "info_hash": id(5)});
        assert!(matches!(
            decode(&one),
            Ok(InMessage::Scrape(InScrape {
                info_hashes: InfoHashes::One(_)
            }))
        ));
        let many = json!({"action": "scrape", "info_hash": [id(5), id(6)]});
        let Ok(InMessage::Scrape(s)) = decode(&many) else {
            panic!()
        };
        assert_eq!(s.info_hashes.as_slice(), &[Id20([5; 20]), Id20([6; 20])]);
    }

    #[test]
    fn each_malformed_kind_has_its_typed_error() {
        let big = format!(
            r#"{{"action":"announce","pad":"{}"}}"#,
            "x".repeat(MAX_MESSAGE_LEN)
        );
        assert!(matches!(
            InMessage::from_json(&big),
            Err(DecodeError::TooLarge { .. })
        ));
        assert!(matches!(
            InMessage::from_json("{\"action\":"),
            Err(DecodeError::Json(_))
        ));
        assert!(matches!(
            InMessage::from_json("[1,2]"),
            Err(DecodeError::WrongType {
                field: "message",
                ..
            })
        ));
        assert!(matches!(
            InMessage::from_json("{}"),
            Err(DecodeError::MissingField("action"))
        ));
        assert!(matches!(
            decode(&json!({"action": "connect"})),
            Err(DecodeError::UnknownAction(a)) if a == "connect"
        ));

        let mut v = announce();
        v["numwant"] = json!("5");
        assert!(matches!(decode(&v), Err(DecodeError::Json(_))));

        let mut v = announce();
        v["event"] = json!("exploded");
        assert!(matches!(decode(&v), Err(DecodeError::UnknownEvent(_))));

        let mut v = announce();
        v.as_object_mut().map(|o| o.remove("peer_id"));
        assert!(matches!(
            decode(&v),
            Err(DecodeError::MissingField("peer_id"))
        ));

        let mut v = announce();
        v["info_hash"] = json!("0fbed86651b49c8dd6b4ee9db88e0ff8c73b35a0");
        let err = decode(&v).err();
        assert!(matches!(
            err,
            Some(DecodeError::IdLength {
                field: "info_hash",
                len: 40
            })
        ));
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.starts_with("info_hash must be 20 bytes as a binary string"),
            "{text}"
        );

        let mut v = announce();
        v["peer_id"] = json!(format!("{}\u{20ac}", "a".repeat(19)));
        assert!(matches!(
            decode(&v),
            Err(DecodeError::IdCodePoint {
                field: "peer_id",
                code_point: 0x20ac
            })
        ));

        let mut v = announce();
        v["info_hash"] = json!([id(1)]);
        assert!(matches!(
            decode(&v),
            Err(DecodeError::WrongType {
                field: "info_hash",
                ..
            })
        ));

        let offer = json!({"offer_id": id(9), "offer": {"type": "offer", "sdp": ""}});
        let mut v = announce();
        v["offers"] = json!(vec![offer; crate::MAX_OFFERS + 1]);
        assert!(matches!(
            decode(&v),
            Err(DecodeError::TooManyOffers { count: 21, max: 20 })
        ));

        let mut v = announce();
        v["offers"] = json!([{"offer": {"type": "offer", "sdp": ""}}]);
        assert!(matches!(
            decode(&v),
            Err(DecodeError::MissingField("offer_id"))
        ));

        let mut v = announce();
        v["answer"] = json!({"type": "answer", "sdp": ""});
        v["offer_id"] = json!(id(4));
        assert!(matches!(
            decode(&v),
            Err(DecodeError::MissingField("to_peer_id"))
        ));

        let many: Vec<String> = (0..=255).map(|_| id(1)).collect();
        let v = json!({"action": "scrape", "info_hash": many});
        assert!(matches!(
            decode(&v),
            Err(DecodeError::TooManyInfoHashes {
                count: 256,
                max: 255
            })
        ));
        assert!(matches!(
            decode(&json!({"action": "scrape"})),
            Err(DecodeError::MissingField("info_hash"))
        ));
        let v = json!({"action": "scrape", "info_hash": [id(1), "short"]});
        assert!(matches!(
            decode(&v),
            Err(DecodeError::IdLength {
                field: "info_hash",
                len: 5
            })
        ));
    }
}
