//! Hex and RFC 4648 base32, the two alphabets BitTorrent text uses for hashes (info hashes in
//! magnets, piece hashes in HLS tags).
//!
//! Written here rather than taken from a general encoding crate: that crate's code, generic over
//! every alphabet width and padding rule, was some 17 KiB of the browser app's wasm for these two
//! alphabets (docs/benchmarks.md, bundle size).

const HEX: &[u8; 16] = b"0123456789abcdef";
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Lower-case hex, two characters a byte.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// Decodes hex of either case; `None` for an odd length or a character outside `0-9a-fA-F`.
pub fn from_hex(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    let mut out = vec![0; text.len() / 2];
    hex_into(text, &mut out)?;
    Some(out)
}

/// Decodes exactly `2 * out.len()` hex characters of either case into `out`.
pub(crate) fn hex_into(text: &[u8], out: &mut [u8]) -> Option<()> {
    if text.len() != out.len() * 2 {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
    }
    Some(())
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Upper-case base32 without padding, for a whole number of 5-byte groups (a 20-byte id is 32
/// characters).
pub(crate) fn to_base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut bits, mut held) = (0u32, 0u32);
    for b in bytes {
        bits = (bits << 8) | u32::from(*b);
        held += 8;
        while held >= 5 {
            held -= 5;
            out.push(char::from(BASE32[((bits >> held) & 31) as usize]));
        }
        bits &= (1 << held) - 1;
    }
    if held > 0 {
        out.push(char::from(BASE32[((bits << (5 - held)) & 31) as usize]));
    }
    out
}

/// Decodes base32 of either case into `out`, whose bits the text must fill exactly (32
/// characters for 20 bytes); no padding.
pub(crate) fn base32_into(text: &[u8], out: &mut [u8]) -> Option<()> {
    if text.len() * 5 != out.len() * 8 {
        return None;
    }
    let (mut bits, mut held, mut at) = (0u32, 0u32, 0usize);
    for c in text {
        let value = match c.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | u32::from(value);
        held += 5;
        if held >= 8 {
            held -= 8;
            out[at] = (bits >> held) as u8;
            at += 1;
            bits &= (1 << held) - 1;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn rfc_4648_test_vectors() {
        // RFC 4648 §10, the inputs whose length is a whole number of 5-byte groups.
        assert_eq!(to_base32(b""), "");
        assert_eq!(to_base32(b"fooba"), "MZXW6YTB");
        assert_eq!(to_hex(b"foobar"), "666f6f626172");
        let mut out = [0u8; 5];
        base32_into(b"mzxw6ytb", &mut out).expect("lower case");
        assert_eq!(&out, b"fooba");
        assert_eq!(from_hex(b"666F6f626172").as_deref(), Some(&b"foobar"[..]));
    }

    #[test]
    fn every_byte_round_trips() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        assert_eq!(from_hex(to_hex(&bytes).as_bytes()), Some(bytes.clone()));
        let bytes = &bytes[..255];
        let text = to_base32(bytes);
        assert_eq!(text.len(), 408);
        let mut back = vec![0u8; 255];
        base32_into(text.as_bytes(), &mut back).expect("round trip");
        assert_eq!(back, bytes);
    }

    #[test]
    fn bad_text_is_refused() {
        assert_eq!(from_hex(b"abc"), None);
        assert_eq!(from_hex(b"zz"), None);
        let mut out = [0u8; 5];
        assert_eq!(base32_into(b"MZXW6YT1", &mut out), None);
        assert_eq!(base32_into(b"MZXW6YT", &mut out), None);
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn hex_round_trips_in_either_case(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let text = to_hex(&bytes);
            prop_assert_eq!(text.len(), bytes.len() * 2);
            prop_assert_eq!(from_hex(text.as_bytes()), Some(bytes.clone()));
            prop_assert_eq!(from_hex(text.to_ascii_uppercase().as_bytes()), Some(bytes));
        }

        #[test]
        fn base32_round_trips_whole_groups(groups in proptest::collection::vec(any::<[u8; 5]>(), 0..8)) {
            let bytes: Vec<u8> = groups.concat();
            let text = to_base32(&bytes);
            prop_assert_eq!(text.len(), bytes.len() / 5 * 8);
            let mut back = vec![0u8; bytes.len()];
            prop_assert!(base32_into(text.as_bytes(), &mut back).is_some());
            prop_assert_eq!(&back, &bytes);
        }

        #[test]
        fn hex_decoding_never_panics(text in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Some(bytes) = from_hex(&text) {
                prop_assert_eq!(to_hex(&bytes), String::from_utf8_lossy(&text).to_ascii_lowercase());
            }
        }
    }
}
