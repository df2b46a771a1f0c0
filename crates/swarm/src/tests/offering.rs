//! What the connected peers have, as the HLS loader's time budget reads it: a peer is
//! "unheard" until its handshake and what it has arrived, then "offering" while it has a
//! piece we lack.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use wire::Message;

use super::remote::{config, Bench};
use crate::{test_util::torrent, Engine, MemoryStorage, Sha1Smol};

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
