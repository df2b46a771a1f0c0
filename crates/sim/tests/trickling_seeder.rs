//! An upload-only seeder that gets its pieces one at a time while it seeds (the companion's
//! WebRTC peer seeding what its gateway is still fetching over TCP). With 8 leechers: everyone
//! finishes with the right bytes once the last piece is there, and the leechers pass pieces on
//! among themselves. With a webseed: the leechers use it, the seeder never (the simulator
//! reports bytes an upload-only seeder fetched as a violation).

use shoal_sim::{run, SimConfig};

#[test]
fn leechers_finish_from_a_seeder_that_gets_its_pieces_late() {
    let size = 1024 * 1024;
    let piece_length = 64 * 1024;
    let every = 500;
    let s = run(&SimConfig {
        peers: 8,
        seeders: 1,
        size,
        piece_length,
        seeder_upload_kbps: 4_000,
        peer_upload_kbps: 8_000,
        latency_ms: 25,
        seed: 11,
        check_invariants: true,
        seeder_trickle_ms: Some(every),
        ..SimConfig::default()
    });
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert_eq!(s.peers_finished, 8);
    assert_eq!(s.corrupt_bytes_delivered, 0);
    // No one can finish before the seeder has the last piece.
    let last_import = (size / piece_length) * every;
    assert!(s.finish_ms_max.is_some_and(|t| t >= last_import), "{s:?}");
    assert!(
        s.seeder_uploaded < 8 * size,
        "the seeder sent every leecher everything: {:.2}× the torrent",
        s.seeder_upload_ratio
    );
}

#[test]
fn a_trickling_seeder_leaves_the_webseed_to_the_leechers() {
    // The torrent has a webseed: the leechers may use it for what no peer has, the seeder never
    // (it reports fetched bytes as a violation).
    let s = run(&SimConfig {
        peers: 2,
        seeders: 1,
        size: 512 * 1024,
        piece_length: 64 * 1024,
        webseed: true,
        webseed_kbps: 2_000,
        seed: 3,
        check_invariants: true,
        seeder_trickle_ms: Some(1_000),
        ..SimConfig::default()
    });
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert_eq!(s.peers_finished, 2);
    assert!(
        s.bytes_from_webseeds > 0,
        "the leechers used the webseed: {s:?}"
    );
}
