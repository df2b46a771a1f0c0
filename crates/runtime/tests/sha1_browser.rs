//! SHA-1 of 1 MiB pieces in the browser: `sha1_smol` compiled to wasm (what the engine's
//! synchronous `PieceHasher` uses) against `crypto.subtle.digest` (asynchronous). Both must
//! give the same digest; the timings are printed for docs/benchmarks.md. Run with
//! `cargo test --release --target wasm32-unknown-unknown -p shoal-runtime --test sha1_browser`.
#![cfg(target_family = "wasm")]

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const PIECE: usize = 1024 * 1024;
const PIECES_PER_RUN: usize = 16;
const RUNS: usize = 11;

fn now_ms() -> f64 {
    let perf = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .expect("performance exists")
        .dyn_into::<web_sys::Performance>()
        .expect("a Performance object");
    perf.now()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[wasm_bindgen_test]
async fn sha1_smol_and_subtle_crypto_agree_and_are_timed() {
    let piece: Vec<u8> = (0..PIECE).map(|i| (i * 31 % 251) as u8).collect();
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())
        .expect("crypto exists")
        .dyn_into::<web_sys::Crypto>()
        .expect("a Crypto object");
    let subtle = crypto.subtle();
    let js_piece = js_sys::Uint8Array::from(piece.as_slice());

    let smol_digest = sha1_smol::Sha1::from(&piece).digest().bytes();
    let subtle_digest = JsFuture::from(
        subtle
            .digest_with_str_and_buffer_source("SHA-1", &js_piece)
            .expect("digest starts"),
    )
    .await
    .expect("digest resolves");
    let subtle_digest = js_sys::Uint8Array::new(&subtle_digest).to_vec();
    assert_eq!(subtle_digest, smol_digest.to_vec());

    let mut smol_runs = Vec::new();
    let mut subtle_runs = Vec::new();
    for _ in 0..=RUNS {
        let t0 = now_ms();
        for _ in 0..PIECES_PER_RUN {
            let d = sha1_smol::Sha1::from(&piece).digest().bytes();
            assert_eq!(d, smol_digest);
        }
        smol_runs.push((now_ms() - t0) / PIECES_PER_RUN as f64);
        let t0 = now_ms();
        for _ in 0..PIECES_PER_RUN {
            let p = subtle
                .digest_with_str_and_buffer_source("SHA-1", &js_piece)
                .expect("digest starts");
            JsFuture::from(p).await.expect("digest resolves");
        }
        subtle_runs.push((now_ms() - t0) / PIECES_PER_RUN as f64);
    }
    // The first run is a warm-up.
    let smol = median(smol_runs.split_off(1));
    let subtle = median(subtle_runs.split_off(1));
    console_log!(
        "SHA-1 per 1 MiB piece (median of {RUNS} runs of {PIECES_PER_RUN}): sha1_smol wasm {smol:.3} ms ({:.0} MiB/s), SubtleCrypto {subtle:.3} ms ({:.0} MiB/s), SubtleCrypto/sha1_smol speed ratio {:.2}",
        1000.0 / smol,
        1000.0 / subtle,
        smol / subtle
    );
}
