//! Piece hashing throughput in the companion: `NativeSha1` (RustCrypto `sha1`, SHA-NI where the
//! CPU has it) against `sha1_smol` (the portable implementation the browser build keeps), over
//! the same 64 MiB in 256 KiB pieces, in the same run. See docs/benchmarks.md.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shoal::native_sha1::NativeSha1;
use swarm::{PieceHasher, Sha1Smol};

const SIZE: usize = 64 * 1024 * 1024;
const PIECE: usize = 256 * 1024;

fn hash_all(h: &mut impl PieceHasher, data: &[u8]) -> u8 {
    data.chunks(PIECE).fold(0, |acc, p| acc ^ h.sha1(p)[0])
}

fn piece_hash(c: &mut Criterion) {
    let data: Vec<u8> = (0..SIZE).map(|i| (i * 7 % 253) as u8).collect();
    let mut g = c.benchmark_group("piece_hash_64MiB");
    g.throughput(Throughput::Bytes(SIZE as u64));
    g.sample_size(10);
    g.bench_function("native_sha1", |b| {
        b.iter(|| hash_all(&mut NativeSha1, &data))
    });
    g.bench_function("sha1_smol", |b| b.iter(|| hash_all(&mut Sha1Smol, &data)));
    g.finish();
}

criterion_group!(benches, piece_hash);
criterion_main!(benches);
