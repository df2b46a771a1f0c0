//! Real WebTorrent 3.0.21 ↔ bittorrent-tracker 11.2.3 messages (shared/fixtures/webtorrent) decode
//! to what their annotations say, and re-encode byte for byte.
//!
//! The fixtures annotate each message with `*__hex`, `*__count`, `*__note` members and split SDPs
//! into `sdp_lines`. We strip the annotations and rebuild `sdp` as the lines joined with CRLF
//! plus a final CRLF (Chromium and libdatachannel terminate every SDP line with CRLF, as RFC 8866
//! requires; the capture split on CRLF and dropped the empty tail). Serialized compactly in the
//! recorded member order (serde_json `preserve_order`), that is the text `JSON.stringify` sent.

use std::path::PathBuf;

use serde_json::{Map, Value};
use shoal_tracker_proto as tracker_proto; // the workspace imports this package as `tracker_proto`
use tracker_proto::{AnnounceEvent, InMessage, OutMessage, SessionDescription};

const FILES: [&str; 4] = [
    "tracker-ws.json",
    "tracker-ws-node-seeder.json",
    "page-websocket-leecher.json",
    "page-websocket-leecher-node-seeder.json",
];

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/webtorrent")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(from_client, annotated message)` for every message of a capture, in order.
fn messages(capture: &Value) -> Vec<(bool, &Value)> {
    let entries = match capture {
        Value::Array(entries) => entries,
        other => other["steps"].as_array().expect("steps"),
    };
    entries
        .iter()
        .filter_map(|e| {
            let from_client = match e["dir"].as_str()? {
                "client->tracker" | "out" => true,
                "tracker->client" | "in" => false,
                _ => return None,
            };
            Some((from_client, e.get("message")?))
        })
        .collect()
}

fn join_sdp(lines: &Value) -> String {
    let lines: Vec<&str> = lines
        .as_array()
        .expect("sdp_lines")
        .iter()
        .map(|l| l.as_str().expect("sdp line"))
        .collect();
    format!("{}\r\n", lines.join("\r\n"))
}

/// The message as sent: annotations removed, `sdp_lines` turned back into `sdp`, order kept.
fn as_sent(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, v) in map {
                if key.ends_with("__hex") || key.ends_with("__count") || key.ends_with("__note") {
                    continue;
                }
                if key == "sdp_lines" {
                    out.insert("sdp".to_owned(), Value::String(join_sdp(v)));
                } else {
                    out.insert(key.clone(), as_sent(v));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(as_sent).collect()),
        other => other.clone(),
    }
}

fn hex(value: &Value, key: &str) -> String {
    value[format!("{key}__hex")]
        .as_str()
        .unwrap_or_else(|| panic!("no {key}__hex"))
        .to_owned()
}

fn assert_sdp(sdp: &SessionDescription, annotated: &Value) {
    assert_eq!(sdp.sdp, join_sdp(&annotated["sdp_lines"]));
    assert_eq!(
        serde_json::to_value(sdp.kind).ok().as_ref(),
        Some(&annotated["type"])
    );
    assert!(sdp.sdp.starts_with("v=0\r\n") && sdp.sdp.ends_with("\r\n"));
}

fn check_client_message(msg: &InMessage, m: &Value) {
    match msg {
        InMessage::Announce(a) => {
            assert_eq!(a.info_hash.to_hex(), hex(m, "info_hash"));
            assert_eq!(a.peer_id.to_hex(), hex(m, "peer_id"));
            assert_eq!(a.event.map(AnnounceEvent::as_str), m["event"].as_str());
            assert_eq!(a.left, m["left"].as_u64());
            assert!(m.get("left").is_some(), "WebTorrent always sends left");
            assert_eq!(a.numwant, m["numwant"].as_u64());
            assert_eq!(
                (a.uploaded, a.downloaded),
                (m["uploaded"].as_u64(), m["downloaded"].as_u64())
            );
            match (&a.offers, m.get("offers")) {
                (None, None) => {
                    assert!(matches!(
                        a.event,
                        Some(AnnounceEvent::Completed | AnnounceEvent::Stopped)
                    ));
                    assert_eq!(a.numwant, Some(50));
                }
                (Some(offers), Some(annotated)) => {
                    let annotated = annotated.as_array().expect("offers");
                    assert_eq!(offers.len(), annotated.len());
                    // The capture kept one offer of the `offers__count` WebTorrent attached.
                    assert_eq!(m["offers__count"].as_u64(), a.numwant);
                    assert_eq!(a.numwant, Some(5));
                    for (offer, ann) in offers.iter().zip(annotated) {
                        assert_eq!(offer.offer_id.to_hex(), hex(ann, "offer_id"));
                        assert_sdp(&offer.offer, &ann["offer"]);
                    }
                }
                other => panic!("offers mismatch: {other:?}"),
            }
        }
        InMessage::Answer(a) => {
            assert_eq!(a.info_hash.to_hex(), hex(m, "info_hash"));
            assert_eq!(a.peer_id.to_hex(), hex(m, "peer_id"));
            assert_eq!(a.to_peer_id.to_hex(), hex(m, "to_peer_id"));
            assert_eq!(a.offer_id.to_hex(), hex(m, "offer_id"));
            assert_eq!(a.tracker_id, None);
            assert_sdp(&a.answer, &m["answer"]);
        }
        InMessage::Scrape(_) => panic!("no scrapes in the captures"),
    }
}

fn check_tracker_message(msg: &OutMessage, m: &Value) {
    match msg {
        OutMessage::AnnounceResponse(r) => {
            assert_eq!(r.info_hash.to_hex(), hex(m, "info_hash"));
            assert_eq!(r.complete, m["complete"].as_u64());
            assert_eq!(r.incomplete, m["incomplete"].as_u64());
            assert_eq!(r.interval, Some(12));
            assert_eq!((r.min_interval, r.tracker_id.as_deref()), (None, None));
        }
        OutMessage::Offer(o) => {
            assert_eq!(o.info_hash.to_hex(), hex(m, "info_hash"));
            assert_eq!(o.peer_id.to_hex(), hex(m, "peer_id"));
            assert_eq!(o.offer_id.to_hex(), hex(m, "offer_id"));
            assert_sdp(&o.offer, &m["offer"]);
        }
        OutMessage::Answer(a) => {
            assert_eq!(a.info_hash.to_hex(), hex(m, "info_hash"));
            assert_eq!(a.peer_id.to_hex(), hex(m, "peer_id"));
            assert_eq!(a.offer_id.to_hex(), hex(m, "offer_id"));
            assert_sdp(&a.answer, &m["answer"]);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn captured_messages_decode_and_reencode_byte_for_byte() {
    for name in FILES {
        let capture = fixture(name);
        let list = messages(&capture);
        assert!(list.len() >= 7, "{name}: only {} messages", list.len());
        for (i, (from_client, annotated)) in list.into_iter().enumerate() {
            let sent = serde_json::to_string(&as_sent(annotated)).expect("json");
            let ctx = format!("{name} message {i}: {sent}");
            if from_client {
                let msg = InMessage::from_json(&sent).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                check_client_message(&msg, annotated);
                assert_eq!(msg.to_json(), sent, "{ctx}");
            } else {
                let msg = OutMessage::from_json(&sent).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                check_tracker_message(&msg, annotated);
                assert_eq!(msg.to_json(), sent, "{ctx}");
            }
        }
    }
}

#[test]
fn magnet_leecher_sends_left_null_and_periodic_announces_omit_event() {
    let capture = fixture("page-websocket-leecher.json");
    let sent: Vec<InMessage> = messages(&capture)
        .into_iter()
        .filter(|(from_client, _)| *from_client)
        .map(|(_, m)| {
            let text = serde_json::to_string(&as_sent(m)).expect("json");
            assert!(text.contains(r#""left":"#));
            InMessage::from_json(&text).expect("decodes")
        })
        .collect();
    let announces: Vec<_> = sent
        .iter()
        .filter_map(|m| match m {
            InMessage::Announce(a) => Some((a.event, a.left, a.offers.is_some())),
            _ => None,
        })
        .collect();
    assert_eq!(
        announces,
        vec![
            (Some(AnnounceEvent::Started), None, true),
            (None, Some(8_830_976), true),
            (Some(AnnounceEvent::Completed), Some(0), false),
        ]
    );
}
