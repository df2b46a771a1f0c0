//! The request pipeline while a peer streams blocks, with the engine driven as a platform
//! drives it: every block is an input of its own, and a tick comes only when
//! `poll_timeout` is due (the platform re-arms its timer after every input). And the other
//! small messages a downloading peer sends per piece: haves.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use wire::{encode_donthave, BlockInfo, Extension, Message};

use super::remote::{config, requests, Bench, Sent};
use crate::{test_util::torrent, Engine, MemoryStorage, Sha1Smol, BLOCK_LEN};

const PIECE: u64 = 256 * 1024;
const LEN: u64 = 12 * 1024 * 1024;
/// The remote answers a request this long after it was sent (much less than a tick).
const RTT_MS: u64 = 5;

/// What one download from a remote that answers every request after [`RTT_MS`] looked like.
struct Run {
    /// Most requests out at once.
    deepest: usize,
    /// Requests per message once the pipeline had been 64 deep.
    batches_when_deep: Vec<usize>,
    complete: bool,
    /// Every request, in the order it was sent: (piece, offset).
    order: Vec<(u32, u32)>,
}

fn stream() -> Run {
    stream_with(|_| {})
}

fn stream_with(tune: impl FnOnce(&mut crate::Config)) -> Run {
    let (meta, data) = torrent(LEN, PIECE);
    let mut c = config(100);
    tune(&mut c);
    let engine = Engine::new(c, &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let mut bench = Bench::new(engine);
    bench.connect(1);
    bench.say(1, &[Message::HaveAll, Message::Unchoke]);
    let mut asked: Vec<BlockInfo> = requests(&bench.take(1));
    let mut run = Run {
        deepest: asked.len(),
        batches_when_deep: Vec::new(),
        complete: false,
        order: asked.iter().map(|b| (b.index, b.begin)).collect(),
    };
    bench.take_request_batches(1);
    while !bench.engine.is_complete() && bench.now < 20_000 {
        bench.now += RTT_MS;
        // Every request out is answered now, one block per message.
        let answered = std::mem::take(&mut asked);
        for b in &answered {
            let start = (u64::from(b.index) * PIECE) as usize + b.begin as usize;
            let block = &data[start..start + b.length as usize];
            bench.say(
                1,
                &[Message::Piece {
                    index: b.index,
                    begin: b.begin,
                    block,
                }],
            );
            asked.extend(requests(&bench.take(1)));
        }
        if bench.now >= bench.engine.poll_timeout().0 {
            bench.tick();
            asked.extend(requests(&bench.take(1)));
        }
        let batches = bench.take_request_batches(1);
        if run.deepest >= 64 {
            run.batches_when_deep.extend(batches);
        }
        run.deepest = run.deepest.max(asked.len());
        run.order.extend(asked.iter().map(|b| (b.index, b.begin)));
    }
    run.complete = bench.engine.is_complete();
    run
}

#[test]
fn ticks_come_while_blocks_stream_in_and_the_pipeline_deepens() {
    let run = stream();
    assert!(run.complete, "downloaded within 20 s of engine time");
    // At 5 ms a round trip, 2 requests (the pipeline before any rate is known) move 6.4 MB/s,
    // which asks for the pipeline's cap (128) once the rate is measured on a tick.
    assert!(
        run.deepest >= 64,
        "the pipeline stayed at {} requests",
        run.deepest
    );
}

#[test]
fn a_deep_pipeline_is_topped_up_in_batches_not_per_block() {
    let run = stream();
    let batches = &run.batches_when_deep;
    assert!(!batches.is_empty(), "the pipeline never got deep");
    let mean = batches.iter().sum::<usize>() as f64 / batches.len() as f64;
    assert!(
        mean >= 16.0,
        "{} messages of {mean:.1} requests on average",
        batches.len()
    );
}

#[test]
fn haves_go_only_to_peers_without_the_piece_and_again_after_a_donthave() {
    const SMALL: u64 = 32 * 1024;
    let (meta, data) = torrent(3 * SMALL, SMALL);
    let engine = Engine::new(config(100), &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let mut bench = Bench::new(engine);
    // 1 has pieces 0 and 1 (nobody has piece 2), 2 has nothing.
    bench.connect(1);
    bench.say(1, &[Message::Bitfield(&[0b1100_0000]), Message::Unchoke]);
    bench.connect(2);
    bench.say(2, &[Message::HaveNone]);
    let mut to_1 = Vec::new();
    let mut asked = requests(&bench.take(1));
    while let Some(b) = asked.pop() {
        let start = (u64::from(b.index) * SMALL) as usize + b.begin as usize;
        let block = &data[start..start + b.length as usize];
        bench.say(
            1,
            &[Message::Piece {
                index: b.index,
                begin: b.begin,
                block,
            }],
        );
        let sent = bench.take(1);
        asked.extend(requests(&sent));
        to_1.extend(sent);
    }
    assert!(bench.engine.has_piece(0) && bench.engine.has_piece(1));
    let haves = |sent: Vec<Sent>| -> Vec<u32> {
        sent.into_iter()
            .filter_map(|s| match s {
                Sent::Have(p) => Some(p),
                _ => None,
            })
            .collect()
    };
    assert_eq!(haves(to_1), Vec::<u32>::new(), "1 has them");
    let mut to_2 = haves(bench.take(2));
    to_2.sort_unstable();
    assert_eq!(to_2, vec![0, 1]);
    // 1 drops piece 1 (lt_donthave): now it is told we have it.
    let mut payload = Vec::new();
    encode_donthave(1, &mut payload);
    let id = Extension::LtDonthave.local_id();
    bench.say(
        1,
        &[Message::Extended {
            id,
            payload: &payload,
        }],
    );
    assert_eq!(haves(bench.take(1)), vec![1]);
}

/// With `Config::in_order` and no reader (an HLS segment fetched ahead of time), the pieces
/// are asked for lowest first: what arrives before a source falls silent is a prefix of the
/// file, which HTTP can resume after. Rarest-first would start anywhere.
#[test]
fn in_order_asks_for_the_lowest_pieces_first_without_a_reader() {
    let run = stream_with(|c| c.in_order = true);
    assert!(run.complete);
    let blocks_per_piece = (PIECE / u64::from(BLOCK_LEN)) as u32;
    let want: Vec<(u32, u32)> = (0..(LEN / u64::from(BLOCK_LEN)) as u32)
        .map(|i| (i / blocks_per_piece, i % blocks_per_piece * BLOCK_LEN))
        .collect();
    assert_eq!(run.order, want);
    // The default starts elsewhere (rarest first, ties at random).
    assert_ne!(stream().order, want);
}
