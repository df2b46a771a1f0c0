//! Peers without signalling: addresses from an HTTP tracker (through the real codec) and handed
//! in, dialled within the peer cap, and the accepting side.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::net::SocketAddr;

use swarm::Millis;

use super::{
    count, data, engine, fake::Call, fake::World, open_reader, read_all, seed_engine, torrent,
};
use crate::{ClassicRequest, Event, SessionConfig, CONNECT_TIMEOUT_MS};

fn tcp_config(id: u8, max_peers: usize) -> SessionConfig {
    let mut cfg = SessionConfig::new([id; 20], u64::from(id) * 1000);
    cfg.classic_trackers = vec!["http://tracker.test/announce".to_owned()];
    cfg.listen_port = 6881;
    cfg.max_offers = 0;
    cfg.max_peers = max_peers;
    cfg
}

#[test]
fn a_leecher_dials_the_peers_an_http_tracker_names_and_downloads() {
    let bytes = data(5 * 64 * 1024 + 100);
    let meta = torrent(&[("a.bin", &bytes)]);
    let mut w = World::new();
    let seeder_addr: SocketAddr = "10.0.0.1:6881".parse().expect("addr");
    let seeder = w.add(seed_engine(&meta, &bytes, 1), tcp_config(1, 10));
    w.listening.insert(seeder_addr, seeder);
    let leecher = w.add(engine(&meta, 2, false), tcp_config(2, 10));
    let reader = open_reader(&mut w, leecher, 0, bytes.len() as u64);
    let got = read_all(&mut w, leecher, reader, Millis(60_000));
    assert_eq!(got, bytes);
    let announce = w.nodes[leecher].fake.calls().find_map(|c| match c {
        Call::ClassicRequest(_, ClassicRequest::HttpGet { url }) => Some(url.clone()),
        _ => None,
    });
    let announce = announce.expect("the leecher announced");
    assert!(announce.contains("&port=6881&") && announce.ends_with("event=started"));
    assert_eq!(
        count(
            &w,
            leecher,
            |c| matches!(c, Call::Dial(_, a) if *a == seeder_addr)
        ),
        1
    );
    let status = &w.nodes[leecher].session.tracker_statuses()[0];
    assert_eq!((status.state.as_str(), status.peers_seen), ("answered", 1));
}

#[test]
fn dials_count_against_the_cap_and_time_out_like_any_connection() {
    let bytes = data(64 * 1024);
    let meta = torrent(&[("a.bin", &bytes)]);
    let mut w = World::new();
    let mut cfg = tcp_config(2, 2);
    cfg.classic_trackers.clear();
    let n = w.add(engine(&meta, 2, false), cfg);
    let addrs: Vec<SocketAddr> = (1..=5)
        .map(|i| SocketAddr::from(([10, 0, 0, i], 6881)))
        .collect();
    w.feed(n, Event::PeerAddrs { addrs });
    let dials = |w: &World| count(w, n, |c| matches!(c, Call::Dial(..)));
    assert_eq!(dials(&w), 2, "two slots, two dials");
    // Nobody listens: the connect deadline frees the slots for the next two.
    w.run(Millis(CONNECT_TIMEOUT_MS), |_| false);
    assert_eq!(dials(&w), 4);
    assert_eq!(count(&w, n, |c| matches!(c, Call::ClosePeer(_))), 2);
    assert_eq!(w.nodes[n].session.stats(w.now).connecting, 2);
}

#[test]
fn a_waiting_reader_redials_a_seeder_that_hung_up_at_once() {
    let bytes = data(4 * 64 * 1024);
    let meta = torrent(&[("a.bin", &bytes)]);
    let mut w = World::new();
    let seeder_addr: SocketAddr = "10.0.0.1:6881".parse().expect("addr");
    let mut seeder_cfg = tcp_config(1, 10);
    seeder_cfg.classic_trackers.clear();
    let seeder = w.add(seed_engine(&meta, &bytes, 1), seeder_cfg);
    w.listening.insert(seeder_addr, seeder);
    let mut cfg = tcp_config(2, 10);
    cfg.classic_trackers.clear();
    let leecher = w.add(engine(&meta, 2, false), cfg);
    w.feed(
        leecher,
        Event::PeerAddrs {
            addrs: vec![seeder_addr],
        },
    );
    let first = w.nodes[leecher]
        .fake
        .calls()
        .find_map(|c| match c {
            Call::Dial(peer, _) => Some(*peer),
            _ => None,
        })
        .expect("dialled");
    // The handshakes cross (the connection counts as opened), then the seeder hangs up.
    assert!(w.run(Millis(1_000), |w| w.nodes[leecher]
        .session
        .engine()
        .peer_id_of(first)
        .is_some()));
    w.hang_up(leecher, first);
    w.run(Millis(1_000), |_| false);
    assert_eq!(w.nodes[leecher].session.open_peers(), 0);
    // A stream now waits: the seeder is dialled again within seconds, not minutes.
    let reader = open_reader(&mut w, leecher, 0, bytes.len() as u64);
    let got = read_all(&mut w, leecher, reader, Millis(30_000));
    assert_eq!(got, bytes);
    assert_eq!(count(&w, leecher, |c| matches!(c, Call::Dial(..))), 2);
}

/// A session whose engine has `pex` as given, connected to a seeder over TCP; then the seeder's
/// connection delivers a `ut_pex` message naming two more peers. Returns the dialled addresses.
fn dials_after_pex(pex: bool) -> Vec<SocketAddr> {
    let bytes = data(2 * 64 * 1024);
    let meta = torrent(&[("a.bin", &bytes)]);
    let mut w = World::new();
    let seeder_addr: SocketAddr = "10.0.0.1:6881".parse().expect("addr");
    let mut seeder_cfg = tcp_config(1, 10);
    seeder_cfg.classic_trackers.clear();
    let seeder = w.add(seed_engine(&meta, &bytes, 1), seeder_cfg);
    w.listening.insert(seeder_addr, seeder);
    let mut cfg = tcp_config(2, 10);
    cfg.classic_trackers.clear();
    let mut ecfg = swarm::Config::new(metainfo::PeerId::from([2; 20]), 2);
    ecfg.pex = pex;
    let leecher_engine = swarm::Engine::new(
        ecfg,
        &meta,
        swarm::MemoryStorage::new(64 << 20),
        swarm::Sha1Smol,
    );
    let leecher = w.add(leecher_engine, cfg);
    w.feed(
        leecher,
        Event::PeerAddrs {
            addrs: vec![seeder_addr],
        },
    );
    let peer = w.nodes[leecher]
        .fake
        .calls()
        .find_map(|c| match c {
            Call::Dial(peer, _) => Some(*peer),
            _ => None,
        })
        .expect("dialled");
    assert!(w.run(Millis(1_000), |w| w.nodes[leecher]
        .session
        .engine()
        .peer_id_of(peer)
        .is_some()));
    let named: Vec<SocketAddr> = vec![
        "10.0.0.7:51413".parse().expect("addr"),
        "[2001:db8::7]:6881".parse().expect("addr"),
    ];
    let pex_msg = wire::PexMessage {
        added: named,
        dropped: Vec::new(),
    }
    .to_vec();
    let id = wire::Extension::UtPex.local_id();
    let frame = wire::Message::Extended {
        id,
        payload: &pex_msg,
    }
    .to_vec();
    w.feed(leecher, Event::PeerData { peer, bytes: frame });
    w.nodes[leecher]
        .fake
        .calls()
        .filter_map(|c| match c {
            Call::Dial(_, a) if *a != seeder_addr => Some(*a),
            _ => None,
        })
        .collect()
}

#[test]
fn peers_named_over_pex_are_dialled_only_when_pex_is_on() {
    let dialled = dials_after_pex(true);
    assert_eq!(dialled.len(), 2, "{dialled:?}");
    assert!(dials_after_pex(false).is_empty());
}

/// A leecher's engine with peer exchange on, listening on 6881.
fn pex_engine(
    meta: &metainfo::Metainfo,
    id: u8,
) -> swarm::Engine<swarm::MemoryStorage, swarm::Sha1Smol> {
    let mut ecfg = swarm::Config::new(metainfo::PeerId::from([id; 20]), u64::from(id));
    ecfg.pex = true;
    ecfg.listen_port = Some(6881);
    swarm::Engine::new(
        ecfg,
        meta,
        swarm::MemoryStorage::new(64 << 20),
        swarm::Sha1Smol,
    )
}

#[test]
fn a_peer_we_dialled_is_passed_on_to_the_others_we_dialled() {
    let bytes = data(4 * 64 * 1024);
    let meta = torrent(&[("a.bin", &bytes)]);
    let mut w = World::new();
    let mut quiet = tcp_config(1, 10);
    quiet.classic_trackers.clear();
    let b_addr: SocketAddr = "10.0.0.2:6881".parse().expect("addr");
    let c_addr: SocketAddr = "10.0.0.3:6881".parse().expect("addr");
    // Nobody has a piece yet: the connections stay up (two seeds would hang up at once).
    let b = w.add(pex_engine(&meta, 2), quiet.clone());
    let c = w.add(pex_engine(&meta, 3), quiet.clone());
    w.listening.insert(b_addr, b);
    w.listening.insert(c_addr, c);
    // A knows B and C (a tracker told it); B and C know nobody.
    let a = w.add(pex_engine(&meta, 1), quiet);
    w.feed(
        a,
        Event::PeerAddrs {
            addrs: vec![b_addr, c_addr],
        },
    );
    let dialled = |w: &World, n: usize, to: SocketAddr| {
        count(w, n, |call| matches!(call, Call::Dial(_, x) if *x == to))
    };
    // A's first exchange goes out on the tick after the handshakes: B hears of C, C of B.
    assert!(w.run(Millis(5_000), |w| dialled(w, b, c_addr) > 0
        && dialled(w, c, b_addr) > 0));
    assert_eq!(dialled(&w, b, b_addr), 0, "never told its own address");
}

#[test]
fn our_own_address_is_dialled_once_and_never_again() {
    let bytes = data(4 * 64 * 1024);
    let meta = torrent(&[("a.bin", &bytes)]);
    let mut w = World::new();
    let own: SocketAddr = "10.0.0.2:6881".parse().expect("addr");
    let mut cfg = tcp_config(2, 10);
    cfg.classic_trackers.clear();
    let n = w.add(engine(&meta, 2, false), cfg);
    w.listening.insert(own, n);
    // A reader waits with no peer, so every known address is made due again every few seconds.
    let _reader = open_reader(&mut w, n, 0, bytes.len() as u64);
    w.feed(n, Event::PeerAddrs { addrs: vec![own] });
    w.run(Millis(30_000), |_| false);
    // A tracker lists it again.
    w.feed(n, Event::PeerAddrs { addrs: vec![own] });
    w.run(Millis(30_000), |_| false);
    let dials = count(&w, n, |c| matches!(c, Call::Dial(_, a) if *a == own));
    assert_eq!(dials, 1, "our own address was dialled {dials} times");
    assert_eq!(w.nodes[n].session.open_peers(), 0);
}
