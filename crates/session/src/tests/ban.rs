//! A peer id banned from outside the session: another torrent that shares its connection
//! caught it sending a piece that failed its hash (the HLS loader's channel swarm).

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use metainfo::PeerId;
use swarm::Millis;

use super::{closes, config, data, engine, fake::World, torrent};

#[test]
fn a_peer_banned_from_outside_is_closed_and_not_taken_back() {
    let bytes = data(300_000);
    let meta = torrent(&[("f.bin", &bytes)]);
    let mut w = World::new();
    // Two peers with nothing: once connected they stay connected, idle.
    let a = w.add(engine(&meta, 1, false), config(1, 5, 20));
    let b = w.add(engine(&meta, 2, false), config(2, 5, 20));
    let liar = PeerId::from([2; 20]);
    let linked = w.run(Millis(30_000), |w| {
        let s = &w.nodes[a].session;
        s.open_peers() == 1
            && (0..8).any(|k| s.engine().peer_id_of(swarm::PeerKey(k)) == Some(liar))
    });
    assert!(linked, "a and b connect through the tracker");
    // a announced alone; b's announce found a there.
    assert_eq!(w.nodes[a].session.others_announced(), Some(0));
    assert_eq!(w.nodes[b].session.others_announced(), Some(1));
    let before = closes(&w, a).len();
    let now = w.now;
    let n = &mut w.nodes[a];
    n.session.ban_peer(now, liar, &mut n.fake);
    w.act(a);
    assert_eq!(closes(&w, a).len(), before + 1, "its connection is closed");
    assert_eq!(w.nodes[a].session.open_peers(), 0);
    // Later announces bring it back through the tracker: each time it is closed at its
    // handshake, never kept.
    let end = Millis(w.now.0 + 300_000);
    w.run(end, |_| false);
    let s = &w.nodes[a].session;
    assert!((0..64).all(|k| s.engine().peer_id_of(swarm::PeerKey(k)) != Some(liar)));
    assert!(w.nodes[b].session.open_peers() <= 1);
}
