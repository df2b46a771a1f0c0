//! A magnet-only leecher fetches the metadata over ut_metadata, then the data.

use shoal_sim::{run, SimConfig};

#[test]
fn magnet_leecher_gets_metadata_then_data() {
    let s = run(&SimConfig {
        peers: 3,
        seeders: 1,
        // Enough pieces for an info dict over two 16 KiB metadata pieces: 900 hashes = 18 KB.
        size: 900 * 16 * 1024,
        piece_length: 16 * 1024,
        magnet: true,
        real_storage: true,
        ..SimConfig::default()
    });
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert_eq!(s.peers_finished, 3);
    assert_eq!(s.corrupt_bytes_delivered, 0);
}
