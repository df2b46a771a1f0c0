//! The session against a fake platform ([`fake`]): sessions find each other through a relaying
//! tracker, connect over fake links, fetch from a fake web server and hash through the fake.

mod ban;
mod fake;
mod gateway;
mod recovery;
mod tcp;
mod upload_only;

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use swarm::{Config, Engine, MemoryStorage, Millis, PeerKey, Sha1Smol};

use self::fake::{Call, World};
use crate::{Notice, Read, SessionConfig, CONNECT_TIMEOUT_MS, FIRST_BYTE_TIMEOUT_MS, READ_AHEAD};

const PIECE: u64 = 64 * 1024;

pub(super) fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

pub(super) fn torrent(files: &[(&str, &[u8])]) -> metainfo::Metainfo {
    let list = files
        .iter()
        .map(|(n, d)| (vec![(*n).to_owned()], d.len() as u64))
        .collect();
    let name = if files.len() == 1 { files[0].0 } else { "dir" };
    let mut b = metainfo::TorrentBuilder::new(name, list, PIECE);
    for (_, d) in files {
        b.update(d);
    }
    metainfo::Metainfo::from_bytes(&b.finish().expect("built")).expect("parses")
}

pub(super) fn engine(
    meta: &metainfo::Metainfo,
    id: u8,
    deferred: bool,
) -> Engine<MemoryStorage, Sha1Smol> {
    let mut cfg = Config::new(metainfo::PeerId::from([id; 20]), u64::from(id));
    cfg.deferred_hashing = deferred;
    Engine::new(cfg, meta, MemoryStorage::new(64 << 20), Sha1Smol)
}

pub(super) fn seed_engine(
    meta: &metainfo::Metainfo,
    bytes: &[u8],
    id: u8,
) -> Engine<MemoryStorage, Sha1Smol> {
    let mut e = engine(meta, id, false);
    for p in 0..meta.info.piece_count() {
        let off = meta.info.piece_offset(p) as usize;
        let len = meta.info.piece_size(p) as usize;
        assert!(e.import_piece(p, bytes[off..off + len].to_vec()));
    }
    e
}

pub(super) fn config(id: u8, max_offers: u64, max_peers: usize) -> SessionConfig {
    let mut cfg = SessionConfig::new([id; 20], u64::from(id) * 1000);
    cfg.trackers = vec!["wss://tracker.test".to_owned()];
    cfg.max_offers = max_offers;
    cfg.max_peers = max_peers;
    cfg
}

/// Opens a reader over torrent bytes `[start, end)` of node `node`.
pub(super) fn open_reader(w: &mut World, node: usize, start: u64, end: u64) -> swarm::ReaderId {
    let now = w.now;
    let n = &mut w.nodes[node];
    let reader = n.session.open_reader(now, start, end, &mut n.fake);
    w.act(node);
    reader
}

/// Reads a node's reader to its end while running the world; the bytes read.
pub(super) fn read_all(
    w: &mut World,
    node: usize,
    reader: swarm::ReaderId,
    until: Millis,
) -> Vec<u8> {
    let mut got = Vec::new();
    let mut finished = false;
    w.run(until, |w| {
        // The consumer pulls one chunk per event; the reader never runs far ahead of it.
        assert!(w.nodes[node].session.reader_queued(reader) <= READ_AHEAD);
        match w.read(node, reader) {
            Read::Chunk(c) => got.extend_from_slice(&c),
            Read::Finished => finished = true,
            Read::Waiting => {}
        }
        finished
    });
    got
}

fn closes(w: &World, node: usize) -> Vec<(Millis, PeerKey)> {
    w.nodes[node]
        .fake
        .log
        .iter()
        .filter_map(|(t, c)| match c {
            Call::ClosePeer(k) => Some((*t, *k)),
            _ => None,
        })
        .collect()
}

pub(super) fn count(w: &World, node: usize, f: impl Fn(&Call) -> bool) -> usize {
    w.nodes[node].fake.calls().filter(|c| f(c)).count()
}

#[test]
fn a_leecher_downloads_a_file_from_a_seeder_through_the_tracker() {
    let bytes = data(1_000_000);
    let meta = torrent(&[("f.bin", &bytes)]);
    let mut w = World::new();
    let seeder = w.add(seed_engine(&meta, &bytes, 1), config(1, 0, 20));
    let leecher = w.add(engine(&meta, 2, true), config(2, 5, 20));
    let reader = open_reader(&mut w, leecher, 1000, bytes.len() as u64);
    let got = read_all(&mut w, leecher, reader, Millis(120_000));
    assert_eq!(got.len(), bytes.len() - 1000);
    assert!(got == bytes[1000..], "bytes differ");
    let stats = w.nodes[leecher].session.stats(w.now);
    assert_eq!(stats.pieces_verified, meta.info.piece_count());
    assert!(stats.bytes_from_peers >= got.len() as u64);
    assert_eq!(stats.trackers[0].state, "answered");
    // The seeder only answered; the leecher's offers were relayed to it.
    assert_eq!(count(&w, seeder, |c| matches!(c, Call::CreateOffer(_))), 0);
    assert!(count(&w, seeder, |c| matches!(c, Call::AnswerOffer(..))) >= 1);
    // Every piece went through the platform's hasher; `completed` was announced.
    let hashed = count(&w, leecher, |c| matches!(c, Call::HashPiece(_)));
    assert_eq!(hashed, meta.info.piece_count() as usize);
    let completed = count(
        &w,
        leecher,
        |c| matches!(c, Call::TrackerSend(_, t) if t.contains("\"completed\"")),
    );
    assert_eq!(completed, 1);
    // Stopping announces `stopped`, closes the tracker and every peer, disarms the timer.
    let n = &mut w.nodes[leecher];
    n.session.stop(&mut n.fake);
    assert!(n
        .fake
        .calls()
        .any(|c| matches!(c, Call::TrackerSend(_, t) if t.contains("\"stopped\""))));
    assert!(n.fake.calls().any(|c| matches!(c, Call::TrackerClose(_))));
    assert_eq!(n.fake.timer, None);
    assert_eq!(n.session.stats(w.now).peers, 0);
}

#[test]
fn unanswered_offers_expire_and_free_their_slots() {
    let bytes = data(200_000);
    let meta = torrent(&[("f.bin", &bytes)]);
    let mut w = World::new();
    // Alone in the swarm: nobody answers its offers.
    let lonely = w.add(engine(&meta, 2, false), config(2, 5, 3));
    w.run(Millis(49_000), |_| false);
    let offers = |w: &World| count(w, lonely, |c| matches!(c, Call::CreateOffer(_)));
    assert_eq!(offers(&w), 3, "5 offers asked, 3 slots");
    assert!(closes(&w, lonely).is_empty());
    // 50 s after the announce the offers expire: their connections close, and the next
    // announce (the tracker's interval is 60 s) has all three slots again.
    w.run(Millis(61_000), |_| false);
    let closed = closes(&w, lonely);
    assert_eq!(closed.len(), 3);
    assert!(closed.iter().all(|(t, _)| t.0 >= 50_000));
    assert_eq!(offers(&w), 6);
}

#[test]
fn a_connection_that_never_opens_is_closed_after_the_connect_timeout() {
    let bytes = data(200_000);
    let meta = torrent(&[("f.bin", &bytes)]);
    let mut w = World::new();
    w.faults.never_open = true;
    let _seeder = w.add(seed_engine(&meta, &bytes, 1), config(1, 0, 20));
    let leecher = w.add(engine(&meta, 2, false), config(2, 1, 20));
    w.run(Millis(CONNECT_TIMEOUT_MS - 1), |_| false);
    assert_eq!(w.nodes[leecher].session.stats(w.now).connecting, 1);
    assert!(closes(&w, leecher).is_empty());
    w.run(Millis(CONNECT_TIMEOUT_MS + 1), |_| false);
    let closed = closes(&w, leecher);
    assert_eq!(closed.len(), 1);
    assert!(closed[0].0 .0 >= CONNECT_TIMEOUT_MS);
    assert_eq!(w.nodes[leecher].session.stats(w.now).connecting, 0);
}

#[test]
fn an_open_connection_that_stays_silent_is_closed_after_the_first_byte_timeout() {
    let bytes = data(200_000);
    let meta = torrent(&[("f.bin", &bytes)]);
    let mut w = World::new();
    let seeder = w.add(seed_engine(&meta, &bytes, 1), config(1, 0, 20));
    let leecher = w.add(engine(&meta, 2, false), config(2, 1, 20));
    // The seeder's bytes (its handshake too) never arrive.
    w.faults.mute = Some(seeder);
    let opened_at = |w: &World| {
        w.nodes[leecher]
            .fake
            .log
            .iter()
            .find_map(|(t, c)| matches!(c, Call::Notice(Notice::PeerOpened(_))).then_some(*t))
    };
    w.run(Millis(10_000), |w| opened_at(w).is_some());
    let opened = opened_at(&w).expect("the connection opened");
    w.run(opened.plus(FIRST_BYTE_TIMEOUT_MS - 1), |_| false);
    assert!(closes(&w, leecher).is_empty());
    assert_eq!(w.nodes[leecher].session.stats(w.now).peers, 1);
    w.run(opened.plus(FIRST_BYTE_TIMEOUT_MS + 1), |_| false);
    let closed = closes(&w, leecher);
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].0, opened.plus(FIRST_BYTE_TIMEOUT_MS));
    let gone = count(&w, leecher, |c| {
        matches!(c, Call::Notice(Notice::PeerGone(_)))
    });
    assert_eq!(gone, 1, "the engine was told the peer is gone");
}

#[test]
fn relayed_offers_beyond_the_peer_cap_are_refused() {
    let bytes = data(200_000);
    let meta = torrent(&[("f.bin", &bytes)]);
    let mut w = World::new();
    w.faults.never_open = true;
    let seeder = w.add(seed_engine(&meta, &bytes, 1), config(1, 0, 2));
    let _leecher = w.add(engine(&meta, 2, false), config(2, 5, 20));
    w.run(Millis(5_000), |_| false);
    assert_eq!(count(&w, seeder, |c| matches!(c, Call::AnswerOffer(..))), 2);
    let refused = count(&w, seeder, |c| {
        matches!(c, Call::Notice(Notice::OfferRefused))
    });
    assert_eq!(refused, 3);
    assert_eq!(w.nodes[seeder].session.stats(w.now).connecting, 2);
}

#[test]
fn webseed_requests_become_one_get_per_file_and_a_failed_get_is_retried() {
    let a = data(150_000);
    let b: Vec<u8> = data(170_000).into_iter().rev().collect();
    let meta = torrent(&[("a.bin", &a), ("b.bin", &b)]);
    let mut w = World::new();
    w.web
        .insert("http://web.test/dir/a.bin".to_owned(), a.clone());
    w.web
        .insert("http://web.test/dir/b.bin".to_owned(), b.clone());
    w.faults.failing_gets = 1;
    let mut cfg = config(2, 0, 20);
    cfg.trackers.clear();
    cfg.webseeds = vec!["http://web.test/".to_owned()];
    // The engine is given the same list (its webseed indices are into it).
    let mut with_webseed = meta.clone();
    with_webseed.url_list = cfg.webseeds.clone();
    let node = w.add(engine(&with_webseed, 2, false), cfg);
    let reader = open_reader(&mut w, node, 0, meta.info.total_length);
    let got = read_all(&mut w, node, reader, Millis(600_000));
    let mut want = a.clone();
    want.extend_from_slice(&b);
    assert!(got == want, "bytes differ");
    let gets: Vec<(String, std::ops::Range<u64>)> = w.nodes[node]
        .fake
        .calls()
        .filter_map(|c| match c {
            Call::HttpGet(_, url, r) => Some((url.clone(), r.clone())),
            _ => None,
        })
        .collect();
    // The piece across the files' boundary was fetched as two GETs, one per file.
    let boundary = a.len() as u64;
    let piece = boundary / PIECE;
    let a_tail = (piece * PIECE)..boundary;
    assert!(gets.contains(&("http://web.test/dir/a.bin".to_owned(), a_tail)));
    assert!(gets.contains(&(
        "http://web.test/dir/b.bin".to_owned(),
        0..(piece + 1) * PIECE - boundary
    )));
    // The first GET failed: the failure reached the engine, which asked for the same range
    // again after its retry delay, long before its request timeout would have.
    let timed: Vec<(Millis, String, std::ops::Range<u64>)> = w.nodes[node]
        .fake
        .log
        .iter()
        .filter_map(|(t, c)| match c {
            Call::HttpGet(_, url, r) => Some((*t, url.clone(), r.clone())),
            _ => None,
        })
        .collect();
    let (t0, url0, range0) = timed[0].clone();
    let again = timed[1..]
        .iter()
        .find(|(_, u, r)| *u == url0 && *r == range0)
        .expect("the failed GET was retried");
    let timeout = Config::new(metainfo::PeerId::from([0; 20]), 0)
        .webseed
        .timeout_ms;
    assert!(
        again.0 < t0.plus(timeout),
        "retried at {:?}, asked at {t0:?}",
        again.0
    );
    assert_eq!(
        w.nodes[node].session.stats(w.now).bytes_from_http,
        meta.info.total_length
    );
}

#[test]
fn a_piece_whose_digest_is_wrong_is_fetched_again() {
    let bytes = data(400_000);
    let meta = torrent(&[("f.bin", &bytes)]);
    let mut w = World::new();
    w.faults.wrong_digest_for = Some(2);
    let _seeder = w.add(seed_engine(&meta, &bytes, 1), config(1, 0, 20));
    let leecher = w.add(engine(&meta, 2, true), config(2, 2, 20));
    let reader = open_reader(&mut w, leecher, 0, bytes.len() as u64);
    let got = read_all(&mut w, leecher, reader, Millis(300_000));
    assert!(got == bytes, "bytes differ");
    let hashed_2 = count(&w, leecher, |c| matches!(c, Call::HashPiece(2)));
    assert_eq!(
        hashed_2, 2,
        "piece 2 was downloaded and handed to the hasher twice"
    );
    assert_eq!(w.nodes[leecher].session.engine().stats().hash_failures, 1);
}

#[test]
fn an_accepted_connection_counts_against_the_cap() {
    let bytes = data(100_000);
    let meta = torrent(&[("f.bin", &bytes)]);
    let mut w = World::new();
    let mut cfg = config(1, 0, 1);
    cfg.trackers.clear();
    let node = w.add(seed_engine(&meta, &bytes, 1), cfg);
    let s = &mut w.nodes[node].session;
    assert!(s.accept_peer().is_some());
    assert_eq!(s.accept_peer(), None, "one slot, taken");
}

/// An engine keeping its pieces in the platform's store, with a small memory window.
fn store_engine(meta: &metainfo::Metainfo, id: u8) -> Engine<MemoryStorage, Sha1Smol> {
    let mut cfg = Config::new(metainfo::PeerId::from([id; 20]), u64::from(id));
    cfg.deferred_hashing = true;
    cfg.external_store = true;
    Engine::new(cfg, meta, MemoryStorage::new(2 * PIECE), Sha1Smol)
}

#[test]
fn a_reloaded_page_plays_from_its_store_and_seeds_it() {
    let bytes = data(600_000);
    let len = bytes.len() as u64;
    let meta = torrent(&[("f.bin", &bytes)]);
    let mut w = World::new();
    let seeder = w.add(seed_engine(&meta, &bytes, 1), config(1, 0, 20));
    let first = w.add(store_engine(&meta, 2), config(2, 5, 20));
    let reader = open_reader(&mut w, first, 0, len);
    assert!(read_all(&mut w, first, reader, Millis(120_000)) == bytes);
    let stored = w.nodes[first].store.clone();
    assert_eq!(
        stored.len(),
        meta.info.piece_count() as usize,
        "every piece written"
    );
    for n in [seeder, first] {
        let node = &mut w.nodes[n];
        node.session.stop(&mut node.fake);
    }

    // The reload: a new session knows the stored pieces at once and reads them back.
    let mut resumed = store_engine(&meta, 3);
    for &p in stored.keys() {
        assert!(resumed.restore_piece(p));
    }
    let reloaded = w.add(resumed, config(3, 0, 20));
    w.nodes[reloaded].store = stored;
    let reader = open_reader(&mut w, reloaded, 0, len);
    assert!(read_all(&mut w, reloaded, reader, Millis(240_000)) == bytes);
    let s = w.nodes[reloaded].session.stats(w.now);
    assert_eq!(s.bytes_read, len);
    assert_eq!(s.bytes_read_from_store, len, "hit rate 100 %");
    assert_eq!(s.bytes_from_peers + s.bytes_from_http, 0);
    // Its announce says it is a seed, and a newcomer gets every byte from it alone.
    let fresh = w.add(engine(&meta, 4, true), config(4, 5, 20));
    let reader = open_reader(&mut w, fresh, 0, len);
    assert!(read_all(&mut w, fresh, reader, Millis(480_000)) == bytes);
    assert!(w.nodes[reloaded].session.stats(w.now).uploaded >= len);
}

#[test]
fn the_piece_map_follows_pieces_the_engine_drops() {
    let bytes = data(600_000);
    let len = bytes.len() as u64;
    let meta = torrent(&[("f.bin", &bytes)]);
    let mut w = World::new();
    w.add(seed_engine(&meta, &bytes, 1), config(1, 0, 20));
    // No store and room for two pieces: older pieces are evicted and stop being HAVE.
    let mut cfg = Config::new(metainfo::PeerId::from([2; 20]), 2);
    cfg.deferred_hashing = true;
    let small = Engine::new(cfg, &meta, MemoryStorage::new(2 * PIECE), Sha1Smol);
    let node = w.add(small, config(2, 5, 20));
    let reader = open_reader(&mut w, node, 0, len);
    assert!(read_all(&mut w, node, reader, Millis(120_000)) == bytes);
    let session = &w.nodes[node].session;
    let held: Vec<bool> = (0..meta.info.piece_count())
        .map(|p| session.engine().has_piece(p))
        .collect();
    assert!(held.iter().any(|h| !h), "the window dropped pieces");
    assert!(held.iter().any(|h| *h), "the window keeps some");
    let s = session.stats(w.now);
    assert_eq!(s.have, held);
    let kept = held.iter().filter(|h| **h).count();
    assert_eq!(s.pieces_verified as usize, kept);
}
