//! Resource limits applied while decoding untrusted bencode.

/// Upper bounds checked while decoding; exceeding any of them is a [`crate::DecodeError`].
///
/// Every check happens before the corresponding memory is allocated, so the limits bound the
/// work done on hostile input, not just the size of the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of lists and dicts; a top-level dict is depth 1.
    pub max_depth: usize,
    /// Longest byte string (keys included), in bytes.
    pub max_string_len: usize,
    /// Most values in the whole input: every integer, string, list and dict counts, and so
    /// does every dictionary key.
    pub max_items: usize,
    /// Longest accepted input, in bytes (checked first, before any parsing).
    pub max_input_len: usize,
}

impl Default for Limits {
    /// Limits for whole `.torrent` files.
    ///
    /// * depth 64: real torrents nest 4 deep (`info` → `files` → file → `path`);
    /// * strings 16 MiB: `pieces` for a 100 GiB torrent with 256 KiB pieces is 8 MiB;
    /// * 1,000,000 items: roughly 100,000 files with their paths;
    /// * input 64 MiB: far above any torrent seen in the wild.
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_string_len: 16 * 1024 * 1024,
            max_items: 1_000_000,
            max_input_len: 64 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Stricter limits for peer-wire messages (BEP 10 extended handshakes, BEP 9 metadata
    /// messages): depth 16, strings 64 KiB, 4,096 items, 256 KiB of input. A `ut_metadata`
    /// data message (a small dict followed by a 16 KiB piece) fits comfortably.
    pub fn small() -> Self {
        Self {
            max_depth: 16,
            max_string_len: 64 * 1024,
            max_items: 4096,
            max_input_len: 256 * 1024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn small_is_stricter_than_default_in_every_field() {
        let (s, d) = (Limits::small(), Limits::default());
        assert!(s.max_depth < d.max_depth);
        assert!(s.max_string_len < d.max_string_len);
        assert!(s.max_items < d.max_items);
        assert!(s.max_input_len < d.max_input_len);
    }
}
