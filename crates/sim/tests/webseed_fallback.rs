//! Webseeds: a webseed-only torrent completes over HTTP; with slow peers and a reader's
//! deadline, HTTP is used for the at-risk ranges only, peers deliver the rest.

use shoal_sim::{run, SimConfig};

#[test]
fn webseed_only_torrent_completes() {
    let s = run(&SimConfig {
        peers: 2,
        seeders: 0,
        size: 1024 * 1024 + 77,
        piece_length: 64 * 1024,
        webseed: true,
        check_invariants: true,
        ..SimConfig::default()
    });
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert_eq!(s.peers_finished, 2);
    assert!(s.bytes_from_webseeds >= 1024 * 1024 + 77);
}

#[test]
fn slow_peers_and_a_deadline_use_http_for_at_risk_ranges_only() {
    let size = 2 * 1024 * 1024;
    let s = run(&SimConfig {
        peers: 1,
        seeders: 2,
        size,
        piece_length: 64 * 1024,
        seeder_upload_kbps: 300, // 2 × 37.5 KB/s: a 2 MiB torrent takes ~28 s
        webseed: true,
        webseed_kbps: 50_000,
        reader_at: Some(0.5),
        risk_ms: 1_500,
        check_invariants: true,
        ..SimConfig::default()
    });
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert_eq!(s.peers_finished, 1);
    println!(
        "HTTP share {:.3}, ttfb {:?} ms",
        s.http_share, s.reader_ttfb_ms
    );
    // HTTP was used (the reader's first pieces were at risk) …
    assert!(s.bytes_from_webseeds > 0);
    // … but only for the at-risk ranges: peers delivered most of the torrent.
    assert!(s.http_share < 0.5, "HTTP share {}", s.http_share);
    assert!(s.reader_ttfb_ms.unwrap() < 4_000);
}
