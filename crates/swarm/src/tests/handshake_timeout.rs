//! `Config::handshake_timeout_ms`: a peer that trickles its handshake a byte at a time (a
//! slow-loris) is closed when the time is up, though each byte resets its idle timer; a peer
//! whose handshake came is kept however quiet it is afterwards.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use metainfo::PeerId;
use wire::Handshake;

use super::remote::{config, Bench};
use crate::{test_util::torrent, CloseReason, Engine, MemoryStorage, Sha1Smol};

#[test]
fn a_handshake_trickled_past_the_deadline_is_closed() {
    let (meta, _) = torrent(64 * 1024, 16 * 1024);
    let cfg = config(100);
    let limit = cfg.handshake_timeout_ms;
    let engine = Engine::new(cfg, &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let mut bench = Bench::new(engine);
    let mut hs = Vec::new();
    Handshake::new(bench.engine.info_hash(), PeerId::from([1; 20])).encode(&mut hs);
    bench.open(1);
    bench.connect(2);
    // A byte every tenth of the limit: never idle, never a whole handshake.
    let step = limit / 10;
    for (i, byte) in hs.iter().take(9).enumerate() {
        bench.data(1, &[*byte]);
        bench.run_until((i as u64 + 1) * step);
    }
    assert_eq!(bench.closed(), vec![], "within the deadline");
    bench.data(1, &hs[9..10]);
    bench.run_until(limit);
    assert_eq!(bench.closed(), vec![(1, CloseReason::SlowHandshake)]);
    // Remote 2 handshook at once and has said nothing since: still open, a minute on.
    bench.run_until(limit + 60_000);
    assert_eq!(bench.closed(), vec![(1, CloseReason::SlowHandshake)]);
}
