//! The state's behaviour, driven synchronously with virtual time and a fixed seed.

use std::collections::HashSet;

use rand::{rngs::SmallRng, SeedableRng};
use serde_json::json;
use tracker_proto::{encode_binary_string, Id20, Millis, OutMessage};

use super::*;
use crate::Config;

pub(super) const MAX: usize = tracker_proto::MAX_MESSAGE_LEN;

pub(super) fn id(b: u8) -> Id20 {
    Id20([b; 20])
}

pub(super) fn s(b: u8) -> String {
    encode_binary_string(&[b; 20])
}

fn swarms() -> Swarms {
    Swarms::new(SwarmConfig::from(&Config::default()), 7)
}

pub(super) fn announce(hash: u8, peer: u8, offers: &[u8], left: u64) -> String {
    let offers: Vec<_> = offers
        .iter()
        .map(|o| json!({"offer_id": s(*o), "offer": {"type": "offer", "sdp": format!("sdp{o}")}}))
        .collect();
    json!({"action": "announce", "info_hash": s(hash), "peer_id": s(peer), "left": left,
           "event": "started", "numwant": offers.len(), "offers": offers})
    .to_string()
}

pub(super) fn answer(hash: u8, from: u8, to: u8, offer: u8) -> String {
    json!({"action": "announce", "info_hash": s(hash), "peer_id": s(from), "to_peer_id": s(to),
           "offer_id": s(offer), "answer": {"type": "answer", "sdp": "ans"}})
    .to_string()
}

pub(super) fn send(st: &mut Swarms, conn: u64, now: u64, text: &str) -> Vec<Out> {
    let mut out = Vec::new();
    st.handle_text(ConnId(conn), Millis(now), text, MAX, &mut out);
    out
}

pub(super) fn failure(out: &[Out]) -> Option<String> {
    out.iter().find_map(|o| match o {
        Out::Send(_, OutMessage::Error(e)) => Some(e.failure_reason.clone()),
        _ => None,
    })
}

/// Peers 1..=n announce (no offers) on torrent 9, peer p on connection p.
fn populated(n: u8) -> Swarms {
    let mut st = swarms();
    for p in 1..=n {
        let out = send(&mut st, u64::from(p), 0, &announce(9, p, &[], 100));
        assert!(failure(&out).is_none());
    }
    st
}

#[test]
fn announce_gets_counts_and_interval() {
    let mut st = populated(2);
    let out = send(&mut st, 3, 0, &announce(9, 3, &[], 0));
    let Some(Out::Send(ConnId(3), OutMessage::AnnounceResponse(r))) = out.first() else {
        panic!("{out:?}");
    };
    assert_eq!(
        (r.complete, r.incomplete, r.interval),
        (Some(1), Some(2), Some(120))
    );
    assert_eq!(st.totals().peers, 3);
    assert_eq!(st.totals().seeders, 1);
}

#[test]
fn offers_go_to_distinct_other_peers_never_the_sender() {
    for seed in 0..50 {
        let mut st = populated(6);
        st.shards[0].rng = SmallRng::seed_from_u64(seed);
        let out = send(&mut st, 3, 1, &announce(9, 3, &[10, 11, 12, 13, 14], 100));
        let targets: Vec<ConnId> = out
            .iter()
            .filter_map(|o| match o {
                Out::Send(to, OutMessage::Offer(offer)) => {
                    assert_eq!(offer.peer_id, id(3));
                    Some(*to)
                }
                _ => None,
            })
            .collect();
        assert_eq!(targets.len(), 5);
        assert!(
            !targets.contains(&ConnId(3)),
            "offer sent back to its sender"
        );
        assert_eq!(
            targets.iter().collect::<HashSet<_>>().len(),
            5,
            "targets repeat"
        );
    }
}

#[test]
fn offers_are_capped_by_peers_and_limit_and_seeders_offer_to_leechers_only() {
    let mut st = populated(2);
    let out = send(&mut st, 3, 0, &announce(9, 3, &[10, 11, 12, 13, 14], 100));
    assert_eq!(
        out.iter()
            .filter(|o| matches!(o, Out::Send(_, OutMessage::Offer(_))))
            .count(),
        2
    );

    let mut st = populated(20);
    let offers: Vec<u8> = (30..50).collect();
    let out = send(&mut st, 21, 0, &announce(9, 21, &offers, 100));
    let n = out
        .iter()
        .filter(|o| matches!(o, Out::Send(_, OutMessage::Offer(_))))
        .count();
    assert_eq!(n, 10, "max_offers_per_announce");

    let mut st = populated(3);
    send(&mut st, 4, 0, &announce(9, 4, &[], 0));
    let out = send(&mut st, 5, 0, &announce(9, 5, &[10, 11, 12, 13, 14], 0));
    let to: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Out::Send(to, OutMessage::Offer(_)) => Some(to.0),
            _ => None,
        })
        .collect();
    assert_eq!(to.len(), 3);
    assert!(
        to.iter().all(|c| (1..=3).contains(c)),
        "seeder offered to a seeder: {to:?}"
    );
}

fn relayed_offer_to(out: &[Out]) -> (ConnId, u8) {
    out.iter()
        .find_map(|o| match o {
            Out::Send(to, OutMessage::Offer(offer)) => Some((*to, offer.offer_id.0[0])),
            _ => None,
        })
        .expect("an offer was relayed")
}

#[test]
fn answers_are_routed_once_for_relayed_unexpired_offers_only() {
    let mut st = populated(1);
    let out = send(&mut st, 2, 1_000, &announce(9, 2, &[50], 100));
    let (to, offer) = relayed_offer_to(&out);
    assert_eq!((to, offer), (ConnId(1), 50));

    // Wrong answerer, wrong offer id, wrong connection: all rejected.
    let out = send(&mut st, 3, 2_000, &announce(9, 3, &[], 100));
    assert!(failure(&out).is_none());
    assert!(failure(&send(&mut st, 3, 2_000, &answer(9, 3, 2, 50))).is_some());
    assert!(failure(&send(&mut st, 1, 2_000, &answer(9, 1, 2, 51))).is_some());
    assert!(failure(&send(&mut st, 3, 2_000, &answer(9, 1, 2, 50))).is_some());
    assert!(failure(&send(&mut st, 1, 2_000, &answer(8, 1, 2, 50))).is_some());

    let out = send(&mut st, 1, 2_000, &answer(9, 1, 2, 50));
    let Some(Out::Send(ConnId(2), OutMessage::Answer(a))) = out.first() else {
        panic!("{out:?}");
    };
    assert_eq!((a.peer_id, a.offer_id), (id(1), id(50)));
    let again = send(&mut st, 1, 2_000, &answer(9, 1, 2, 50));
    assert_eq!(
        failure(&again).as_deref(),
        Some("no such offer: it was never relayed to this peer, or it has expired")
    );
    assert_eq!(st.counters().answers_routed, 1);

    // An offer older than offer_timeout (120 s) cannot be answered.
    let out = send(&mut st, 2, 3_000, &announce(9, 2, &[60], 100));
    let (to, _) = relayed_offer_to(&out);
    let late = send(
        &mut st,
        to.0,
        3_000 + 120_000,
        &answer(9, to.0 as u8, 2, 60),
    );
    assert!(failure(&late).is_some());
}

#[test]
fn peers_expire_and_empty_swarms_vanish() {
    let mut st = populated(2);
    send(&mut st, 2, 100_000, &announce(9, 2, &[], 100));
    st.clean(Millis(179_999));
    assert_eq!(st.totals().peers, 2);
    st.clean(Millis(180_000));
    assert_eq!(st.totals().peers, 1, "peer 1 missed its announces");
    st.clean(Millis(280_000));
    assert_eq!(
        st.totals(),
        SwarmTotals {
            connections: 2,
            ..SwarmTotals::default()
        }
    );
    // Its connection may join again (its membership list was cleaned too).
    assert!(failure(&send(&mut st, 1, 300_000, &announce(9, 1, &[], 100))).is_none());
    assert_eq!(st.conns.get(&ConnId(1)).map(|c| c.joined.len()), Some(1));
}

#[test]
fn closed_socket_leaves_every_swarm_and_stopped_leaves_one() {
    let mut st = swarms();
    for hash in 1..=3 {
        send(&mut st, 1, 0, &announce(hash, 1, &[], 100));
        send(&mut st, 2, 0, &announce(hash, 2, &[], 100));
    }
    assert_eq!(st.totals().peers, 6);
    st.disconnect(ConnId(1));
    assert_eq!((st.totals().peers, st.totals().swarms), (3, 3));
    let stopped =
        json!({"action": "announce", "info_hash": s(1), "peer_id": s(2), "event": "stopped"});
    send(&mut st, 2, 0, &stopped.to_string());
    assert_eq!((st.totals().peers, st.totals().swarms), (2, 2));
}

#[test]
fn another_connection_cannot_take_a_peer_id() {
    let mut st = populated(1);
    let out = send(&mut st, 2, 0, &announce(9, 1, &[], 0));
    assert_eq!(
        failure(&out).as_deref(),
        Some("peer_id is in use by another connection in this swarm")
    );
    assert_eq!(st.totals().seeders, 0);
}

#[test]
fn each_malformed_kind_gets_its_failure_reason() {
    let long = format!("{{\"action\":\"announce\",\"x\":\"{}\"}}", "a".repeat(MAX));
    let wide = format!("{}\u{100}", "a".repeat(19));
    let cases: Vec<(String, ErrorKind, &str)> = vec![
        ("{not json".into(), ErrorKind::MalformedJson, "invalid JSON message"),
        ("[1,2]".into(), ErrorKind::MalformedJson, "message must be a JSON object"),
        (long, ErrorKind::TooLarge, "message is"),
        (
            json!({"action": "announce", "info_hash": "short", "peer_id": s(1)}).to_string(),
            ErrorKind::IdLength,
            "info_hash must be 20 bytes as a binary string, this one has 5 characters",
        ),
        (
            json!({"action": "announce", "info_hash": s(1), "peer_id": wide}).to_string(),
            ErrorKind::IdCodePoint,
            "peer_id must be 20 bytes as a binary string (one character U+0000..U+00FF per byte), found U+0100",
        ),
        (
            json!({"action": "dance", "info_hash": s(1)}).to_string(),
            ErrorKind::UnknownAction,
            "unknown action \"dance\"",
        ),
        (answer(9, 1, 2, 3), ErrorKind::UnknownOffer, "no such offer"),
    ];
    let mut st = swarms();
    for (i, (text, kind, reason)) in cases.into_iter().enumerate() {
        let before = st.counters().errors[kind.index()];
        let out = send(&mut st, 1, i as u64, &text);
        let got = failure(&out).unwrap_or_default();
        assert!(got.starts_with(reason), "{kind:?}: {got}");
        assert_eq!(st.counters().errors[kind.index()], before + 1, "{kind:?}");
        assert!(
            !out.iter().any(|o| matches!(o, Out::Close(_))),
            "closed after one failure"
        );
    }
    // The connection still works.
    assert!(failure(&send(&mut st, 1, 10, &announce(9, 1, &[], 0))).is_none());
}

#[test]
fn scrape_one_and_many() {
    let mut st = populated(2);
    send(&mut st, 3, 0, &announce(9, 3, &[], 0));
    let out = send(
        &mut st,
        4,
        0,
        &json!({"action": "scrape", "info_hash": s(9)}).to_string(),
    );
    let Some(Out::Send(_, OutMessage::ScrapeResponse(r))) = out.first() else {
        panic!("{out:?}");
    };
    assert_eq!(r.files.len(), 1);
    assert_eq!((r.files[0].1.complete, r.files[0].1.incomplete), (1, 2));
    let many = json!({"action": "scrape", "info_hash": [s(9), s(5)]}).to_string();
    let out = send(&mut st, 4, 0, &many);
    let Some(Out::Send(_, OutMessage::ScrapeResponse(r))) = out.first() else {
        panic!("{out:?}");
    };
    assert_eq!(r.files.len(), 2);
    assert_eq!(r.stats_for(&id(5)).map(|s| s.complete), Some(0));
}

#[test]
fn limits_torrents_rate_and_abuse() {
    let mut config = SwarmConfig::from(&Config::default());
    config.max_torrents_per_connection = 2;
    config.max_announces_per_minute = 5;
    config.max_failures_per_minute = 3;
    let mut st = Swarms::new(config, 1);
    send(&mut st, 1, 0, &announce(1, 1, &[], 0));
    send(&mut st, 1, 0, &announce(2, 1, &[], 0));
    let out = send(&mut st, 1, 0, &announce(3, 1, &[], 0));
    assert_eq!(
        failure(&out).as_deref(),
        Some("too many torrents on this connection: at most 2")
    );
    send(&mut st, 1, 0, &announce(1, 1, &[], 0));
    send(&mut st, 1, 0, &announce(1, 1, &[], 0));
    let out = send(&mut st, 1, 0, &announce(1, 1, &[], 0));
    assert!(failure(&out).is_some_and(|r| r.starts_with("too many requests")));
    // A new minute, a new budget.
    assert!(failure(&send(&mut st, 1, 60_000, &announce(1, 1, &[], 0))).is_none());

    // Failures beyond the limit within a minute close the connection, which leaves its swarms.
    for _ in 0..3 {
        let out = send(&mut st, 1, 61_000, "nope");
        assert!(!out.iter().any(|o| matches!(o, Out::Close(_))));
    }
    let out = send(&mut st, 1, 61_000, "nope");
    assert!(out.contains(&Out::Close(ConnId(1))));
    assert_eq!(st.totals().peers, 0);
    assert_eq!(st.counters().closed_for_abuse, 1);
}

#[test]
fn pending_offers_per_peer_are_bounded_under_churn() {
    let mut config = SwarmConfig::from(&Config::default());
    config.max_pending_offers_per_peer = 4;
    config.max_announces_per_minute = u32::MAX;
    let mut st = Swarms::new(config, 3);
    for p in 1..=6 {
        send(&mut st, u64::from(p), 0, &announce(9, p, &[], 100));
    }
    for round in 0..100u8 {
        send(
            &mut st,
            1,
            0,
            &announce(9, 1, &[round, round.wrapping_add(100)], 100),
        );
    }
    let peer = st.shards[0]
        .torrents
        .get(&id(9))
        .and_then(|t| t.find(&id(1)))
        .map(|p| p.offers.len());
    assert_eq!(peer, Some(4));
    // Churn: many connections come and go; nothing is left behind.
    for c in 100..1100u64 {
        let p = (c % 250) as u8;
        send(&mut st, c, 0, &announce((c % 7) as u8, p, &[1, 2], 100));
        st.disconnect(ConnId(c));
    }
    for p in 1..=6 {
        st.disconnect(ConnId(p));
    }
    assert_eq!(st.totals(), SwarmTotals::default());
    assert!(st.shards[0].torrents.is_empty() && st.conns.is_empty());
}
