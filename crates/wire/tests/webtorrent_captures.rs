//! Captures of real WebTorrent 3.0.21 peers (shared/fixtures/webtorrent/) decode to what the
//! capture's JSON describes, re-encode byte for byte, and re-frame correctly when fed through the
//! stream decoder exactly as the data channel delivered them.
//!
//! About truncation: the `.hex` files keep only the first 128 bytes of each data-channel message.
//! Two stream checks handle that honestly:
//! * `strict`: feed DC messages in order and stop at the first truncated one; every decoded
//!   frame must equal the JSON's messages (a prefix of them);
//! * `padded`: pad each truncated DC message with zero bytes up to its recorded length, so
//!   framing continues; only what the capture recorded is compared (types, header fields,
//!   ut_metadata dicts, payload *lengths*), never the padded payload bytes.
#![cfg(not(target_family = "wasm"))]
// Helpers outside #[test] fns panic on malformed fixtures on purpose.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use serde_json::Value as Json;
use shoal_wire as wire;
use wire::{
    DecoderConfig, ExtendedHandshake, Frame, FrameDecoder, Handshake, Limits, Message,
    MetadataMessage, Reserved,
};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/webtorrent")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn num(j: &Json, key: &str) -> u64 {
    j[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {j}"))
}

/// A bencode value equals the JSON the capture decoded it to (ints, strings, dicts, lists).
fn same_as_json(b: &bencode::Value<'_>, j: &Json) -> bool {
    match (b, j) {
        (bencode::Value::Int(i), Json::Number(n)) => n.as_i64() == Some(*i),
        (bencode::Value::Bytes(s), Json::String(t)) => *s == t.as_bytes(),
        (bencode::Value::List(l), Json::Array(a)) => {
            l.len() == a.len() && l.iter().zip(a).all(|(x, y)| same_as_json(x, y))
        }
        (bencode::Value::Dict(d), Json::Object(o)) => {
            d.len() == o.len()
                && o.iter()
                    .all(|(k, v)| d.get(k.as_bytes()).is_some_and(|x| same_as_json(x, v)))
        }
        _ => false,
    }
}

fn check_handshake(hs: &Handshake, j: &Json) {
    assert_eq!(j["type"], "handshake");
    assert_eq!(j["pstr"], "BitTorrent protocol");
    assert_eq!(hex(&hs.reserved.0), j["reserved"].as_str().unwrap());
    let bits = &j["reservedBits"];
    assert_eq!(
        hs.reserved.extension_protocol(),
        bits["extensionProtocol_BEP10"] == true
    );
    assert_eq!(hs.reserved.fast(), bits["fastExtension_BEP6"] == true);
    assert_eq!(hs.reserved.dht(), bits["dht_BEP5"] == true);
    assert_eq!(hs.info_hash.to_hex(), j["infoHash"].as_str().unwrap());
    assert_eq!(hex(&hs.peer_id.0), j["peerIdHex"].as_str().unwrap());
    assert_eq!(
        hs.peer_id.0.as_slice(),
        j["peerId"].as_str().unwrap().as_bytes()
    );
}

/// Checks a decoded message against its JSON description. `exact_payload` is false when the
/// payload bytes are placeholders (padded stream); then only lengths are compared.
fn check_message(msg: &Message<'_>, j: &Json, exact_payload: bool) {
    let ty = j["type"].as_str().unwrap();
    assert_eq!(msg.id().map(u64::from), j["id"].as_u64(), "id of {j}");
    assert_eq!(
        msg.encoded_len() as u64,
        num(j, "length") + 4,
        "length of {j}"
    );
    match (ty, *msg) {
        ("choke", Message::Choke)
        | ("unchoke", Message::Unchoke)
        | ("interested", Message::Interested)
        | ("not_interested", Message::NotInterested)
        | ("have_all", Message::HaveAll)
        | ("have_none", Message::HaveNone) => {}
        ("have", Message::Have(p)) => assert_eq!(u64::from(p), num(j, "piece")),
        ("request", Message::Request(b)) | ("cancel", Message::Cancel(b)) => {
            assert_eq!(u64::from(b.index), num(j, "index"));
            assert_eq!(u64::from(b.begin), num(j, "begin"));
            assert_eq!(u64::from(b.length), num(j, "blockLength"));
        }
        (
            "piece",
            Message::Piece {
                index,
                begin,
                block,
            },
        ) => {
            assert_eq!(u64::from(index), num(j, "index"));
            assert_eq!(u64::from(begin), num(j, "begin"));
            assert_eq!(block.len() as u64, num(j, "blockLength"));
        }
        ("extended", Message::Extended { id, payload }) => {
            assert_eq!(u64::from(id), num(j, "extId"));
            check_extended(payload, j, exact_payload);
        }
        _ => panic!("decoded {msg:?}, capture says {j}"),
    }
}

fn check_extended(payload: &[u8], j: &Json, exact_payload: bool) {
    let dict = &j["dict"];
    match j["ext"].as_str().unwrap() {
        "handshake" => {
            let generic = bencode::decode(payload, &bencode::Limits::small()).unwrap();
            assert!(same_as_json(&generic, dict), "{payload:?} vs {dict}");
            let hs = ExtendedHandshake::decode(payload).unwrap();
            let m = dict["m"].as_object().unwrap();
            assert_eq!(hs.m.len(), m.len());
            for (name, id) in m {
                assert_eq!(hs.m.get(name).map(|&i| u64::from(i)), id.as_u64());
            }
            assert_eq!(hs.metadata_size, dict["metadata_size"].as_u64());
            assert_eq!(
                hs.to_vec(),
                payload,
                "extended handshake re-encodes exactly"
            );
        }
        "ut_metadata" => {
            let msg = MetadataMessage::decode(payload).unwrap();
            let (generic, used) =
                bencode::decode_prefix(payload, &bencode::Limits::small()).unwrap();
            assert!(same_as_json(&generic, dict), "{dict}");
            assert_eq!(u64::from(msg.piece()), num(dict, "piece"));
            match msg {
                MetadataMessage::Request { .. } => assert_eq!(num(dict, "msg_type"), 0),
                MetadataMessage::Reject { .. } => assert_eq!(num(dict, "msg_type"), 2),
                MetadataMessage::Data {
                    total_size, data, ..
                } => {
                    assert_eq!(num(dict, "msg_type"), 1);
                    assert_eq!(total_size, num(dict, "total_size"));
                    assert_eq!(data.len() as u64, num(j, "trailingBytes"));
                    assert_eq!(data.len(), payload.len() - used);
                    msg.validate(total_size).unwrap();
                }
            }
            if exact_payload {
                assert_eq!(msg.to_vec(), payload, "ut_metadata re-encodes exactly");
            }
        }
        other => panic!("unexpected extension {other}"),
    }
}

const CAPTURES: [&str; 2] = ["wire-leecher", "wire-leecher-node-seeder"];

/// Every message with its full bytes in the JSON decodes to what the JSON says and re-encodes
/// byte for byte; messages kept only as a header (piece blocks, ut_metadata data) decode their
/// header and report exactly the missing byte count.
#[test]
fn each_captured_message_decodes_and_re_encodes() {
    for name in CAPTURES {
        let capture: Json = serde_json::from_str(&fixture(&format!("{name}.json"))).unwrap();
        let mut full = 0;
        let mut headers = 0;
        for dir in ["sent_by_B", "received_by_B"] {
            for j in capture[dir].as_array().unwrap() {
                if j["type"] == "handshake" {
                    let bytes = unhex(j["hex"].as_str().unwrap());
                    let (hs, n) = Handshake::decode(&bytes).unwrap();
                    assert_eq!(n, 68);
                    check_handshake(&hs, j);
                    assert_eq!(hs.to_bytes().as_slice(), bytes);
                    full += 1;
                    continue;
                }
                let h = j["hex"].as_str().or(j["headerHex"].as_str()).unwrap();
                let bytes = unhex(h);
                let total = num(j, "length") as usize + 4;
                match Message::decode(&bytes, &Limits::default()) {
                    Ok((msg, n)) => {
                        assert_eq!(n, bytes.len(), "{j}");
                        check_message(&msg, j, true);
                        assert_eq!(msg.to_vec(), bytes, "re-encoding {j}");
                        full += 1;
                    }
                    Err(wire::DecodeError::NeedMore { needed }) => {
                        assert!(bytes.len() < total);
                        assert_eq!(needed, total - bytes.len(), "{j}");
                        assert_eq!(u64::from(bytes[4]), num(j, "id"));
                        headers += 1;
                    }
                    Err(e) => panic!("{name} {j}: {e}"),
                }
            }
        }
        // 45 sent + 26 received: of the received ones, 20 piece messages and 2 ut_metadata data
        // messages are recorded as headers only.
        assert_eq!((full, headers), (45 + 4, 20 + 2), "{name}");
    }
}

/// One data-channel message from a `.hex` file.
struct DcMessage {
    dir: String,
    len: usize,
    bytes: Vec<u8>,
}

impl DcMessage {
    fn complete(&self) -> bool {
        self.bytes.len() == self.len
    }
}

fn dc_messages(name: &str) -> Vec<DcMessage> {
    fixture(&format!("{name}.hex"))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 5, "{line}");
            let bytes = unhex(cols[4].trim_end_matches('…'));
            let len: usize = cols[3].parse().unwrap();
            assert!(
                bytes.len() == len || (bytes.len() == 128 && len > 128),
                "{line}"
            );
            DcMessage {
                dir: cols[1].to_owned(),
                len,
                bytes,
            }
        })
        .collect()
}

/// Feeds one direction's DC messages through a fresh stream decoder. Returns how many JSON
/// messages were checked and how many bytes stayed buffered at the end.
fn replay(name: &str, dir: &str, padded: bool) -> (usize, usize) {
    let capture: Json = serde_json::from_str(&fixture(&format!("{name}.json"))).unwrap();
    let key = if dir == "out" {
        "sent_by_B"
    } else {
        "received_by_B"
    };
    let expected = capture[key].as_array().unwrap();
    let dcs: Vec<DcMessage> = dc_messages(name)
        .into_iter()
        .filter(|d| d.dir == dir)
        .collect();
    assert_eq!(dcs.len() as u64, num(&capture["dcMessagesCaptured"], dir));

    let mut decoder = FrameDecoder::new(DecoderConfig {
        local: Reserved::WEBTORRENT,
        ..DecoderConfig::default()
    });
    // Stream offsets where each DC message starts, to check the JSON's `dcMsg` (the DC message
    // a BitTorrent message starts in).
    let mut dc_start = Vec::new();
    let mut pushed = 0usize;
    let mut consumed = 0usize;
    let mut next = 0usize;
    for (i, dc) in dcs.iter().enumerate() {
        let mut bytes = dc.bytes.clone();
        if !dc.complete() {
            if !padded {
                break;
            }
            bytes.resize(dc.len, 0);
        }
        dc_start.push(pushed);
        pushed += bytes.len();
        decoder.push(&bytes).unwrap();
        while let Some(frame) = decoder.next_frame().unwrap() {
            let j = &expected[next];
            let start_dc = dc_start.iter().rposition(|&s| s <= consumed).unwrap() + 1;
            assert_eq!(start_dc as u64, num(j, "dcMsg"), "{name} {dir}: {j}");
            match frame {
                Frame::Handshake(hs) => {
                    check_handshake(&hs, j);
                    consumed += 68;
                }
                Frame::Message(msg) => {
                    check_message(
                        &msg,
                        j,
                        !padded || dcs[..=i].iter().all(DcMessage::complete),
                    );
                    consumed += msg.encoded_len();
                }
            }
            next += 1;
        }
    }
    (next, decoder.buffered())
}

#[test]
fn stream_replay_strict_prefix() {
    for name in CAPTURES {
        // Outgoing: every DC message is small and complete, so the whole direction is checked.
        assert_eq!(replay(name, "out", false), (45, 0), "{name}");
        // Incoming: the first truncated DC message is the first ut_metadata data payload
        // (16,430 bytes): handshake, extended handshake and have_all come before it; its 5-byte
        // header is buffered, waiting.
        assert_eq!(replay(name, "in", false), (3, 5), "{name}");
    }
}

#[test]
fn stream_replay_padded() {
    for name in CAPTURES {
        assert_eq!(replay(name, "out", true), (45, 0), "{name}");
        // All 26 incoming messages but the last: its DC message (the block of piece 4 at 32768)
        // is past the 48 captured, so its 13-byte header stays buffered.
        assert_eq!(replay(name, "in", true), (25, 13), "{name}");
    }
}
