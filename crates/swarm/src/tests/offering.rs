//! What the connected peers have, as the HLS loader's time budget reads it: a peer is
//! "unheard" until its handshake and what it has arrived, then "offering" while it has a
//! piece we lack; and each peer on its own, with the block bytes it sent.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use wire::Message;

use super::remote::{config, requests, Bench};
use crate::{test_util::torrent, Engine, MemoryStorage, PeerKey, PeerSummary, Sha1Smol};

#[test]
fn peers_are_unheard_until_they_say_what_they_have() {
    let (meta, _) = torrent(4 * 16_384, 16_384);
    let engine = Engine::new(config(100), &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let mut bench = Bench::new(engine);
    assert_eq!(bench.engine.peers_offering(), (0, 0));
    bench.connect(1);
    bench.connect(2);
    // Both handshakes arrived, neither said what it has yet.
    assert_eq!(bench.engine.peers_offering(), (0, 2));
    bench.say(1, &[Message::HaveAll]);
    assert_eq!(bench.engine.peers_offering(), (1, 1));
    bench.say(2, &[Message::HaveNone]);
    assert_eq!(bench.engine.peers_offering(), (1, 0));
}

#[test]
fn each_peer_is_summarised_with_the_block_bytes_it_sent() {
    let (meta, content) = torrent(4 * 16_384, 16_384);
    let engine = Engine::new(config(100), &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let mut bench = Bench::new(engine);
    assert_eq!(bench.engine.peer_summary(PeerKey(1)), None);
    bench.connect(1);
    bench.connect(2);
    let silent = PeerSummary::default();
    assert_eq!(bench.engine.peer_summary(PeerKey(1)), Some(silent));
    bench.say(1, &[Message::HaveAll, Message::Unchoke]);
    bench.say(2, &[Message::HaveNone]);
    let asked = requests(&bench.take(1));
    let first = asked
        .first()
        .expect("the engine asks the peer that has pieces");
    let at = (first.index as usize) * 16_384 + first.begin as usize;
    bench.say(
        1,
        &[Message::Piece {
            index: first.index,
            begin: first.begin,
            block: &content[at..at + first.length as usize],
        }],
    );
    let one = bench.engine.peer_summary(PeerKey(1)).expect("connected");
    assert!(one.heard && one.offering);
    assert_eq!(one.received, u64::from(first.length));
    let two = bench.engine.peer_summary(PeerKey(2)).expect("connected");
    assert_eq!(
        two,
        PeerSummary {
            heard: true,
            offering: false,
            received: 0
        }
    );
}
