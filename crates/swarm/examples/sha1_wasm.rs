//! SHA-1 (sha1_smol) throughput in wasm, timed from node with `performance.now()`:
//!
//! ```text
//! cargo build --release --target wasm32-unknown-unknown -p shoal-swarm --example sha1_wasm
//! wasm-bindgen --target nodejs --out-dir /tmp/sha1w \
//!     $CARGO_TARGET_DIR/wasm32-unknown-unknown/release/examples/sha1_wasm.wasm
//! node crates/swarm/examples/sha1_wasm.mjs /tmp/sha1w/sha1_wasm.js
//! ```
//!
//! Natively this example is empty (the native figure comes from `cargo bench`).

#[cfg(target_family = "wasm")]
pub mod wasm {
    use wasm_bindgen::prelude::wasm_bindgen;

    /// Hashes `mib` MiB (as 16 pieces) and returns the first digest byte (so nothing is
    /// optimised away).
    #[wasm_bindgen]
    pub fn sha1_mib(mib: u32) -> u8 {
        let data: Vec<u8> = (0..mib as usize * 1024 * 1024 / 16)
            .map(|i| (i % 251) as u8)
            .collect();
        let mut x = 0u8;
        for _ in 0..16 {
            x ^= sha1_smol::Sha1::from(&data[..]).digest().bytes()[0];
        }
        x
    }
}
