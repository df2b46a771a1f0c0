//! Engine tests: two or three engines wired back to back (no simulator: zero latency, no
//! bandwidth limit), checking the invariants after every input.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use metainfo::PeerId;
use wire::Message;

use crate::{
    test_util::torrent, CloseReason, Config, Engine, HttpRequestId, Input, MemoryStorage, Millis,
    Output, PeerKey, ReaderId, Sha1Smol,
};

// One engine against scripted remote peers (`remote`): choking and endgame.
mod choking;
mod endgame;
// Pieces the driver hashed already.
mod handshake_timeout;
mod hashed_import;
mod offering;
mod pex;
// The request pipeline while blocks stream in.
mod pipeline;
mod remote;
// The persistent store seam: late, failing and lying stores; what a loaded piece costs.
mod loaded_buffer;
mod store;
// Serving what the engine has while the driver fetches the rest elsewhere.
mod upload_only;

type E = Engine<MemoryStorage, Sha1Smol>;

fn cfg(id: u8) -> Config {
    let mut c = Config::new(PeerId::from([id; 20]), u64::from(id));
    c.check_invariants = true;
    c
}

/// Engines `a` and `b` joined as peer key = the other's index. `tamper` may rewrite bytes
/// from `from`. Returns the outputs each engine produced that were not `Send`.
struct Net {
    engines: Vec<E>,
    now: u64,
    others: Vec<Vec<Output>>,
}

impl Net {
    fn connect(&mut self, a: usize, b: usize) {
        let now = Millis(self.now);
        self.engines[a].handle_input(
            now,
            Input::PeerConnected {
                peer: PeerKey(b as u64),
            },
        );
        self.engines[b].handle_input(
            now,
            Input::PeerConnected {
                peer: PeerKey(a as u64),
            },
        );
    }

    fn run(&mut self, steps: usize, tamper: &mut dyn FnMut(usize, &mut Vec<u8>)) {
        for _ in 0..steps {
            let mut moved = false;
            for i in 0..self.engines.len() {
                while let Some(out) = self.engines[i].poll_output() {
                    match out {
                        Output::Send { peer, mut bytes } => {
                            tamper(i, &mut bytes);
                            let to = peer.0 as usize;
                            let input = Input::PeerData {
                                peer: PeerKey(i as u64),
                                bytes: &bytes,
                            };
                            self.engines[to].handle_input(Millis(self.now), input);
                            moved = true;
                        }
                        Output::Close { peer, .. } => {
                            let to = peer.0 as usize;
                            self.engines[to].handle_input(
                                Millis(self.now),
                                Input::PeerGone {
                                    peer: PeerKey(i as u64),
                                },
                            );
                            self.others[i].push(out);
                        }
                        other => self.others[i].push(other),
                    }
                }
            }
            if !moved {
                self.now += crate::TICK_MS;
                for e in &mut self.engines {
                    e.handle_input(Millis(self.now), Input::Tick);
                }
            }
        }
    }
}

fn seeder(meta: &metainfo::Metainfo, data: &[u8], id: u8) -> E {
    let mut e = Engine::new(cfg(id), meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let plen = meta.info.piece_length as usize;
    for (i, chunk) in data.chunks(plen).enumerate() {
        assert!(e.import_piece(i as u32, chunk.to_vec()));
    }
    assert!(e.is_complete());
    e
}

fn read_all(e: &mut E, len: u64, plen: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let n = len.div_ceil(plen) as u32;
    for p in 0..n {
        let size = (len - u64::from(p) * plen).min(plen) as u32;
        crate::Storage::read(e.storage_mut(), p, 0, size, &mut out).unwrap();
    }
    out
}

#[test]
fn seeder_to_leecher_bytes_identical_and_reader_gets_them_in_order() {
    let (meta, data) = torrent(300_000, 32 * 1024);
    let leecher = Engine::new(cfg(2), &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let mut net = Net {
        engines: vec![seeder(&meta, &data, 1), leecher],
        now: 0,
        others: vec![vec![], vec![]],
    };
    net.engines[1].handle_input(
        Millis(0),
        Input::Seek {
            reader: ReaderId(0),
            offset: 100_000,
            end: u64::MAX,
        },
    );
    net.connect(0, 1);
    net.run(2000, &mut |_, _| {});
    assert!(net.engines[1].is_complete());
    assert_eq!(read_all(&mut net.engines[1], 300_000, 32 * 1024), data);
    let mut got = Vec::new();
    for o in &net.others[1] {
        if let Output::ReaderData { offset, bytes, .. } = o {
            assert_eq!(*offset, 100_000 + got.len() as u64);
            got.extend_from_slice(bytes);
        }
    }
    assert_eq!(got, data[100_000..]);
    // Both complete: the connection is closed as useless.
    assert!(net.others[1].iter().any(|o| matches!(
        o,
        Output::Close {
            reason: CloseReason::BothSeeding,
            ..
        }
    )));
    assert_eq!(net.engines[0].stats().uploaded, 300_000);
}

#[test]
fn magnet_leecher_fetches_metadata_then_data() {
    let (meta, data) = torrent(100_000, 16 * 1024);
    let leecher = Engine::from_magnet(
        cfg(2),
        meta.info_hash,
        vec![],
        MemoryStorage::new(u64::MAX),
        Sha1Smol,
    );
    let mut net = Net {
        engines: vec![seeder(&meta, &data, 1), leecher],
        now: 0,
        others: vec![vec![], vec![]],
    };
    assert!(net.engines[1].info().is_none());
    net.connect(0, 1);
    net.run(2000, &mut |_, _| {});
    assert!(net.others[1].contains(&Output::MetadataReady));
    assert_eq!(net.engines[1].info().unwrap().info_hash, meta.info_hash);
    assert!(net.engines[1].is_complete());
    assert_eq!(read_all(&mut net.engines[1], 100_000, 16 * 1024), data);
}

#[test]
fn corrupting_peer_is_banned_and_honest_one_completes() {
    let (meta, data) = torrent(400_000, 32 * 1024);
    let leecher = Engine::new(cfg(3), &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let mut net = Net {
        engines: vec![seeder(&meta, &data, 1), seeder(&meta, &data, 2), leecher],
        now: 0,
        others: vec![vec![], vec![], vec![]],
    };
    net.connect(0, 2);
    net.connect(1, 2);
    // Engine 1 flips the last byte of every piece message it sends.
    net.run(5000, &mut |from, bytes| {
        if from == 1 && bytes.len() > 5 + 8 && bytes[4] == wire::id::PIECE {
            *bytes.last_mut().unwrap() ^= 0xff;
        }
    });
    let e = &mut net.engines[2];
    assert!(e.is_complete());
    assert!(e.stats().hash_failures >= 1);
    assert_eq!(e.stats().peers_banned, 1);
    assert!(net.others[2].contains(&Output::Close {
        peer: PeerKey(1),
        reason: CloseReason::Banned
    }));
    assert_eq!(read_all(e, 400_000, 32 * 1024), data);
}

#[test]
fn webseed_only_download_and_bad_responses() {
    let (meta, data) = torrent(200_000, 32 * 1024);
    let mut meta = meta;
    meta.url_list = vec!["https://seed.example/t.bin".into()];
    let mut e = Engine::new(cfg(1), &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let mut now = 0;
    let mut failed_once = false;
    for _ in 0..500 {
        now += crate::TICK_MS;
        e.handle_input(Millis(now), Input::Tick);
        let mut reqs: Vec<(HttpRequestId, std::ops::Range<u64>)> = Vec::new();
        while let Some(o) = e.poll_output() {
            if let Output::HttpRequest {
                id,
                webseed: 0,
                range,
            } = o
            {
                reqs.push((id, range));
            }
        }
        for (id, range) in reqs {
            if !failed_once {
                failed_once = true;
                let input = Input::HttpResponse {
                    id,
                    result: Err(crate::HttpError::Status(503)),
                };
                e.handle_input(Millis(now), input);
                continue;
            }
            let body = &data[range.start as usize..range.end as usize];
            e.handle_input(
                Millis(now),
                Input::HttpResponse {
                    id,
                    result: Ok(body),
                },
            );
        }
        if e.is_complete() {
            break;
        }
    }
    assert!(e.is_complete());
    assert_eq!(e.stats().downloaded_from_webseeds, 200_000);
    assert_eq!(read_all(&mut e, 200_000, 32 * 1024), data);
}

#[test]
fn a_critical_piece_stuck_at_a_silent_webseed_is_asked_of_another() {
    // Webseed 0 never answers (a companion's gateway with no TCP peers); webseed 1 does. The
    // reader's pieces first asked of webseed 0 must not wait for the 60 s request timeout.
    let (meta, data) = torrent(200_000, 32 * 1024);
    let mut meta = meta;
    meta.url_list = vec![
        "https://silent.example/t.bin".into(),
        "https://seed.example/t.bin".into(),
    ];
    let mut e = Engine::new(cfg(1), &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let seek = Input::Seek {
        reader: ReaderId(0),
        offset: 0,
        end: u64::MAX,
    };
    e.handle_input(Millis(0), seek);
    let mut now = 0;
    let mut silent: Vec<HttpRequestId> = Vec::new();
    let mut cancelled: Vec<HttpRequestId> = Vec::new();
    while !e.is_complete() && now < 60_000 {
        now += crate::TICK_MS;
        e.handle_input(Millis(now), Input::Tick);
        let outputs: Vec<Output> = std::iter::from_fn(|| e.poll_output()).collect();
        for o in outputs {
            match o {
                Output::HttpRequest { id, webseed: 0, .. } => silent.push(id),
                Output::HttpRequest {
                    id,
                    webseed: 1,
                    range,
                } => {
                    let body = &data[range.start as usize..range.end as usize];
                    let result = Ok(body);
                    e.handle_input(Millis(now), Input::HttpResponse { id, result });
                }
                Output::HttpCancel { id } => cancelled.push(id),
                _ => {}
            }
        }
    }
    cancelled.extend(
        std::iter::from_fn(|| e.poll_output()).filter_map(|o| match o {
            Output::HttpCancel { id } => Some(id),
            _ => None,
        }),
    );
    assert!(e.is_complete(), "still incomplete after {now} ms");
    assert!(now < 60_000 / 2, "took {now} ms");
    assert!(!silent.is_empty(), "the silent webseed was asked first");
    // Each of its requests was overtaken, and cancelled once its piece was verified.
    for id in &silent {
        assert!(cancelled.contains(id), "{id:?} not cancelled");
    }
    assert_eq!(read_all(&mut e, 200_000, 32 * 1024), data);
}

#[test]
fn oversized_message_closes_with_protocol_error() {
    let (meta, data) = torrent(50_000, 16 * 1024);
    let mut e = seeder(&meta, &data, 1);
    e.handle_input(Millis(0), Input::PeerConnected { peer: PeerKey(9) });
    let mut bytes = Vec::new();
    wire::Handshake::new(meta.info_hash, PeerId::from([9; 20])).encode(&mut bytes);
    Message::Interested.encode(&mut bytes);
    bytes.extend_from_slice(&(1u32 << 30).to_be_bytes());
    bytes.push(wire::id::PIECE);
    e.handle_input(
        Millis(1),
        Input::PeerData {
            peer: PeerKey(9),
            bytes: &bytes,
        },
    );
    let outs: Vec<Output> = std::iter::from_fn(|| e.poll_output()).collect();
    assert!(outs.iter().any(|o| matches!(
        o,
        Output::Close {
            peer: PeerKey(9),
            reason: CloseReason::Protocol(_)
        }
    )));
    assert_eq!(e.peer_count(), 0);
    // The banned id cannot come back.
    e.handle_input(Millis(2), Input::PeerConnected { peer: PeerKey(10) });
    let mut hs = Vec::new();
    wire::Handshake::new(meta.info_hash, PeerId::from([9; 20])).encode(&mut hs);
    e.handle_input(
        Millis(2),
        Input::PeerData {
            peer: PeerKey(10),
            bytes: &hs,
        },
    );
    let outs: Vec<Output> = std::iter::from_fn(|| e.poll_output()).collect();
    assert!(outs.contains(&Output::Close {
        peer: PeerKey(10),
        reason: CloseReason::Banned
    }));
}

#[test]
fn never_requests_what_a_peer_lacks() {
    let (meta, data) = torrent(64 * 1024, 16 * 1024);
    let mut half = seeder(&meta, &data, 1);
    // Drop pieces 2 and 3 from the seeder's view by building a partial one instead.
    let mut partial = Engine::new(cfg(1), &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    for p in 0..2u32 {
        let s = p as usize * 16 * 1024;
        assert!(partial.import_piece(p, data[s..s + 16 * 1024].to_vec()));
    }
    std::mem::swap(&mut half, &mut partial);
    let leecher = Engine::new(cfg(2), &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let mut net = Net {
        engines: vec![half, leecher],
        now: 0,
        others: vec![vec![], vec![]],
    };
    net.connect(0, 1);
    net.run(300, &mut |from, bytes| {
        if from == 1 {
            let mut rest = &bytes[..];
            while let Ok((m, used)) = Message::decode(rest, &wire::Limits::default()) {
                if let Message::Request(b) = m {
                    assert!(b.index < 2, "asked for piece {} the peer lacks", b.index);
                }
                rest = &rest[used..];
            }
        }
    });
    assert!(net.engines[1].has_piece(0) && net.engines[1].has_piece(1));
    assert!(!net.engines[1].has_piece(2));
}

#[test]
fn deferred_hashing_waits_for_the_driver_and_judges_its_digest() {
    use crate::PieceHasher;
    let (meta, data) = torrent(300_000, 32 * 1024);
    let mut c = cfg(2);
    c.deferred_hashing = true;
    let leecher = Engine::new(c, &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let mut net = Net {
        engines: vec![seeder(&meta, &data, 1), leecher],
        now: 0,
        others: vec![vec![], vec![]],
    };
    net.connect(0, 1);
    // A digest for a piece the engine is not waiting on changes nothing.
    net.engines[1].handle_input(
        Millis(0),
        Input::PieceHashed {
            piece: 3,
            digest: [0; 20],
            data: vec![0; 16],
        },
    );
    let (mut lied, mut cut) = (false, false);
    let mut rounds = 0;
    while !net.engines[1].is_complete() && rounds < 100 {
        rounds += 1;
        net.run(50, &mut |_, _| {});
        let asked: Vec<(u32, Vec<u8>)> = net.others[1]
            .drain(..)
            .filter_map(|o| match o {
                Output::HashPiece { piece, data } => Some((piece, data)),
                _ => None,
            })
            .collect();
        if rounds == 1 {
            // Whole pieces arrived, but nothing is verified before the driver answers.
            assert!(!asked.is_empty());
            assert_eq!(net.engines[1].stats().pieces_verified, 0);
        }
        for (piece, bytes) in asked {
            let mut digest = Sha1Smol.sha1(&bytes);
            let mut data = bytes;
            if piece == 2 && !lied {
                // A wrong digest: the piece is discarded and fetched again.
                digest[0] ^= 1;
                lied = true;
            }
            if piece == 3 && !cut {
                // The right digest, but the bytes given back are short: not kept either, and
                // not held against the peer (not a hash failure).
                data.pop();
                cut = true;
            }
            let input = Input::PieceHashed {
                piece,
                digest,
                data,
            };
            net.engines[1].handle_input(Millis(net.now), input);
        }
    }
    assert!(lied && cut);
    assert!(net.engines[1].is_complete());
    assert_eq!(net.engines[1].stats().hash_failures, 1);
    assert_eq!(
        net.engines[1].stats().wasted,
        2 * 32 * 1024,
        "both fetched again"
    );
    assert_eq!(read_all(&mut net.engines[1], 300_000, 32 * 1024), data);
}
