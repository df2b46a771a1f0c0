//! The companion's piece hasher: RustCrypto's `sha1`, which uses the CPU's SHA extensions
//! (x86 SHA-NI, ARMv8 SHA1) when present. The gateway and the seeder hash every piece they
//! download or re-check, so on a machine with them this is most of their CPU per GiB
//! (`cargo bench -p shoal --bench piece_hash`; docs/benchmarks.md).

use sha1::{Digest, Sha1};
use swarm::PieceHasher;

/// SHA-1 with hardware support where the CPU has it.
#[derive(Debug, Clone, Copy, Default)]
pub struct NativeSha1;

impl PieceHasher for NativeSha1 {
    fn sha1(&mut self, data: &[u8]) -> [u8; 20] {
        Sha1::digest(data).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_sha1_smol(data in proptest::collection::vec(any::<u8>(), 0..5000)) {
            prop_assert_eq!(NativeSha1.sha1(&data), swarm::Sha1Smol.sha1(&data));
        }
    }

    #[test]
    fn known_digest() {
        // FIPS 180 example "abc".
        let hex: String = NativeSha1
            .sha1(b"abc")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    }
}
