//! `Config::upload_only`: an engine that holds part of a torrent serves it, announces each
//! piece the driver imports later, and never fetches anything itself — not from a peer that
//! has what it lacks and unchokes it, not from a webseed once the peerless grace is over — and
//! closes peers that have everything.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use wire::{BlockInfo, Message};

use super::remote::{config, requests, Bench, Sent};
use crate::{test_util::torrent, CloseReason, Engine, MemoryStorage, Output, Sha1Smol};

const PIECE: u64 = 16 * 1024;
const PIECES: u64 = 8;

/// An engine with pieces 0–3 of 8 and a webseed, `upload_only` as given; remote 1 has pieces
/// 0–6 (all this engine lacks but the last) and unchokes it, remote 2 has nothing and is
/// interested. Returns the bench and the content.
fn half_seeded(upload_only: bool) -> (Bench, Vec<u8>) {
    let (mut meta, data) = torrent(PIECES * PIECE, PIECE);
    meta.url_list = vec!["http://127.0.0.1:9/t.bin".into()];
    let mut cfg = config(100);
    cfg.upload_only = upload_only;
    let engine = Engine::new(cfg, &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let mut bench = Bench::new(engine);
    for (i, chunk) in data.chunks(PIECE as usize).take(4).enumerate() {
        assert!(bench.import(i as u32, chunk.to_vec()));
    }
    bench.connect(1);
    let mut most = wire::Bitfield::new(PIECES as u32);
    for p in 0..7 {
        most.set(p, true);
    }
    bench.say(1, &[Message::Bitfield(most.as_bytes()), Message::Unchoke]);
    bench.connect(2);
    bench.say(2, &[Message::HaveNone, Message::Interested]);
    (bench, data)
}

fn block(piece: u32) -> BlockInfo {
    BlockInfo {
        index: piece,
        begin: 0,
        length: PIECE as u32,
    }
}

fn http_requests(bench: &Bench) -> usize {
    bench
        .others
        .iter()
        .filter(|o| matches!(o, Output::HttpRequest { .. }))
        .count()
}

#[test]
fn an_upload_only_engine_never_asks_a_peer_or_a_webseed() {
    let (mut bench, _) = half_seeded(true);
    // Past the webseed's peerless grace and several choking rounds.
    bench.run_until(30_000);
    let to_seed = bench.take(1);
    assert!(!to_seed.contains(&Sent::Interested), "{to_seed:?}");
    assert_eq!(requests(&to_seed), vec![], "no block asked of the peer");
    assert_eq!(http_requests(&bench), 0, "no webseed GET");
    assert_eq!(bench.engine.stats().pieces_verified, 4);

    // The same engine without the flag asks at once: the test above can fail.
    let (mut normal, _) = half_seeded(false);
    normal.run_until(30_000);
    let asked = normal.take(1);
    assert!(asked.contains(&Sent::Interested));
    assert!(!requests(&asked).is_empty());
}

#[test]
fn an_imported_piece_is_announced_and_served() {
    let (mut bench, data) = half_seeded(true);
    bench.take(1);
    let sent = bench.take(2);
    assert!(sent.contains(&Sent::Unchoke), "{sent:?}");
    // Held: served. Missing: refused (the remote speaks the fast extension).
    bench.say(2, &[Message::Request(block(1)), Message::Request(block(6))]);
    assert_eq!(
        bench.take(2),
        vec![Sent::Piece(block(1)), Sent::Reject(block(6))]
    );

    let six = data[6 * PIECE as usize..7 * PIECE as usize].to_vec();
    assert!(bench.import(6, six));
    // The have leaves with the import, not with the next input; the seed is not told.
    assert_eq!(bench.take(2), vec![Sent::Have(6)]);
    assert_eq!(bench.take(1), vec![]);
    bench.say(2, &[Message::Request(block(6))]);
    assert_eq!(bench.take(2), vec![Sent::Piece(block(6))]);
    assert_eq!(bench.engine.stats().uploaded, 2 * PIECE);

    // A piece that does not match its hash is refused and announced to no one.
    let mut bad = data[7 * PIECE as usize..].to_vec();
    bad[0] ^= 1;
    assert!(!bench.import(7, bad));
    assert_eq!(bench.take(2), vec![]);
    assert!(!bench.engine.has_piece(7));
}

#[test]
fn a_peer_with_everything_is_closed_by_an_upload_only_engine() {
    let (mut bench, _) = half_seeded(true);
    assert_eq!(bench.closed(), vec![], "a peer lacking something stays");
    // A newcomer with everything: nothing to give it, nothing taken from it.
    bench.connect(3);
    bench.say(3, &[Message::HaveAll]);
    assert_eq!(bench.closed(), vec![(3, CloseReason::OnlyUploading)]);
    // Remote 1 completes: closed at its last `have`.
    bench.say(1, &[Message::Have(7)]);
    assert_eq!(
        bench.closed(),
        vec![
            (3, CloseReason::OnlyUploading),
            (1, CloseReason::OnlyUploading)
        ]
    );

    // A downloading engine keeps a peer with everything: the test above can fail.
    let (mut normal, _) = half_seeded(false);
    normal.connect(3);
    normal.say(3, &[Message::HaveAll]);
    normal.say(1, &[Message::Have(7)]);
    assert_eq!(normal.closed(), vec![]);
}
