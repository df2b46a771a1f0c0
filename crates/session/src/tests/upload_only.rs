//! A session seeding a torrent another download fills (`swarm::Config::upload_only`): a
//! browser leecher gets what it holds at once, and each piece imported later through
//! [`Session::import_hashed`](crate::Session::import_hashed) as soon as it is imported.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use swarm::{Config, Engine, HashedPiece, MemoryStorage, Millis, Sha1Smol};

use super::{config, data, engine, open_reader, read_all, torrent, World};

#[test]
fn an_upload_only_seeder_serves_what_it_has_and_each_piece_imported_later() {
    let bytes = data(1_000_000);
    let meta = torrent(&[("f.bin", &bytes)]);
    let pieces = meta.info.piece_count();
    let half = pieces / 2;
    let piece = |p: u32| {
        let off = meta.info.piece_offset(p) as usize;
        bytes[off..off + meta.info.piece_size(p) as usize].to_vec()
    };
    let mut cfg = Config::new(metainfo::PeerId::from([1; 20]), 1);
    cfg.upload_only = true;
    let mut partial = Engine::new(cfg, &meta, MemoryStorage::new(64 << 20), Sha1Smol);
    for p in 0..half {
        assert!(partial.import_piece(p, piece(p)));
    }
    let mut w = World::new();
    let seeder = w.add(partial, config(1, 0, 20));
    let leecher = w.add(engine(&meta, 2, true), config(2, 5, 20));
    let reader = open_reader(&mut w, leecher, 0, bytes.len() as u64);
    let verified = |w: &World, node: usize| w.nodes[node].session.stats(w.now).pieces_verified;
    assert!(w.run(Millis(30_000), |w| verified(w, leecher) == half));
    // It stays there: nobody has the rest yet (and the seeder asks the leecher for nothing).
    w.run(Millis(40_000), |_| false);
    assert_eq!(verified(&w, leecher), half);
    assert_eq!(w.nodes[seeder].session.stats(w.now).bytes_from_peers, 0);

    // The rest arrives (the gateway verified it): a wrong piece is refused, the right ones
    // are announced and fetched.
    let now = w.now;
    let node = &mut w.nodes[seeder];
    let mut wrong = piece(half);
    wrong[0] ^= 1;
    assert!(!node
        .session
        .import_hashed(now, half, HashedPiece::new(wrong), &mut node.fake));
    for p in half..pieces {
        let hashed = HashedPiece::new(piece(p));
        assert!(node.session.import_hashed(now, p, hashed, &mut node.fake));
    }
    w.act(seeder);
    let got = read_all(&mut w, leecher, reader, Millis(160_000));
    assert!(got == bytes, "bytes differ");
    assert_eq!(verified(&w, leecher), pieces);
    assert_eq!(w.nodes[seeder].session.stats(w.now).bytes_from_peers, 0);
}
