//! CPU cost of the engine: a seeder and a leecher wired back to back (no network model) move a
//! 16 MiB torrent; and SHA-1 throughput (sha1_smol) over the same bytes. Engine cost without
//! hashing = transfer time − 2 × hashing time (the seeder hashes at import, the leecher at
//! verification). See docs/benchmarks.md.

// Criterion is native-only; on wasm this bench is an empty program.
#[cfg(not(target_family = "wasm"))]
mod native {
    use criterion::{criterion_group, Criterion, Throughput};
    use metainfo::{Metainfo, PeerId, TorrentBuilder};
    use shoal_swarm::{Config, Engine, Input, MemoryStorage, Millis, Output, PeerKey, Sha1Smol};

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

    fn transfer(meta: &Metainfo, data: &[u8]) {
        let mk = |id: u8| {
            Engine::new(
                Config::new(PeerId::from([id; 20]), 1),
                meta,
                MemoryStorage::new(u64::MAX),
                Sha1Smol,
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
            b.iter(|| transfer(&meta, &data))
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
