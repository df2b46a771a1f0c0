//! `lt_donthave` payloads: the sender no longer has a piece.
//!
//! The payload (after the extended message id) is one u32 piece index. The receiver marks the
//! piece as unavailable from that peer and fails its outstanding requests for it. Send only if the
//! peer's `m` lists `lt_donthave`.

use crate::error::ExtensionError;

/// Decodes an `lt_donthave` payload into a piece index.
pub fn decode_donthave(payload: &[u8]) -> Result<u32, ExtensionError> {
    let bytes: [u8; 4] = payload
        .try_into()
        .map_err(|_| ExtensionError::DontHaveLength(payload.len()))?;
    Ok(u32::from_be_bytes(bytes))
}

/// Appends an `lt_donthave` payload for `piece` to `out`.
pub fn encode_donthave(piece: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(&piece.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn round_trip_and_length() {
        let mut out = Vec::new();
        encode_donthave(0x0102_0304, &mut out);
        assert_eq!(out, [1, 2, 3, 4]);
        assert_eq!(decode_donthave(&out), Ok(0x0102_0304));
        assert_eq!(
            decode_donthave(&[1, 2, 3]),
            Err(ExtensionError::DontHaveLength(3))
        );
        assert!(decode_donthave(&[0; 5]).is_err());
    }
}
