//! Twenty-byte identifiers: info hashes and peer ids.

use std::fmt;

use crate::codec;

/// A 20-byte identifier, as BitTorrent uses for info hashes and peer ids.
///
/// It is plain bytes: it formats as lower-case hex, and parses from 40 hex characters or
/// (info hashes in old magnets) 32 base32 characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Id20(pub [u8; 20]);

/// The SHA-1 of a torrent's bencoded `info` dictionary.
pub type InfoHash = Id20;
/// A peer's self-chosen 20-byte id.
pub type PeerId = Id20;

/// Why a string is not a 20-byte id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdParseError {
    /// The text is neither 40 hex nor 32 base32 characters long.
    #[error("an id is 40 hex or 32 base32 characters, this is {0} characters long")]
    Length(usize),
    /// The text has the right length but a character outside the alphabet.
    #[error("an id of {0} characters must be {1}, and this one is not")]
    Alphabet(usize, &'static str),
}

impl Id20 {
    /// The id's bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// Takes exactly 20 bytes; `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 20]>::try_from(bytes).ok().map(Self)
    }

    /// Lower-case hex, 40 characters.
    pub fn to_hex(&self) -> String {
        codec::to_hex(&self.0)
    }

    /// Upper-case RFC 4648 base32, 32 characters (the old magnet form).
    pub fn to_base32(&self) -> String {
        codec::to_base32(&self.0)
    }

    /// Parses 40 hex characters (either case) or 32 base32 characters (either case).
    pub fn from_text(text: &str) -> Result<Self, IdParseError> {
        let mut out = [0u8; 20];
        match text.len() {
            40 => {
                codec::hex_into(text.as_bytes(), &mut out)
                    .ok_or(IdParseError::Alphabet(40, "hex (0-9, a-f)"))?;
            }
            32 => {
                codec::base32_into(text.as_bytes(), &mut out)
                    .ok_or(IdParseError::Alphabet(32, "base32 (A-Z, 2-7)"))?;
            }
            n => return Err(IdParseError::Length(n)),
        }
        Ok(Self(out))
    }
}

impl fmt::Debug for Id20 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id20({})", self.to_hex())
    }
}

impl fmt::Display for Id20 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl std::str::FromStr for Id20 {
    type Err = IdParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_text(s)
    }
}

impl From<[u8; 20]> for Id20 {
    fn from(bytes: [u8; 20]) -> Self {
        Self(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn hex_and_base32_name_the_same_id() {
        let hex = "0fbed86651b49c8dd6b4ee9db88e0ff8c73b35a0";
        let id: Id20 = hex.parse().unwrap();
        assert_eq!(id.to_hex(), hex);
        let b32 = id.to_base32();
        assert_eq!(b32.len(), 32);
        assert_eq!(Id20::from_text(&b32.to_lowercase()).unwrap(), id);
        assert_eq!(Id20::from_text(&hex.to_uppercase()).unwrap(), id);
    }

    #[test]
    fn wrong_lengths_and_alphabets_are_typed_errors() {
        assert_eq!(Id20::from_text("abc"), Err(IdParseError::Length(3)));
        assert!(matches!(
            Id20::from_text(&"g".repeat(40)),
            Err(IdParseError::Alphabet(40, _))
        ));
        assert!(matches!(
            Id20::from_text(&"1".repeat(32)),
            Err(IdParseError::Alphabet(32, _))
        ));
        assert_eq!(Id20::from_slice(&[0; 19]), None);
    }
}
