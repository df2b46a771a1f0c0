//! A piece's bytes together with the SHA-1 of exactly those bytes: the proof a driver hands
//! [`Engine::import_hashed`](crate::Engine::import_hashed) when it has already hashed a piece
//! (an HLS loader checks every HTTP segment against the playlist's piece hashes before the
//! player sees it), so the engine compares digests instead of hashing the same bytes again.
//!
//! Why it cannot vouch for bytes nobody hashed: the only constructor hashes (always real
//! SHA-1, never an injected [`PieceHasher`](crate::PieceHasher) that could answer anything),
//! the fields are private, and nothing hands out the bytes mutably. The engine still compares
//! the digest with its own piece hash, so a piece hashed for another torrent or index is
//! refused like a bad download.

/// Bytes and their SHA-1, computed here from those very bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct HashedPiece {
    bytes: Vec<u8>,
    digest: [u8; 20],
}

impl HashedPiece {
    /// Hashes `bytes` (SHA-1) and keeps them with their digest.
    pub fn new(bytes: Vec<u8>) -> Self {
        let digest = sha1_smol::Sha1::from(&bytes).digest().bytes();
        Self { bytes, digest }
    }

    /// The SHA-1 of [`HashedPiece::bytes`].
    pub fn digest(&self) -> [u8; 20] {
        self.digest
    }

    /// The bytes that were hashed.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes, giving the proof up.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl std::fmt::Debug for HashedPiece {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashedPiece")
            .field("len", &self.bytes.len())
            .field("digest", &self.digest)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::{PieceHasher, Sha1Smol};

    #[test]
    fn the_digest_is_the_bytes_sha1() {
        let h = HashedPiece::new(b"abc".to_vec());
        assert_eq!(h.digest(), Sha1Smol.sha1(b"abc"));
        assert_eq!(h.bytes(), b"abc");
        assert_eq!(h.into_bytes(), b"abc".to_vec());
    }
}
