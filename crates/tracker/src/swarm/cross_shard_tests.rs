//! What crosses shards: a connection's memberships and budgets span them, a scrape reads
//! several, a close leaves all of them. Driven through [`Swarms`] with four shards, which runs
//! the server's own dispatch code.

use serde_json::json;
use tracker_proto::OutMessage;

use super::tests::{announce, answer, failure, id, s, send};
use super::*;
use crate::Config;

const SHARDS: usize = 4;

/// Info hash `[b; 20]` lives in shard `b % 4` (its first eight bytes, little-endian, mod 4).
fn sharded(config: SwarmConfig) -> Swarms {
    let st = Swarms::with_shards(config, 7, SHARDS);
    for b in 1..=4u8 {
        assert_eq!(shard_of(&id(b), SHARDS), usize::from(b) % SHARDS);
    }
    st
}

fn peers_in_shard(st: &Swarms, index: usize) -> u64 {
    st.shards[index].totals().peers
}

#[test]
fn scrape_of_many_hashes_reads_each_from_its_own_shard() {
    let mut st = sharded(SwarmConfig::from(&Config::default()));
    // Torrent h gets h leechers and one seeder, each peer on its own connection.
    let mut conn = 100;
    for hash in 1..=4u8 {
        for peer in 0..=hash {
            conn += 1;
            let left = if peer == 0 { 0 } else { 10 };
            assert!(failure(&send(&mut st, conn, 0, &announce(hash, peer, &[], left))).is_none());
        }
    }
    for index in 0..SHARDS {
        assert!(peers_in_shard(&st, index) > 0, "shard {index} is empty");
    }
    let hashes = [s(3), s(9), s(1), s(4), s(2)];
    let out = send(
        &mut st,
        1,
        0,
        &json!({"action": "scrape", "info_hash": hashes}).to_string(),
    );
    let [Out::Send(ConnId(1), OutMessage::ScrapeResponse(r))] = out.as_slice() else {
        panic!("one scrape response expected: {out:?}");
    };
    let got: Vec<(u8, u64, u64)> = r
        .files
        .iter()
        .map(|(hash, stats)| (hash.0[0], stats.complete, stats.incomplete))
        .collect();
    assert_eq!(got, [(3, 1, 3), (9, 0, 0), (1, 1, 1), (4, 1, 4), (2, 1, 2)]);
    assert_eq!(st.counters().scrapes, 1);
    assert_eq!(st.totals().peers, 2 + 3 + 4 + 5);
}

#[test]
fn a_socket_in_two_shards_leaves_both_when_it_closes() {
    let mut st = sharded(SwarmConfig::from(&Config::default()));
    for hash in [1u8, 2] {
        send(&mut st, 1, 0, &announce(hash, 1, &[], 10));
        send(&mut st, 2, 0, &announce(hash, 2, &[], 10));
    }
    assert_eq!((peers_in_shard(&st, 1), peers_in_shard(&st, 2)), (2, 2));
    st.disconnect(ConnId(1));
    assert_eq!((peers_in_shard(&st, 1), peers_in_shard(&st, 2)), (1, 1));
    // Nobody is left to receive connection 2's offers in either swarm.
    for hash in [1u8, 2] {
        let out = send(&mut st, 2, 0, &announce(hash, 2, &[50], 10));
        assert!(!out
            .iter()
            .any(|o| matches!(o, Out::Send(_, OutMessage::Offer(_)))));
    }
    st.disconnect(ConnId(2));
    assert_eq!(st.totals(), SwarmTotals::default());
}

#[test]
fn closing_for_abuse_leaves_every_shard() {
    let mut config = SwarmConfig::from(&Config::default());
    config.max_failures_per_minute = 1;
    let mut st = sharded(config);
    send(&mut st, 1, 0, &announce(1, 1, &[], 10));
    send(&mut st, 1, 0, &announce(2, 1, &[], 10));
    send(&mut st, 1, 0, "nope");
    let out = send(&mut st, 1, 0, "nope");
    assert!(out.contains(&Out::Close(ConnId(1))));
    assert_eq!(st.totals().peers, 0);
    assert_eq!(st.counters().closed_for_abuse, 1);
}

#[test]
fn the_torrent_cap_counts_memberships_in_every_shard() {
    let mut config = SwarmConfig::from(&Config::default());
    config.max_torrents_per_connection = 2;
    let mut st = sharded(config);
    assert!(failure(&send(&mut st, 1, 0, &announce(1, 1, &[], 10))).is_none());
    assert!(failure(&send(&mut st, 1, 0, &announce(2, 1, &[], 10))).is_none());
    // Shard 3 has never seen this connection, and still refuses a third torrent.
    let out = send(&mut st, 1, 0, &announce(3, 1, &[], 10));
    assert_eq!(
        failure(&out).as_deref(),
        Some("too many torrents on this connection: at most 2")
    );
    assert_eq!(peers_in_shard(&st, 3), 0);
    // Re-announcing a held torrent is not a new membership.
    assert!(failure(&send(&mut st, 1, 1, &announce(1, 1, &[], 10))).is_none());
    // `stopped` in shard 2 frees a place that shard 3 can use.
    let stopped =
        json!({"action": "announce", "info_hash": s(2), "peer_id": s(1), "event": "stopped"});
    send(&mut st, 1, 2, &stopped.to_string());
    assert!(failure(&send(&mut st, 1, 3, &announce(3, 1, &[], 10))).is_none());
    assert_eq!(peers_in_shard(&st, 3), 1);
}

#[test]
fn an_expired_membership_frees_its_place_before_any_sweep() {
    let mut config = SwarmConfig::from(&Config::default());
    config.max_torrents_per_connection = 1;
    let timeout = config.peer_timeout.as_millis() as u64;
    let mut st = sharded(config);
    send(&mut st, 1, 0, &announce(1, 1, &[], 10));
    assert!(failure(&send(&mut st, 1, 10, &announce(2, 1, &[], 10))).is_some());
    // The shard-1 peer expired (no clean ran): the connection may join in shard 2 ...
    assert!(failure(&send(&mut st, 1, timeout, &announce(2, 1, &[], 10))).is_none());
    // ... and the expired peer's id is free for another connection, which takes it over.
    assert!(failure(&send(&mut st, 2, timeout, &announce(1, 1, &[], 10))).is_none());
    assert_eq!(peers_in_shard(&st, 1), 1);
    // Connection 1 closing must not remove connection 2's peer.
    st.disconnect(ConnId(1));
    assert_eq!((peers_in_shard(&st, 1), peers_in_shard(&st, 2)), (1, 0));
}

#[test]
fn the_announce_rate_is_per_connection_across_shards() {
    let mut config = SwarmConfig::from(&Config::default());
    config.max_announces_per_minute = 3;
    let mut st = sharded(config);
    for hash in 1..=3u8 {
        assert!(failure(&send(&mut st, 1, 0, &announce(hash, 1, &[], 10))).is_none());
    }
    let out = send(&mut st, 1, 0, &announce(4, 1, &[], 10));
    assert!(failure(&out).is_some_and(|r| r.starts_with("too many requests")));
    // Another connection has its own budget.
    assert!(failure(&send(&mut st, 2, 0, &announce(4, 2, &[], 10))).is_none());
}

#[test]
fn answers_are_routed_within_the_torrents_shard() {
    let mut st = sharded(SwarmConfig::from(&Config::default()));
    send(&mut st, 1, 0, &announce(2, 1, &[], 10));
    send(&mut st, 1, 0, &announce(3, 1, &[], 10));
    let out = send(&mut st, 2, 0, &announce(2, 2, &[60], 10));
    assert!(out.contains(&Out::Send(
        ConnId(1),
        OutMessage::Offer(tracker_proto::OutOffer {
            offer: tracker_proto::SessionDescription::offer("sdp60"),
            offer_id: id(60),
            peer_id: id(2),
            info_hash: id(2),
        })
    )));
    // The same offer id answered for torrent 3 (another shard) is unknown there.
    assert!(failure(&send(&mut st, 1, 1, &answer(3, 1, 2, 60))).is_some());
    let out = send(&mut st, 1, 1, &answer(2, 1, 2, 60));
    let [Out::Send(ConnId(2), OutMessage::Answer(a))] = out.as_slice() else {
        panic!("the answer goes to the offerer: {out:?}");
    };
    assert_eq!((a.peer_id, a.info_hash), (id(1), id(2)));
    assert_eq!(st.counters().answers_routed, 1);
}
