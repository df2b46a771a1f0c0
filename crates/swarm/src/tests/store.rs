//! The persistent store seam (`Config::external_store`): engines whose memory holds a small
//! window, a store that answers writes and reads late, out of order, or wrongly, and the
//! promise that no byte a reader or a peer gets was not checked against the piece hash.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use std::collections::BTreeMap;

use super::{cfg, seeder, E};
use crate::Storage;
use crate::{
    test_util::torrent, types::Rng, Config, Engine, Input, MemoryStorage, Millis, Output, PeerKey,
    ReaderId, Sha1Smol, StoreError,
};

const PIECE: u64 = 16 * 1024;

/// How the store misbehaves (out of 100 per request).
#[derive(Clone, Copy, Default)]
struct Faults {
    /// Writes refused as if the quota were reached.
    quota: u64,
    /// Reads answered "missing".
    missing: u64,
    /// Reads answered with a flipped byte.
    flip: u64,
    /// Reads answered with a byte short.
    short: u64,
    /// Most steps an answer is held back (answers overtake each other).
    max_delay: u64,
}

/// A request to the store waiting for its answer.
enum Pending {
    Write(u32, Vec<u8>),
    Read(u32),
    /// A digest asked for (deferred hashing of a loaded piece).
    Hash(u32, Vec<u8>),
}

/// Engines joined back to back; engine `store_node` has the faulty store.
struct World {
    engines: Vec<E>,
    store_node: usize,
    store: BTreeMap<u32, Vec<u8>>,
    pending: Vec<(u64, Pending)>,
    faults: Faults,
    rng: Rng,
    step: u64,
    now: u64,
    /// Reader bytes per engine, by offset.
    read: Vec<BTreeMap<u64, Vec<u8>>>,
    /// Links closed since the last tick; they come back then (as a tracker's next announce
    /// would bring the peer back: an engine that lost a stored piece needs its seeder again).
    closed: Vec<(usize, usize)>,
}

impl World {
    fn new(engines: Vec<E>, store_node: usize, faults: Faults, seed: u64) -> Self {
        let n = engines.len();
        Self {
            engines,
            store_node,
            store: BTreeMap::new(),
            pending: Vec::new(),
            faults,
            rng: Rng::new(seed),
            step: 0,
            now: 0,
            read: vec![BTreeMap::new(); n],
            closed: Vec::new(),
        }
    }

    fn connect(&mut self, a: usize, b: usize) {
        let now = Millis(self.now);
        let peer = PeerKey(b as u64);
        self.engines[a].handle_input(now, Input::PeerConnected { peer });
        let peer = PeerKey(a as u64);
        self.engines[b].handle_input(now, Input::PeerConnected { peer });
    }

    fn answer(&mut self, req: Pending) {
        let now = Millis(self.now);
        let f = self.faults;
        let roll = self.rng.below(100);
        let e = &mut self.engines[self.store_node];
        match req {
            Pending::Write(piece, data) => {
                let result = if roll < f.quota {
                    Err(StoreError::Quota)
                } else {
                    self.store.insert(piece, data);
                    Ok(())
                };
                e.handle_input(now, Input::PieceStored { piece, result });
            }
            Pending::Read(piece) => {
                let mut bytes = self.store.get(&piece).cloned();
                if roll < f.missing {
                    bytes = None;
                } else if roll < f.missing + f.flip {
                    if let Some(b) = bytes.as_mut().filter(|b| !b.is_empty()) {
                        let at = self.rng.below(b.len() as u64) as usize;
                        b[at] ^= 0x40;
                    }
                } else if roll < f.missing + f.flip + f.short {
                    if let Some(b) = bytes.as_mut() {
                        b.pop();
                    }
                }
                let result = bytes.ok_or(StoreError::Missing);
                e.handle_input(now, Input::PieceLoaded { piece, result });
            }
            Pending::Hash(piece, data) => {
                let digest = crate::PieceHasher::sha1(&mut Sha1Smol, &data);
                let input = Input::PieceHashed {
                    piece,
                    digest,
                    data,
                };
                e.handle_input(now, input);
            }
        }
    }

    /// Moves bytes and store answers until `done` or `steps` run out; whether `done` held.
    fn run(&mut self, steps: usize, mut done: impl FnMut(&Self) -> bool) -> bool {
        for _ in 0..steps {
            if done(self) {
                return true;
            }
            self.step += 1;
            let mut moved = false;
            for i in 0..self.engines.len() {
                while let Some(out) = self.engines[i].poll_output() {
                    moved = true;
                    self.take(i, out);
                }
            }
            let due: Vec<usize> = (0..self.pending.len())
                .filter(|&k| self.pending[k].0 <= self.step)
                .collect();
            for k in due.into_iter().rev() {
                let (_, req) = self.pending.remove(k);
                self.answer(req);
                moved = true;
            }
            if !moved {
                for (a, b) in std::mem::take(&mut self.closed) {
                    self.connect(a, b);
                }
                self.now += crate::TICK_MS;
                for e in &mut self.engines {
                    e.handle_input(Millis(self.now), Input::Tick);
                }
            }
        }
        done(self)
    }

    fn take(&mut self, i: usize, out: Output) {
        let now = Millis(self.now);
        let at = self.step + self.rng.below(self.faults.max_delay + 1);
        match out {
            Output::Send { peer, bytes } => {
                let input = Input::PeerData {
                    peer: PeerKey(i as u64),
                    bytes: &bytes,
                };
                self.engines[peer.0 as usize].handle_input(now, input);
            }
            Output::Close { peer, .. } => {
                let input = Input::PeerGone {
                    peer: PeerKey(i as u64),
                };
                self.engines[peer.0 as usize].handle_input(now, input);
                self.closed.push((i, peer.0 as usize));
            }
            Output::StorePiece { piece, data } => {
                assert_eq!(i, self.store_node, "only the store node writes");
                self.pending.push((at, Pending::Write(piece, data)));
            }
            Output::LoadPiece { piece } => {
                assert_eq!(i, self.store_node, "only the store node reads");
                self.pending.push((at, Pending::Read(piece)));
            }
            Output::ReaderData { offset, bytes, .. } => {
                self.read[i].insert(offset, bytes);
            }
            Output::HashPiece { piece, data } => {
                self.pending.push((at, Pending::Hash(piece, data)));
            }
            Output::HttpRequest { .. } => panic!("no webseeds here"),
            Output::HttpCancel { .. }
            | Output::MetadataReady
            | Output::PieceVerified { .. }
            | Output::Complete
            | Output::PeerAddrs { .. } => {}
        }
    }

    /// The bytes reader output of engine `i` covers, contiguous from 0.
    fn read_bytes(&self, i: usize) -> Vec<u8> {
        let mut all = Vec::new();
        for (&off, b) in &self.read[i] {
            assert_eq!(off, all.len() as u64, "reader bytes come in order");
            all.extend_from_slice(b);
        }
        all
    }
}

fn store_config(id: u8, deferred: bool) -> Config {
    let mut c = cfg(id);
    c.external_store = true;
    c.deferred_hashing = deferred;
    c
}

fn read_everything(e: &mut E, len: u64) {
    let reader = ReaderId(0);
    let seek = Input::Seek {
        reader,
        offset: 0,
        end: len,
    };
    e.handle_input(Millis(0), seek);
}

#[test]
fn downloads_are_written_out_and_memory_keeps_only_the_window() {
    let len = 40 * PIECE;
    let (meta, data) = torrent(len, PIECE);
    let window = 4 * PIECE;
    let mut leecher = Engine::new(
        store_config(2, false),
        &meta,
        MemoryStorage::new(window),
        Sha1Smol,
    );
    read_everything(&mut leecher, len);
    let mut w = World::new(
        vec![seeder(&meta, &data, 1), leecher],
        1,
        Faults::default(),
        1,
    );
    w.connect(0, 1);
    assert!(w.run(20_000, |w| w.engines[1].is_complete()
        && w.pending.is_empty()));
    assert_eq!(w.read_bytes(1), data, "the reader got every byte, in order");
    assert_eq!(w.store.len(), 40, "every verified piece was written");
    assert!(w.engines[1].storage_mut().used() <= window);
    let s = w.engines[1].stats();
    assert_eq!(s.reader_bytes, len);
    assert_eq!(s.reader_bytes_from_store, 0, "nothing came from the store");
}

/// A download running ahead of a reader that waits (a player's consumer pulls slowly): with
/// `keep_ahead_bytes`, the small window keeps the pieces the reader reaches next instead of
/// the ones verified last, so moving on needs no load from the store.
#[test]
fn the_pieces_a_reader_reaches_next_stay_in_the_window() {
    let (meta, data) = torrent(32 * PIECE, PIECE);
    // The consumer has pulled piece 0 only; its next grant comes later.
    let leecher = reading_with_keep_ahead(&meta, (3, 4), |_| {});
    let mut w = World::new(
        vec![seeder(&meta, &data, 1), leecher],
        1,
        Faults::default(),
        5,
    );
    w.connect(0, 1);
    assert!(w.run(20_000, |w| w.engines[1].is_complete()
        && w.pending.is_empty()));
    assert_eq!(w.store.len(), 32, "every verified piece was written");
    for p in 1..4 {
        assert!(
            w.engines[1].storage_mut().has(p),
            "piece {p}, next for the reader, was evicted by pieces verified after it"
        );
    }
    let seek = Input::Seek {
        reader: ReaderId(0),
        offset: PIECE,
        end: 4 * PIECE,
    };
    w.engines[1].handle_input(Millis(w.now), seek);
    assert!(w.run(1_000, |w| w.read[1].len() == 4 && w.pending.is_empty()));
    assert_eq!(w.read_bytes(1), data[..4 * PIECE as usize]);
    assert_eq!(w.engines[1].stats().store_loads, 0, "nothing loaded back");
}

/// A leecher with a store, a keep-ahead and room in memory of `(keep, room)` pieces (`tune`
/// adjusts its config), whose reader wants the first piece.
fn reading_with_keep_ahead(
    meta: &metainfo::Metainfo,
    (keep, room): (u64, u64),
    tune: impl FnOnce(&mut Config),
) -> Engine<MemoryStorage, Sha1Smol> {
    let mut c = store_config(2, false);
    c.keep_ahead_bytes = keep * PIECE;
    tune(&mut c);
    let mut leecher = Engine::new(c, meta, MemoryStorage::new(room * PIECE), Sha1Smol);
    let seek = Input::Seek {
        reader: ReaderId(0),
        offset: 0,
        end: PIECE,
    };
    leecher.handle_input(Millis(0), seek);
    leecher
}

/// With `keep_ahead_bytes`, the pieces after a reader's deadline window come next, in order,
/// before rarest-first picks anywhere in the file.
#[test]
fn the_pieces_a_reader_reaches_next_are_fetched_first() {
    let (meta, data) = torrent(32 * PIECE, PIECE);
    let leecher = reading_with_keep_ahead(&meta, (4, 8), |c| c.max_inflight_bytes = 2 * PIECE);
    let mut w = World::new(
        vec![seeder(&meta, &data, 1), leecher],
        1,
        Faults::default(),
        9,
    );
    w.connect(0, 1);
    assert!(w.run(20_000, |w| w.engines[1].stats().pieces_verified >= 4));
    let e = &w.engines[1];
    let have: Vec<u32> = (0..32)
        .filter(|&p| e.torrent.as_ref().is_some_and(|t| t.picker.have.get(p)))
        .collect();
    assert_eq!(have[..4], [0, 1, 2, 3], "verified first: {have:?}");
}

/// A store that refuses every write, and a reader whose consumer waits: with a keep-ahead,
/// the download stops at what the reader reaches next instead of fetching pieces the window
/// would drop before the reader gets there (and fetch again later).
#[test]
fn a_refusing_store_keeps_the_download_near_the_readers() {
    let (meta, data) = torrent(32 * PIECE, PIECE);
    let leecher = reading_with_keep_ahead(&meta, (4, 8), |_| {});
    let faults = Faults {
        quota: 100,
        ..Faults::default()
    };
    let mut w = World::new(vec![seeder(&meta, &data, 1), leecher], 1, faults, 11);
    w.connect(0, 1);
    // Runs until nothing moves for many ticks (it never completes).
    w.run(5_000, |_| false);
    let s = w.engines[1].stats();
    assert!(s.store_write_failures > 0);
    assert!(
        s.downloaded_from_peers <= 8 * PIECE,
        "fetched {} pieces for a reader 5 pieces from the start",
        s.downloaded_from_peers / PIECE
    );
    assert_eq!(w.read_bytes(1), data[..PIECE as usize]);
}

/// A store that refuses every write (the browser's quota, nothing left to evict): the torrent
/// plays from memory. While the window holds a piece whose write failed, the engine keeps it:
/// every piece stays HAVE, and none is fetched twice.
#[test]
fn a_piece_whose_write_failed_stays_in_the_window() {
    let len = 20 * PIECE;
    let (meta, data) = torrent(len, PIECE);
    for deferred in [false, true] {
        let mut leecher = Engine::new(
            store_config(2, deferred),
            &meta,
            MemoryStorage::new(32 * PIECE),
            Sha1Smol,
        );
        read_everything(&mut leecher, len);
        let faults = Faults {
            quota: 100,
            max_delay: 3,
            ..Faults::default()
        };
        let mut w = World::new(vec![seeder(&meta, &data, 1), leecher], 1, faults, 7);
        w.connect(0, 1);
        let settled = w.run(20_000, |w| {
            w.engines[1].is_complete() && w.pending.is_empty()
        });
        assert!(settled, "deferred={deferred}");
        assert_eq!(w.read_bytes(1), data, "deferred={deferred}");
        assert!(w.store.is_empty());
        let s = w.engines[1].stats();
        assert_eq!(s.store_write_failures, 20, "deferred={deferred}");
        assert_eq!(
            s.downloaded_from_peers, len,
            "no piece fetched twice (deferred={deferred})"
        );
    }
}

/// A store slower than the download: the copies waiting for their write count against the
/// in-flight cap with the partial pieces, so what the engine holds outside its window stays
/// under the cap (the download waits for the store instead of piling up copies).
#[test]
fn pieces_waiting_for_a_slow_store_count_against_the_in_flight_cap() {
    let len = 40 * PIECE;
    let (meta, data) = torrent(len, PIECE);
    let mut c = store_config(2, false);
    c.max_inflight_bytes = 4 * PIECE;
    let leecher = Engine::new(c, &meta, MemoryStorage::new(4 * PIECE), Sha1Smol);
    let faults = Faults {
        max_delay: 40,
        ..Faults::default()
    };
    let mut w = World::new(vec![seeder(&meta, &data, 1), leecher], 1, faults, 3);
    w.connect(0, 1);
    let mut most = 0;
    let done = w.run(40_000, |w| {
        let e = &w.engines[1];
        let partial = e.torrent.as_ref().map_or(0, |t| t.picker.inflight_bytes);
        most = most.max(partial + e.store.writing_bytes);
        e.is_complete() && w.pending.is_empty()
    });
    assert!(done);
    assert_eq!(w.store.len(), 40, "every piece written");
    assert!(most <= 4 * PIECE, "held outside the window: {most} bytes");
    assert!(most >= 2 * PIECE, "the cap was reached: {most} bytes");
    assert_eq!(w.engines[1].store.writing_bytes, 0);
}

#[test]
fn a_resumed_engine_announces_reads_and_seeds_from_the_store() {
    let len = 30 * PIECE;
    let (meta, data) = torrent(len, PIECE);
    for deferred in [false, true] {
        let mut resumed = Engine::new(
            store_config(2, deferred),
            &meta,
            MemoryStorage::new(3 * PIECE),
            Sha1Smol,
        );
        for p in 0..30 {
            assert!(resumed.restore_piece(p));
        }
        assert!(resumed.is_complete(), "restored pieces are known at once");
        read_everything(&mut resumed, len);
        let fresh = Engine::new(cfg(3), &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
        let mut w = World::new(vec![resumed, fresh], 0, Faults::default(), 2);
        for (p, chunk) in data.chunks(PIECE as usize).enumerate() {
            w.store.insert(p as u32, chunk.to_vec());
        }
        w.connect(0, 1);
        let done = w.run(20_000, |w| {
            w.engines[1].is_complete()
                && w.read[0].values().map(Vec::len).sum::<usize>() == data.len()
        });
        assert!(done, "deferred={deferred}");
        assert_eq!(w.read_bytes(0), data, "deferred={deferred}");
        assert!(
            w.engines[1].is_complete(),
            "the store fed a fresh peer (deferred={deferred})"
        );
        let s = w.engines[0].stats();
        assert_eq!(s.reader_bytes_from_store, len, "hit rate 100 %");
        assert_eq!(s.downloaded_from_peers, 0);
        assert_eq!(w.engines[1].stats().hash_failures, 0);
    }
}

/// Property: whatever the store does (late, out of order, refusing writes, losing, flipping
/// or truncating pieces), the reader of the store engine gets exactly the torrent's bytes and
/// a peer fed from it never receives a byte that fails its hash.
#[test]
fn a_faulty_late_store_never_makes_the_engine_serve_an_unverified_byte() {
    let len = 24 * PIECE + 1000;
    let (meta, data) = torrent(len, PIECE);
    for seed in 0..24u64 {
        let faults = Faults {
            quota: seed % 3 * 10,
            missing: seed % 4 * 5,
            flip: 10 + seed % 5 * 5,
            short: seed % 2 * 10,
            max_delay: seed % 6,
        };
        let mut rng = Rng::new(seed + 100);
        let mut node = Engine::new(
            store_config(2, seed % 2 == 1),
            &meta,
            MemoryStorage::new(2 * PIECE),
            Sha1Smol,
        );
        // Resume from a store holding a random half of the pieces, some already damaged.
        let mut store = BTreeMap::new();
        let mut damaged = 0;
        for (p, chunk) in data.chunks(PIECE as usize).enumerate() {
            if rng.below(2) == 0 {
                let mut bytes = chunk.to_vec();
                if rng.below(4) == 0 {
                    bytes[rng.below(chunk.len() as u64) as usize] ^= 1;
                    damaged += 1;
                }
                store.insert(p as u32, bytes);
                assert!(node.restore_piece(p as u32));
            }
        }
        read_everything(&mut node, len);
        let fresh = Engine::new(cfg(3), &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
        let mut w = World::new(vec![seeder(&meta, &data, 1), node, fresh], 1, faults, seed);
        w.store = store;
        // The fresh peer's only source is the store node.
        w.connect(0, 1);
        w.connect(1, 2);
        let done = w.run(60_000, |w| {
            w.engines[2].is_complete()
                && w.read[1].values().map(Vec::len).sum::<usize>() == data.len()
        });
        assert!(
            done,
            "seed {seed}: everything arrived ({:?})",
            w.engines[1].stats()
        );
        assert_eq!(
            w.read_bytes(1),
            data,
            "seed {seed}: the reader got only verified bytes"
        );
        assert_eq!(
            w.engines[2].stats().hash_failures,
            0,
            "seed {seed}: the peer never got a damaged piece"
        );
        let s = w.engines[1].stats();
        assert!(
            damaged == 0 || s.store_misses > 0,
            "seed {seed}: damaged entries were caught"
        );
        assert!(w.engines[1].storage_mut().used() <= 2 * PIECE);
    }
}
