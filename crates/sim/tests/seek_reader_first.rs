//! A reader that seeks to 80% of the file gets its first bytes long before the pieces behind
//! its position are all in.

use shoal_sim::{run, SimConfig};

#[test]
fn reader_at_80_percent_is_served_first() {
    let s = run(&SimConfig {
        peers: 3,
        seeders: 1,
        size: 4 * 1024 * 1024,
        piece_length: 64 * 1024,
        seeder_upload_kbps: 4_000,
        peer_upload_kbps: 4_000,
        reader_at: Some(0.8),
        check_invariants: true,
        ..SimConfig::default()
    });
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    let ttfb = s.reader_ttfb_ms.expect("readers got bytes");
    let behind = s.reader_behind_done_ms.expect("pieces behind finished");
    // "Long before": within the first fifth of the time the pieces behind took.
    assert!(
        ttfb * 5 < behind,
        "first byte at {ttfb} ms, pieces behind done at {behind} ms"
    );
}
