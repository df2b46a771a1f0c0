//! CPU cost of the engine: a seeder and a leecher wired back to back (no network model) move a
//! 16 MiB torrent, once with real SHA-1 and once with a hasher that looks the digests up in a
//! table made beforehand (the engine's own cost, without hashing); and SHA-1 throughput
//! (sha1_smol) over the same bytes. See docs/benchmarks.md.

// Criterion is native-only; on wasm this bench is an empty program.
#[cfg(not(target_family = "wasm"))]
mod native {
    use criterion::{criterion_group, Criterion, Throughput};
    use metainfo::{Metainfo, PeerId, TorrentBuilder};
    use shoal_swarm::{
        Config, Engine, Input, MemoryStorage, Millis, Output, PeerKey, PieceHasher, Sha1Smol,
    };
    use std::collections::HashMap;

    const SIZE: usize = 16 * 1024 * 1024;
    const PIECE: u64 = 256 * 1024;

    fn torrent() -> (Metainfo, Vec<u8>) {
        let data: Vec<u8> = (0..SIZE).map(|i| (i * 7 % 253) as u8).collect();
        let mut b = TorrentBuilder::new("b", vec![(vec!["b".into()], SIZE as u64)], PIECE)
            .single_file(true);
        b.update(&data);
        let torrent = b.finish().expect("sizes match");
        (Metainfo::from_bytes(&torrent).expect("valid torrent"), data)
    }

    /// Digests computed before the timed run, found again by the piece's length and first and
    /// last 32 bytes (every piece of the bench data differs there). Hashing then costs a map
    /// lookup, so the timing is the engine's own work: framing, copies, storage, bookkeeping.
    #[derive(Clone)]
    struct PrecomputedDigests(HashMap<(usize, [u8; 32], [u8; 32]), [u8; 20]>);

    fn key(data: &[u8]) -> (usize, [u8; 32], [u8; 32]) {
        let mut head = [0; 32];
        let mut tail = [0; 32];
        let n = data.len().min(32);
        head[..n].copy_from_slice(&data[..n]);
        tail[..n].copy_from_slice(&data[data.len() - n..]);
        (data.len(), head, tail)
    }

    impl PrecomputedDigests {
        fn new(data: &[u8]) -> Self {
            let table = data
                .chunks(PIECE as usize)
                .map(|p| (key(p), sha1_smol::Sha1::from(p).digest().bytes()))
                .collect::<HashMap<_, _>>();
            assert_eq!(
                table.len(),
                data.len().div_ceil(PIECE as usize),
                "keys collide"
            );
            Self(table)
        }
    }

    impl PieceHasher for PrecomputedDigests {
        fn sha1(&mut self, data: &[u8]) -> [u8; 20] {
            // Unknown bytes get a digest no piece has, so they fail verification as they should.
            self.0.get(&key(data)).copied().unwrap_or([0; 20])
        }
    }

    fn transfer<H: PieceHasher + Clone>(meta: &Metainfo, data: &[u8], hasher: &H) {
        let mk = |id: u8| {
            Engine::new(
                Config::new(PeerId::from([id; 20]), 1),
                meta,
                MemoryStorage::new(u64::MAX),
                hasher.clone(),
            )
        };
        let mut e = [mk(1), mk(2)];
        for (i, c) in data.chunks(PIECE as usize).enumerate() {
            e[0].import_piece(i as u32, c.to_vec());
        }
        let mut now = 0;
        e[0].handle_input(Millis(0), Input::PeerConnected { peer: PeerKey(1) });
        e[1].handle_input(Millis(0), Input::PeerConnected { peer: PeerKey(0) });
        while !e[1].is_complete() {
            let mut moved = false;
            for i in 0..2 {
                while let Some(o) = e[i].poll_output() {
                    if let Output::Send { bytes, .. } = o {
                        e[1 - i].handle_input(
                            Millis(now),
                            Input::PeerData {
                                peer: PeerKey(i as u64),
                                bytes: &bytes,
                            },
                        );
                        moved = true;
                    }
                }
            }
            if !moved {
                now += 200;
                e[0].handle_input(Millis(now), Input::Tick);
                e[1].handle_input(Millis(now), Input::Tick);
            }
        }
    }

    fn bench(c: &mut Criterion) {
        let (meta, data) = torrent();
        let mut g = c.benchmark_group("swarm");
        g.sample_size(10);
        g.throughput(Throughput::Bytes(SIZE as u64));
        g.bench_function("transfer_16MiB_with_sha1", |b| {
            b.iter(|| transfer(&meta, &data, &Sha1Smol))
        });
        let table = PrecomputedDigests::new(&data);
        g.bench_function("transfer_16MiB_without_hashing", |b| {
            b.iter(|| transfer(&meta, &data, &table))
        });
        g.bench_function("sha1_smol_16MiB", |b| {
            b.iter(|| sha1_smol::Sha1::from(&data[..]).digest().bytes())
        });
        g.finish();
    }

    criterion_group!(benches, bench);
}

#[cfg(not(target_family = "wasm"))]
criterion::criterion_main!(native::benches);

#[cfg(target_family = "wasm")]
fn main() {}
