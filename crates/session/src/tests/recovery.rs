//! Recovering from lost connections: the last peer leaving mid-download (the trackers are
//! asked again at once) and a tracker restart (peers kept, new ones after the reconnect).

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use swarm::Millis;

use super::{
    config, count, data, engine,
    fake::{Call, World},
    open_reader, read_all, seed_engine, torrent,
};
use crate::Read;

#[test]
fn a_leecher_that_loses_its_last_peer_announces_again_within_the_min_interval() {
    let bytes = data(2_000_000);
    let meta = torrent(&[("f.bin", &bytes)]);
    let mut w = World::new();
    w.add(seed_engine(&meta, &bytes, 1), config(1, 0, 20));
    let leecher = w.add(engine(&meta, 2, true), config(2, 5, 20));
    let reader = open_reader(&mut w, leecher, 0, bytes.len() as u64);
    let mut got = Vec::new();
    w.run(Millis(30_000), |w| {
        if let Read::Chunk(c) = w.read(leecher, reader) {
            got.extend_from_slice(&c);
        }
        got.len() > 300_000
    });
    assert!(got.len() > 300_000, "the download started");
    let announces = |w: &World| {
        count(
            w,
            leecher,
            |c| matches!(c, Call::TrackerSend(_, t) if t.contains("\"announce\"")),
        )
    };
    let before = announces(&w);
    let dropped_at = w.now;
    w.break_links();
    w.run(dropped_at, |_| false);
    let stats = w.nodes[leecher].session.stats(w.now);
    assert_eq!(stats.peers, 0);
    assert_eq!(
        stats.last_peer_close.as_deref(),
        Some("the connection closed")
    );
    // The tracker's interval is 60 s; the announce comes within our 10 s floor instead, the
    // seeder is found again and the download finishes long before the interval is over.
    got.extend(read_all(&mut w, leecher, reader, dropped_at.plus(30_000)));
    assert!(got == bytes, "{} of {} bytes", got.len(), bytes.len());
    assert!(announces(&w) > before, "announced again");
}

#[test]
fn a_tracker_restart_keeps_the_peers_and_brings_new_ones_after_the_reconnect() {
    let bytes = data(3_000_000);
    let meta = torrent(&[("f.bin", &bytes)]);
    let mut w = World::new();
    // The first peer has the first half only: the rest must come from a peer that arrives
    // after the tracker restart.
    let half = meta.info.piece_count() / 2;
    let mut partial = engine(&meta, 1, false);
    for p in 0..half {
        let off = meta.info.piece_offset(p) as usize;
        let len = meta.info.piece_size(p) as usize;
        assert!(partial.import_piece(p, bytes[off..off + len].to_vec()));
    }
    let half_bytes = meta.info.piece_offset(half) as usize;
    let first = w.add(partial, config(1, 0, 20));
    let mut cfg = config(2, 5, 20);
    cfg.reconnect_base = Some(std::time::Duration::from_secs(2));
    cfg.reconnect_jitter = Some(std::time::Duration::from_secs(1));
    let leecher = w.add(engine(&meta, 2, true), cfg);
    let reader = open_reader(&mut w, leecher, 0, bytes.len() as u64);
    let mut got = Vec::new();
    w.run(Millis(30_000), |w| {
        if let Read::Chunk(c) = w.read(leecher, reader) {
            got.extend_from_slice(&c);
        }
        got.len() >= half_bytes
    });
    assert_eq!(got.len(), half_bytes);
    assert!(w.linked(leecher, first));
    // The tracker goes away (its socket closes) and comes back; meanwhile a second seeder
    // announces to it.
    let closed_at = w.now;
    w.feed(
        leecher,
        crate::Event::TrackerClosed {
            tracker: crate::TrackerIdx(0),
        },
    );
    w.run(closed_at, |_| false);
    let stats = w.nodes[leecher].session.stats(w.now);
    assert_eq!(stats.trackers[0].state, "failed");
    assert_eq!(
        stats.peers, 1,
        "the peer found before stays connected: {stats:?}"
    );
    let second = w.add(seed_engine(&meta, &bytes, 3), config(3, 0, 20));
    // The reconnect (2 s base, ≤ 1 s jitter) announces with offers; the tracker relays one to
    // the second seeder.
    got.extend(read_all(&mut w, leecher, reader, closed_at.plus(60_000)));
    assert!(got == bytes, "{} of {} bytes", got.len(), bytes.len());
    // Only the second seeder had the second half.
    let uploaded = w.nodes[second].session.stats(w.now).uploaded;
    assert!(
        uploaded >= (bytes.len() - half_bytes) as u64,
        "a new peer came after the restart"
    );
    let stats = w.nodes[leecher].session.stats(w.now);
    assert_eq!(stats.trackers[0].state, "answered");
}
