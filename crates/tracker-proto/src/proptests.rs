//! Round-trip property tests: `from_json(to_json(m)) == m` and re-encoding is stable, for every
//! message type (native only: proptest does not run in the browser).

use metainfo::Id20;
use proptest::{collection::vec, option, prelude::*, sample::select};

use crate::*;

/// Any 20 bytes, often drawn from the awkward ones: control characters, `"`, `\`, DEL, ≥ 0x80.
fn id() -> impl Strategy<Value = Id20> {
    let awkward = [
        0x00u8, 0x01, 0x08, 0x0a, 0x1f, b'"', b'\\', b'/', 0x7f, 0x80, 0x9c, 0xa0, 0xff,
    ];
    prop_oneof![
        any::<[u8; 20]>(),
        proptest::array::uniform20(select(awkward.to_vec())),
    ]
    .prop_map(Id20)
}

fn text(max: usize) -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..max).prop_map(String::from_iter)
}

fn sdp() -> impl Strategy<Value = SessionDescription> {
    let kind = select(vec![
        SdpType::Offer,
        SdpType::Answer,
        SdpType::Pranswer,
        SdpType::Rollback,
    ]);
    (kind, text(120)).prop_map(|(kind, sdp)| SessionDescription { kind, sdp })
}

fn event() -> impl Strategy<Value = AnnounceEvent> {
    select(vec![
        AnnounceEvent::Started,
        AnnounceEvent::Completed,
        AnnounceEvent::Stopped,
        AnnounceEvent::Update,
        AnnounceEvent::Paused,
    ])
}

fn in_announce() -> impl Strategy<Value = InAnnounce> {
    let offer = (id(), sdp()).prop_map(|(offer_id, offer)| InOffer { offer_id, offer });
    (
        (
            id(),
            id(),
            option::of(any::<u64>()),
            option::of(any::<u64>()),
        ),
        (
            option::of(any::<u64>()),
            option::of(any::<u64>()),
            option::of(event()),
        ),
        (option::of(text(30)), option::of(vec(offer, 0..=MAX_OFFERS))),
    )
        .prop_map(
            |(
                (info_hash, peer_id, numwant, uploaded),
                (downloaded, left, event),
                (tracker_id, offers),
            )| {
                InAnnounce {
                    info_hash,
                    peer_id,
                    numwant,
                    uploaded,
                    downloaded,
                    left,
                    event,
                    tracker_id,
                    offers,
                }
            },
        )
}

fn in_answer() -> impl Strategy<Value = InAnswer> {
    (id(), id(), id(), sdp(), id(), option::of(text(30))).prop_map(
        |(info_hash, peer_id, to_peer_id, answer, offer_id, tracker_id)| InAnswer {
            info_hash,
            peer_id,
            to_peer_id,
            answer,
            offer_id,
            tracker_id,
        },
    )
}

fn in_scrape() -> impl Strategy<Value = InScrape> {
    prop_oneof![
        id().prop_map(InfoHashes::One),
        vec(id(), 0..=MAX_SCRAPE_INFO_HASHES).prop_map(InfoHashes::Many),
    ]
    .prop_map(|info_hashes| InScrape { info_hashes })
}

fn in_message() -> impl Strategy<Value = InMessage> {
    prop_oneof![
        in_announce().prop_map(InMessage::Announce),
        in_answer().prop_map(InMessage::Answer),
        in_scrape().prop_map(InMessage::Scrape),
    ]
}

fn out_announce_response() -> impl Strategy<Value = OutAnnounceResponse> {
    let n = || option::of(any::<u64>());
    (
        (id(), n(), n(), n(), n()),
        (option::of(text(30)), option::of(text(60))),
    )
        .prop_map(
            |(
                (info_hash, complete, incomplete, interval, min_interval),
                (tracker_id, warning_message),
            )| {
                OutAnnounceResponse {
                    info_hash,
                    complete,
                    incomplete,
                    interval,
                    min_interval,
                    tracker_id,
                    warning_message,
                }
            },
        )
}

fn out_offer() -> impl Strategy<Value = OutOffer> {
    (sdp(), id(), id(), id()).prop_map(|(offer, offer_id, peer_id, info_hash)| OutOffer {
        offer,
        offer_id,
        peer_id,
        info_hash,
    })
}

fn out_answer() -> impl Strategy<Value = OutAnswer> {
    (sdp(), id(), id(), id()).prop_map(|(answer, offer_id, peer_id, info_hash)| OutAnswer {
        answer,
        offer_id,
        peer_id,
        info_hash,
    })
}

fn out_scrape_response() -> impl Strategy<Value = OutScrapeResponse> {
    let stats =
        any::<(u64, u64, u64)>().prop_map(|(complete, incomplete, downloaded)| ScrapeStats {
            complete,
            incomplete,
            downloaded,
        });
    (vec((id(), stats), 0..40), option::of(any::<u64>())).prop_map(
        |(files, min_request_interval)| OutScrapeResponse {
            files,
            min_request_interval,
        },
    )
}

fn out_error() -> impl Strategy<Value = OutError> {
    let action = option::of(select(vec![ErrorAction::Announce, ErrorAction::Scrape]));
    (text(80), action, option::of(id())).prop_map(|(failure_reason, action, info_hash)| OutError {
        failure_reason,
        action,
        info_hash,
    })
}

fn out_message() -> impl Strategy<Value = OutMessage> {
    prop_oneof![
        out_announce_response().prop_map(OutMessage::AnnounceResponse),
        out_offer().prop_map(OutMessage::Offer),
        out_answer().prop_map(OutMessage::Answer),
        out_scrape_response().prop_map(OutMessage::ScrapeResponse),
        out_error().prop_map(OutMessage::Error),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn in_message_round_trips(message in in_message()) {
        let json = message.to_json();
        let decoded = InMessage::from_json(&json);
        prop_assert!(decoded.is_ok(), "{:?} from {}", decoded, json);
        let decoded = decoded.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&decoded, &message);
        prop_assert_eq!(decoded.to_json(), json);
    }

    #[test]
    fn out_message_round_trips(message in out_message()) {
        let json = message.to_json();
        let decoded = OutMessage::from_json(&json);
        prop_assert!(decoded.is_ok(), "{:?} from {}", decoded, json);
        let decoded = decoded.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&decoded, &message);
        prop_assert_eq!(decoded.to_json(), json);
    }

    #[test]
    fn binary_ids_round_trip_through_json(bytes in id()) {
        let json = serde_json::to_string(&encode_binary_string(&bytes.0));
        let json = json.map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: String = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decode_binary_id("peer_id", &back).ok(), Some(bytes));
    }

    #[test]
    fn decoders_never_panic(text in text(300)) {
        let _ = InMessage::from_json(&text);
        let _ = OutMessage::from_json(&text);
    }
}
