//! 1 seeder and 1 leecher: the leecher ends with exactly the seeder's bytes.

use shoal_sim::{run, SimConfig};

#[test]
fn bytes_are_identical() {
    let s = run(&SimConfig {
        peers: 1,
        seeders: 1,
        size: 3 * 1024 * 1024 + 12_345,
        piece_length: 128 * 1024,
        latency_ms: 30,
        loss: 0.01,
        real_storage: true,
        check_invariants: true,
        reader_at: Some(0.0),
        ..SimConfig::default()
    });
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert_eq!(s.peers_finished, 1);
    // The reader read the whole torrent from the start and every byte matched the original.
    assert_eq!(s.corrupt_bytes_delivered, 0);
    assert_eq!(s.bytes_from_peers, 3 * 1024 * 1024 + 12_345);
    assert_eq!(s.hash_failures, 0);
}
