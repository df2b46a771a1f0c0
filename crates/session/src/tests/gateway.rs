//! A companion's gateway added while a torrent runs: the metadata from its copy (checked
//! against the info hash), the bytes through it as a webseed, counted apart in the figures.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use swarm::{Config, Engine, MemoryStorage, MetadataError, Millis, Sha1Smol};

use super::{config, data, open_reader, read_all, torrent, World};

#[test]
fn a_magnet_without_peers_plays_through_a_gateway_added_late() {
    let bytes = data(3 * 64 * 1024 + 500);
    let meta = torrent(&[("a.bin", &bytes)]);
    let url = format!(
        "http://companion.test/gateway/webseed/{}",
        meta.info_hash.to_hex()
    );
    let mut w = World::new();
    w.web.insert(url.clone(), bytes.clone());
    let mut cfg = config(2, 0, 20);
    cfg.trackers.clear();
    let ecfg = Config::new(metainfo::PeerId::from([2; 20]), 2);
    let magnet = Engine::from_magnet(
        ecfg,
        meta.info_hash,
        Vec::new(),
        MemoryStorage::new(64 << 20),
        Sha1Smol,
    );
    let node = w.add(magnet, cfg);
    w.run(Millis(10_000), |_| false);
    assert!(
        w.nodes[node].session.info().is_none(),
        "no peer, no metadata"
    );

    let now = w.now;
    let n = &mut w.nodes[node];
    let other = torrent(&[("b.bin", &data(1000))]);
    assert_eq!(
        n.session
            .provide_metadata(now, &other.info_bytes, &mut n.fake),
        Err(MetadataError::WrongHash)
    );
    assert!(n.session.info().is_none());
    n.session
        .provide_metadata(now, &meta.info_bytes, &mut n.fake)
        .expect("the right info dict");
    assert_eq!(n.session.info().map(|i| i.name.as_str()), Some("a.bin"));
    n.session.add_gateway(now, &url, &mut n.fake);
    n.session.add_gateway(now, &url, &mut n.fake);
    w.act(node);

    let reader = open_reader(&mut w, node, 0, bytes.len() as u64);
    let got = read_all(&mut w, node, reader, Millis(600_000));
    assert!(got == bytes, "bytes differ");
    let stats = w.nodes[node].session.stats(w.now);
    assert_eq!(stats.webseeds, 1, "added once");
    assert_eq!(stats.bytes_via_gateway, bytes.len() as u64);
    assert_eq!(stats.bytes_from_http, bytes.len() as u64);
}
