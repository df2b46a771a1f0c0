//! Upload slots: at most `upload_slots` peers are unchoked at any time, the optimistic slot
//! rotates (and only at its interval), and a choked peer's requests are refused, not served.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::collections::BTreeSet;

use wire::{BlockInfo, Message};

use super::remote::{config, Bench, Sent};
use crate::{test_util::torrent, Engine, MemoryStorage, Sha1Smol};

const SLOTS: usize = 3;
const CHOKE_MS: u64 = 10_000;
const OPTIMISTIC_MS: u64 = 30_000;
const PIECE: u32 = 32 * 1024;

/// A seeder with three upload slots and six interested leechers (keys 1–6, in that order).
fn seeder_with_six_leechers() -> Bench {
    let (meta, data) = torrent(8 * u64::from(PIECE), u64::from(PIECE));
    let mut cfg = config(100);
    cfg.upload_slots = SLOTS;
    cfg.choke_interval_ms = CHOKE_MS;
    cfg.optimistic_interval_ms = OPTIMISTIC_MS;
    let mut engine = Engine::new(cfg, &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    for (i, chunk) in data.chunks(PIECE as usize).enumerate() {
        assert!(engine.import_piece(i as u32, chunk.to_vec()));
    }
    let mut bench = Bench::new(engine);
    for key in 1..=6 {
        bench.connect(key);
        bench.say(key, &[Message::HaveNone, Message::Interested]);
    }
    bench
}

#[test]
fn interested_peers_are_unchoked_only_while_a_slot_is_free() {
    let bench = seeder_with_six_leechers();
    // The first three to ask got the slots at once; the others wait for a choking round.
    assert_eq!(bench.unchoked(), vec![1, 2, 3]);
}

#[test]
fn never_more_than_the_slots_and_the_optimistic_slot_rotates_at_its_interval() {
    let mut bench = seeder_with_six_leechers();
    assert_eq!(bench.unchoked().len(), SLOTS, "before the first round");
    let mut optimistic: Option<u64> = None;
    // (time, new optimistic peer) each time the optimistic slot changed hands.
    let mut changes: Vec<(u64, u64)> = Vec::new();
    let end = 12 * OPTIMISTIC_MS;
    while bench.now < end {
        let next = bench.now + crate::TICK_MS;
        bench.run_until(next);
        if bench.now % 20_000 == 0 {
            // Keep the connections alive (the engine closes peers silent for 120 s).
            for key in 1..=6 {
                bench.say(key, &[Message::KeepAlive]);
            }
        }
        let unchoked = bench.unchoked();
        assert!(
            unchoked.len() <= SLOTS,
            "{} unchoked at {} ms: {unchoked:?}",
            unchoked.len(),
            bench.now
        );
        // Everyone has the same score (nobody downloads), so the regular slots go to the lowest
        // keys and the optimistic slot is the one unchoked peer outside them.
        let outside: Vec<u64> = unchoked.iter().copied().filter(|&k| k > 2).collect();
        if bench.now >= crate::TICK_MS {
            assert_eq!(unchoked.len(), SLOTS, "every slot used at {} ms", bench.now);
            assert!(
                unchoked.contains(&1) && unchoked.contains(&2),
                "{unchoked:?}"
            );
            assert_eq!(outside.len(), 1, "one optimistic slot: {unchoked:?}");
        }
        if let Some(&o) = outside.first() {
            if optimistic != Some(o) {
                changes.push((bench.now, o));
                optimistic = Some(o);
            }
        }
    }
    let holders: BTreeSet<u64> = changes.iter().map(|&(_, k)| k).collect();
    assert!(
        holders.len() >= 3,
        "the optimistic slot went round: {changes:?}"
    );
    // Between rotations the choking rounds (every 10 s) keep the optimistic peer.
    for pair in changes.windows(2).skip(1) {
        assert!(
            pair[1].0 - pair[0].0 >= OPTIMISTIC_MS,
            "the optimistic slot changed before its interval: {changes:?}"
        );
    }
}

#[test]
fn a_choked_peers_request_is_rejected_and_an_unchoked_ones_is_served() {
    let mut bench = seeder_with_six_leechers();
    let block = BlockInfo {
        index: 0,
        begin: 0,
        length: 16 * 1024,
    };
    for key in [1, 6] {
        bench.take(key);
    }
    assert!(bench.unchoked().contains(&1) && !bench.unchoked().contains(&6));
    bench.say(6, &[Message::Request(block)]);
    bench.say(1, &[Message::Request(block)]);
    assert_eq!(bench.take(6), vec![Sent::Reject(block)], "choked: refused");
    assert_eq!(bench.take(1), vec![Sent::Piece(block)], "unchoked: served");
    assert_eq!(bench.engine.stats().uploaded, u64::from(block.length));
}
