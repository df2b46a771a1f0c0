//! Endgame: once every missing block is requested, the last blocks are asked of a second peer
//! too, and when one copy arrives the other request is cancelled.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use wire::{BlockInfo, Message};

use super::remote::{config, requests, Bench, Sent};
use crate::{test_util::torrent, Engine, MemoryStorage, Output, Sha1Smol};

const PIECE: u64 = 32 * 1024;
const BLOCK: u32 = 16 * 1024;
/// Four pieces of two blocks.
const BLOCKS: usize = 8;

#[test]
fn the_last_blocks_go_to_a_second_peer_and_the_loser_is_cancelled() {
    let (meta, data) = torrent(4 * PIECE, PIECE);
    let engine = Engine::new(config(100), &meta, MemoryStorage::new(u64::MAX), Sha1Smol);
    let mut bench = Bench::new(engine);
    let piece_bytes = |b: BlockInfo| {
        let start = b.index as usize * PIECE as usize + b.begin as usize;
        data[start..start + b.length as usize].to_vec()
    };
    let answer = |bench: &mut Bench, key: u64, b: BlockInfo| {
        let bytes = piece_bytes(b);
        bench.say(
            key,
            &[Message::Piece {
                index: b.index,
                begin: b.begin,
                block: &bytes,
            }],
        );
    };

    // Peer 1 has everything and answers every request but the last two blocks'.
    bench.connect(1);
    bench.say(1, &[Message::HaveAll, Message::Unchoke]);
    let mut answered = 0;
    let mut withheld: Vec<BlockInfo> = Vec::new();
    loop {
        let asked = requests(&bench.take(1));
        if asked.is_empty() {
            break;
        }
        for b in asked {
            if answered < BLOCKS - 2 {
                answer(&mut bench, 1, b);
                answered += 1;
            } else {
                withheld.push(b);
            }
        }
    }
    assert_eq!(withheld.len(), 2, "peer 1 was asked for every block");
    assert!(!bench.engine.is_complete());

    // Peer 2 arrives with everything: the engine asks it for exactly the blocks still out.
    bench.connect(2);
    bench.say(2, &[Message::HaveAll, Message::Unchoke]);
    let mut dup = requests(&bench.take(2));
    dup.sort_by_key(|b| (b.index, b.begin));
    withheld.sort_by_key(|b| (b.index, b.begin));
    assert_eq!(dup, withheld, "endgame duplicates the outstanding blocks");
    assert!(dup.iter().all(|b| b.length == BLOCK));

    // Peer 2 delivers the first one: peer 1's request for it is cancelled.
    answer(&mut bench, 2, withheld[0]);
    assert!(bench.take(1).contains(&Sent::Cancel(withheld[0])));
    // Peer 1 delivers the second one: peer 2's request is cancelled, and the torrent is done.
    answer(&mut bench, 1, withheld[1]);
    let to_2 = bench.take(2);
    assert!(to_2.contains(&Sent::Cancel(withheld[1])), "{to_2:?}");
    assert!(bench.engine.is_complete());
    assert!(bench.others.contains(&Output::Complete));
    // Nothing arrived twice: the cancels went out before a duplicate could be sent.
    assert_eq!(bench.engine.stats().wasted, 0);
    assert_eq!(bench.engine.stats().downloaded_from_peers, 4 * PIECE);
}
