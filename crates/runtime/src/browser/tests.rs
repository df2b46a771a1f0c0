//! Two torrents in one page connected by a real `RTCPeerConnection` (the offer and answer are
//! handed over directly instead of through a tracker): the leecher's reader must get every
//! byte of the seeder's file. The leecher hashes with SubtleCrypto, as a real page does.

use std::rc::Rc;

use wasm_bindgen_test::wasm_bindgen_test as test;

use super::peer;
use crate::{client::Torrent, config::ClientConfig};

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
        swarm::MemoryStorage::new(crate::core::STORAGE_BYTES),
        swarm::Sha1Smol,
    )
}

#[test]
async fn a_file_crosses_a_real_data_channel() {
    let data: Vec<u8> = (0..1_500_000u32).map(|i| (i * 13 % 251) as u8).collect();
    let meta = torrent_of(&data, 64 * 1024);
    let cfg = ClientConfig {
        trackers: Vec::new(),
        ice_servers: Vec::new(),
        ..ClientConfig::default()
    };
    // The test runner serves the page from 127.0.0.1, a secure context.
    assert!(super::hashing::available(), "SubtleCrypto is there");
    let mut seed_engine = engine(&meta, 1, false);
    for p in 0..meta.info.piece_count() {
        let off = meta.info.piece_offset(p) as usize;
        let len = meta.info.piece_size(p) as usize;
        assert!(seed_engine.import_piece(p, data[off..off + len].to_vec()));
    }
    let seeder = super::start(seed_engine, &cfg, [1; 20], Vec::new(), Vec::new());
    let leecher = super::start(
        engine(&meta, 2, true),
        &cfg,
        [2; 20],
        Vec::new(),
        Vec::new(),
    );

    let (key, offer) = peer::make_offer(&seeder).await.expect("an offer");
    assert!(
        offer.sdp.contains("a=candidate"),
        "gathering finished with candidates"
    );
    let answer = peer::make_answer(&leecher, &offer.sdp)
        .await
        .expect("an answer");
    peer::accept_answer(&seeder, key, &answer.sdp).await;

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
