//! Sending peer exchange (BEP 11): who hears about whom, how often, how much at once, and
//! that nothing goes out where it was not asked for.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::{collections::BTreeSet, net::SocketAddr};

use wire::{ExtendedHandshake, Message, PexMessage};

use super::remote::{config, Bench};
use crate::{test_util::torrent, Engine, Input, MemoryStorage, Millis, PeerKey, Sha1Smol};

/// The id remotes receive `ut_pex` on (any but ours, to catch a mix-up of the two).
const THEIR_PEX_ID: u8 = 7;
const OUR_PORT: u16 = 6881;

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("a socket address")
}

fn engine(pex: bool) -> Bench {
    let (meta, _) = torrent(4 * 16384, 16384);
    let mut cfg = config(100);
    cfg.pex = pex;
    cfg.listen_port = Some(OUR_PORT);
    Bench::new(Engine::new(
        cfg,
        &meta,
        MemoryStorage::new(u64::MAX),
        Sha1Smol,
    ))
}

/// Remote `key` connects; the driver says where it is; it sends its extended handshake
/// (taking `ut_pex` if `takes_pex`, listening on `port` if given).
fn join(
    bench: &mut Bench,
    key: u64,
    at: SocketAddr,
    dialled: bool,
    takes_pex: bool,
    port: Option<u16>,
) {
    bench.connect(key);
    let input = Input::PeerAddress {
        peer: PeerKey(key),
        addr: at,
        dialled,
    };
    bench.engine.handle_input(Millis(bench.now), input);
    let mut hs = ExtendedHandshake::default();
    hs.m.insert("ut_metadata".to_owned(), 3);
    if takes_pex {
        hs.m.insert("ut_pex".to_owned(), THEIR_PEX_ID);
    }
    hs.p = port;
    let payload = hs.to_vec();
    bench.say(
        key,
        &[
            Message::Extended {
                id: 0,
                payload: &payload,
            },
            Message::HaveNone,
        ],
    );
}

/// The `ut_pex` messages remote `key` got since the last look.
fn pex_to(bench: &mut Bench, key: u64) -> Vec<PexMessage> {
    bench
        .take_extended(key)
        .into_iter()
        .filter(|(id, _)| *id != 0)
        .map(|(id, payload)| {
            assert_eq!(id, THEIR_PEX_ID, "sent on the id the remote asked for");
            PexMessage::decode(&payload).expect("a valid ut_pex message")
        })
        .collect()
}

fn set(addrs: &[SocketAddr]) -> BTreeSet<SocketAddr> {
    addrs.iter().copied().collect()
}

#[test]
fn each_peer_hears_the_dialable_others_but_never_itself() {
    let mut bench = engine(true);
    join(&mut bench, 1, addr("10.0.0.1:1001"), true, true, None);
    join(&mut bench, 2, addr("10.0.0.2:1002"), true, true, Some(1002));
    // Accepted: its outgoing port means nothing; its handshake's `p` is where it listens.
    join(
        &mut bench,
        3,
        addr("10.0.0.3:50000"),
        false,
        true,
        Some(6003),
    );
    // Accepted with no `p`: nobody can be told how to reach it.
    join(&mut bench, 4, addr("10.0.0.4:50001"), false, true, None);
    bench.tick();
    let three = addr("10.0.0.3:6003");
    let expect = [
        (1, set(&[addr("10.0.0.2:1002"), three])),
        (2, set(&[addr("10.0.0.1:1001"), three])),
        (3, set(&[addr("10.0.0.1:1001"), addr("10.0.0.2:1002")])),
        (
            4,
            set(&[addr("10.0.0.1:1001"), addr("10.0.0.2:1002"), three]),
        ),
    ];
    for (key, want) in expect {
        let got = pex_to(&mut bench, key);
        assert_eq!(got.len(), 1, "one message to {key}");
        assert_eq!(set(&got[0].added), want, "added, to {key}");
        assert!(got[0].dropped.is_empty());
    }
}

#[test]
fn changes_wait_for_the_interval_and_gone_peers_are_dropped() {
    let mut bench = engine(true);
    join(&mut bench, 1, addr("10.0.0.1:1001"), true, true, None);
    join(&mut bench, 2, addr("10.0.0.2:1002"), true, true, None);
    bench.tick();
    assert_eq!(pex_to(&mut bench, 1)[0].added, vec![addr("10.0.0.2:1002")]);
    // A quiet tick sends nothing (nothing changed).
    bench.run_until(1_000);
    assert!(pex_to(&mut bench, 1).is_empty());
    bench
        .engine
        .handle_input(Millis(bench.now), Input::PeerGone { peer: PeerKey(2) });
    join(&mut bench, 3, addr("10.0.0.3:1003"), true, true, None);
    bench.run_until(59_000);
    assert!(
        pex_to(&mut bench, 1).is_empty(),
        "at most one message a minute"
    );
    // Keep 1 alive past the engine's idle timeout is not needed: a minute is within it.
    bench.run_until(60_200);
    let got = pex_to(&mut bench, 1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].added, vec![addr("10.0.0.3:1003")]);
    assert_eq!(got[0].dropped, vec![addr("10.0.0.2:1002")]);
    // 3 joined after 1's message went out: its first message comes at once.
    let to_three = pex_to(&mut bench, 3);
    assert_eq!(to_three.len(), 1);
    assert_eq!(to_three[0].added, vec![addr("10.0.0.1:1001")]);
}

#[test]
fn at_most_fifty_added_a_message_the_rest_a_minute_later() {
    let mut bench = engine(true);
    for key in 1..=53u64 {
        let at = SocketAddr::new([10, 0, 1, key as u8].into(), 2000);
        join(&mut bench, key, at, true, key == 1, None);
    }
    bench.tick();
    let first = pex_to(&mut bench, 1);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].added.len(), 50);
    for key in 2..=53 {
        bench.say(key, &[Message::KeepAlive]);
    }
    bench.run_until(60_200);
    let second = pex_to(&mut bench, 1);
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].added.len(), 2);
    let all: BTreeSet<SocketAddr> = first[0]
        .added
        .iter()
        .chain(&second[0].added)
        .copied()
        .collect();
    assert_eq!(all.len(), 52, "every other peer once");
}

#[test]
fn nothing_to_peers_without_ut_pex_nor_from_an_engine_without_pex() {
    let mut bench = engine(true);
    join(&mut bench, 1, addr("10.0.0.1:1001"), true, false, None);
    join(&mut bench, 2, addr("10.0.0.2:1002"), true, true, None);
    bench.tick();
    assert!(pex_to(&mut bench, 1).is_empty(), "1 did not ask for ut_pex");
    assert_eq!(pex_to(&mut bench, 2).len(), 1);

    let mut off = engine(false);
    join(&mut off, 1, addr("10.0.0.1:1001"), true, true, None);
    join(&mut off, 2, addr("10.0.0.2:1002"), true, true, None);
    off.run_until(61_000);
    assert!(pex_to(&mut off, 1).is_empty() && pex_to(&mut off, 2).is_empty());
}

#[test]
fn our_handshake_names_the_port_we_listen_on() {
    let mut bench = engine(true);
    join(&mut bench, 1, addr("10.0.0.1:1001"), true, true, None);
    let ours = bench
        .take_extended(1)
        .into_iter()
        .find(|(id, _)| *id == 0)
        .expect("our extended handshake");
    let hs = ExtendedHandshake::decode(&ours.1).expect("decodes");
    assert_eq!(hs.p, Some(OUR_PORT));
    assert!(hs.m.contains_key("ut_pex"));
}
