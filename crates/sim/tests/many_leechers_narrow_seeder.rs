//! 1 seeder with a narrow uplink and 30 leechers: everyone finishes, and the leechers share
//! among themselves so the seeder uploads less than 3× the torrent.

use shoal_sim::{run, SimConfig};

#[test]
fn all_finish_and_seeder_uploads_little() {
    let size = 2 * 1024 * 1024;
    let s = run(&SimConfig {
        peers: 30,
        seeders: 1,
        size,
        piece_length: 32 * 1024,
        seeder_upload_kbps: 2_000,
        peer_upload_kbps: 8_000,
        latency_ms: 25,
        seed: 7,
        ..SimConfig::default()
    });
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert_eq!(s.peers_finished, 30);
    assert!(
        s.seeder_uploaded < 3 * size,
        "seeder uploaded {:.2}× the torrent",
        s.seeder_upload_ratio
    );
}
