//! Two torrents in one page connected by a real `RTCPeerConnection` (the offer and answer are
//! handed over directly instead of through a tracker): the leecher's reader must get every
//! byte of the seeder's file. The leecher hashes with SubtleCrypto, as a real page does.

use std::rc::Rc;

use wasm_bindgen_test::wasm_bindgen_test as test;

use super::{peer, BrowserPlatform, SharedNet};
use crate::{cell::TorrentCell, client::Torrent};

fn torrent_of(data: &[u8], piece_length: u64) -> metainfo::Metainfo {
    let files = vec![(vec!["f.bin".into()], data.len() as u64)];
    let mut b = metainfo::TorrentBuilder::new("f.bin", files, piece_length);
    b.update(data);
    metainfo::Metainfo::from_bytes(&b.finish().expect("built")).expect("parses")
}

fn engine(
    meta: &metainfo::Metainfo,
    id: u8,
    deferred_hashing: bool,
) -> swarm::Engine<swarm::MemoryStorage, swarm::Sha1Smol> {
    let mut cfg = swarm::Config::new(metainfo::PeerId::from([id; 20]), u64::from(id));
    cfg.deferred_hashing = deferred_hashing;
    swarm::Engine::new(
        cfg,
        meta,
        swarm::MemoryStorage::new(crate::client::STORAGE_BYTES),
        swarm::Sha1Smol,
    )
}

/// A torrent with no trackers on the browser platform, and that platform's state.
fn start(
    engine: swarm::Engine<swarm::MemoryStorage, swarm::Sha1Smol>,
) -> (Rc<TorrentCell>, SharedNet) {
    let magnet = metainfo::Magnet::new(engine.info_hash());
    // No trackers: the peer id is never announced.
    let cfg = session::SessionConfig::new([0; 20], 7);
    let mut net = None;
    let cell = TorrentCell::start(engine, cfg, magnet, |sink| {
        let p = BrowserPlatform::new(sink, Vec::new(), None);
        net = Some(p.net());
        Box::new(p)
    });
    (cell, net.expect("the platform was made"))
}

#[test]
async fn a_file_crosses_a_real_data_channel() {
    let data: Vec<u8> = (0..1_500_000u32).map(|i| (i * 13 % 251) as u8).collect();
    let meta = torrent_of(&data, 64 * 1024);
    // The test runner serves the page from 127.0.0.1, a secure context.
    assert!(super::hashing::available(), "SubtleCrypto is there");
    let mut seed_engine = engine(&meta, 1, false);
    for p in 0..meta.info.piece_count() {
        let off = meta.info.piece_offset(p) as usize;
        let len = meta.info.piece_size(p) as usize;
        assert!(seed_engine.import_piece(p, data[off..off + len].to_vec()));
    }
    let (seeder, seeder_net) = start(seed_engine);
    let (leecher, leecher_net) = start(engine(&meta, 2, true));

    // Each side takes a slot for the connection, as a transport without signalling would.
    let a = seeder
        .with(|s, _| s.accept_peer())
        .flatten()
        .expect("a slot");
    let b = leecher
        .with(|s, _| s.accept_peer())
        .flatten()
        .expect("a slot");
    let offer = peer::offer_sdp(&seeder_net, a).await.expect("an offer");
    assert!(
        offer.contains("a=candidate"),
        "gathering finished with candidates"
    );
    let answer = peer::answer_sdp(&leecher_net, b, &offer)
        .await
        .expect("an answer");
    peer::apply_answer(&seeder_net, a, &answer);

    let torrent = Torrent {
        cell: Rc::clone(&leecher),
    };
    let info = torrent.metadata().await.expect("metadata of a .torrent");
    assert_eq!(info.length, data.len() as u64);
    let mut reader = torrent.reader(0, 10, info.length).expect("a reader");
    let mut got = Vec::new();
    while let Some(chunk) = reader.next_chunk().await {
        got.extend_from_slice(&chunk.expect("no error"));
    }
    assert_eq!(got.len(), data.len() - 10);
    assert!(got == data[10..], "bytes differ");
    let stats = torrent.stats();
    assert_eq!(stats.pieces_verified, meta.info.piece_count());
    assert!(stats.bytes_from_peers >= got.len() as u64);
    torrent.destroy();
    Torrent { cell: seeder }.destroy();
    assert!(reader.next_chunk().await.is_none());
}
