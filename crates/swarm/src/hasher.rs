//! The piece hasher is injected: the browser may pick whatever SHA-1 is fastest there (a wasm
//! implementation, or one batched through a worker), natives and the simulator use
//! [`Sha1Smol`]. The engine only ever compares digests it got from this trait.

/// Computes SHA-1 digests for piece and metadata verification.
pub trait PieceHasher {
    /// SHA-1 of `data`.
    fn sha1(&mut self, data: &[u8]) -> [u8; 20];
}

/// The pure-Rust `sha1_smol` implementation (works on every target).
#[derive(Debug, Clone, Copy, Default)]
pub struct Sha1Smol;

impl PieceHasher for Sha1Smol {
    fn sha1(&mut self, data: &[u8]) -> [u8; 20] {
        sha1_smol::Sha1::from(data).digest().bytes()
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn known_digest() {
        // FIPS 180 test vector for "abc".
        let d = Sha1Smol.sha1(b"abc");
        assert_eq!(d[..4], [0xa9, 0x99, 0x3e, 0x36]);
        assert_eq!(d[16..], [0x9c, 0xd0, 0xd8, 0x9d]);
    }
}
