//! Hostile peers (corrupt blocks, lying bitfields, silent peers, oversized messages,
//! disconnects mid-piece) are cut off, corrupters banned, and no corrupt byte reaches a reader.

use shoal_sim::{run, Hostile, SimConfig};

#[test]
fn hostile_peers_are_cut_off_and_readers_get_clean_bytes() {
    let s = run(&SimConfig {
        peers: 4,
        seeders: 1,
        hostile: 5,
        size: 2 * 1024 * 1024,
        piece_length: 32 * 1024,
        seeder_upload_kbps: 8_000,
        peer_upload_kbps: 8_000,
        reader_at: Some(0.0),
        check_invariants: true,
        seed: 3,
        ..SimConfig::default()
    });
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert_eq!(s.peers_finished, 4);
    assert_eq!(s.corrupt_bytes_delivered, 0);
    assert!(s.hash_failures > 0, "the corrupter did send bad pieces");
    // Every leecher banned the corrupter and the oversized sender.
    assert!(s.peers_banned >= 2 * 4, "banned {}", s.peers_banned);
    // And every leecher lost every hostile peer one way or another.
    assert!(
        s.hostile_disconnected >= 5 * 4,
        "cut off {}",
        s.hostile_disconnected
    );
}

#[test]
fn only_corrupters_still_cannot_poison_a_reader() {
    let s = run(&SimConfig {
        peers: 2,
        seeders: 1,
        hostile: 3,
        hostile_kinds: vec![Hostile::Corrupt],
        size: 1024 * 1024,
        piece_length: 16 * 1024,
        reader_at: Some(0.5),
        real_storage: true,
        seed: 11,
        ..SimConfig::default()
    });
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert_eq!(s.corrupt_bytes_delivered, 0);
    assert_eq!(s.peers_banned, 2 * 3);
}
