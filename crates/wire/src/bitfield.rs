//! Which pieces a peer has.
//!
//! Wire layout (BEP 3): ⌈pieces / 8⌉ bytes, piece 0 is the most significant bit of byte 0, and the
//! spare bits after the last piece must be zero.
//!
//! **Spare bits set by a peer:** BEP 3 says a client *may* drop such a peer; WebTorrent (and
//! libtorrent in practice) accept the bitfield. We accept it too and clear the spare bits, so a
//! piece index ≥ the piece count is never reported as present. [`Bitfield::spare_bits_set`] tells
//! a caller that wants to log or score such peers. A payload of the wrong *length* is rejected
//! ([`BitfieldError::WrongLength`]): there is no sensible reading of it.

use crate::error::BitfieldError;

/// A set of piece indices `0..len`, stored in wire layout.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Bitfield {
    bytes: Vec<u8>,
    len: u32,
}

fn byte_len(pieces: u32) -> usize {
    pieces.div_ceil(8) as usize
}

/// Mask of the bits in the last byte that belong to pieces (the rest are spare).
fn last_byte_mask(pieces: u32) -> u8 {
    match pieces % 8 {
        0 => 0xff,
        used => 0xffu8 << (8 - used),
    }
}

impl Bitfield {
    /// No pieces, for a torrent of `pieces` pieces.
    pub fn new(pieces: u32) -> Self {
        Self {
            bytes: vec![0; byte_len(pieces)],
            len: pieces,
        }
    }

    /// All pieces (what `have_all` means).
    pub fn full(pieces: u32) -> Self {
        let mut bytes = vec![0xff; byte_len(pieces)];
        if let Some(last) = bytes.last_mut() {
            *last &= last_byte_mask(pieces);
        }
        Self { bytes, len: pieces }
    }

    /// Reads a `bitfield` message payload for a torrent of `pieces` pieces. Spare bits are
    /// accepted and cleared (see the module docs).
    pub fn from_payload(payload: &[u8], pieces: u32) -> Result<Self, BitfieldError> {
        let expected = byte_len(pieces);
        if payload.len() != expected {
            return Err(BitfieldError::WrongLength {
                len: payload.len(),
                pieces,
                expected,
            });
        }
        let mut bytes = payload.to_vec();
        if let Some(last) = bytes.last_mut() {
            *last &= last_byte_mask(pieces);
        }
        Ok(Self { bytes, len: pieces })
    }

    /// True if `payload` (of the right length for `pieces`) has any spare bit set.
    pub fn spare_bits_set(payload: &[u8], pieces: u32) -> bool {
        let n = byte_len(pieces);
        let tail_bad = payload.get(n..).is_some_and(|t| t.iter().any(|&b| b != 0));
        let last_bad = n > 0
            && payload
                .get(n - 1)
                .is_some_and(|&b| b & !last_byte_mask(pieces) != 0);
        tail_bad || last_bad
    }

    /// Number of pieces this bitfield covers.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// True for a torrent with no pieces.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether piece `index` is set (`false` when out of range).
    pub fn get(&self, index: u32) -> bool {
        if index >= self.len {
            return false;
        }
        let mask = 0x80u8 >> (index % 8);
        self.bytes
            .get((index / 8) as usize)
            .is_some_and(|b| b & mask != 0)
    }

    /// Sets or clears piece `index`; returns `false` (and changes nothing) when out of range.
    pub fn set(&mut self, index: u32, value: bool) -> bool {
        if index >= self.len {
            return false;
        }
        let mask = 0x80u8 >> (index % 8);
        let Some(b) = self.bytes.get_mut((index / 8) as usize) else {
            return false;
        };
        if value {
            *b |= mask;
        } else {
            *b &= !mask;
        }
        true
    }

    /// How many pieces are set.
    pub fn count_ones(&self) -> u32 {
        self.bytes.iter().map(|b| b.count_ones()).sum()
    }

    /// True when every piece is set.
    pub fn is_full(&self) -> bool {
        self.count_ones() == self.len
    }

    /// The indices that are set, ascending.
    pub fn iter_ones(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len).filter(|&i| self.get(i))
    }

    /// The wire payload (spare bits are always zero).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::fmt::Debug for Bitfield {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bitfield({}/{} pieces)", self.count_ones(), self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn piece_zero_is_msb_of_byte_zero() {
        let bf = Bitfield::from_payload(&[0b1000_0001, 0b0100_0000], 10).unwrap();
        assert_eq!(bf.iter_ones().collect::<Vec<_>>(), vec![0, 7, 9]);
        assert!(bf.get(0) && !bf.get(1) && bf.get(9) && !bf.get(10));
        assert_eq!(bf.count_ones(), 3);
    }

    #[test]
    fn set_get_and_full() {
        let mut bf = Bitfield::new(11);
        assert_eq!(bf.as_bytes(), &[0, 0]);
        assert!(bf.set(10, true));
        assert!(!bf.set(11, true));
        assert_eq!(bf.as_bytes(), &[0, 0b0010_0000]);
        let full = Bitfield::full(11);
        assert_eq!(full.as_bytes(), &[0xff, 0b1110_0000]);
        assert!(full.is_full());
        assert_eq!(Bitfield::full(16).as_bytes(), &[0xff, 0xff]);
        assert!(Bitfield::full(0).is_empty() && Bitfield::full(0).as_bytes().is_empty());
        bf.set(10, false);
        assert_eq!(bf.count_ones(), 0);
    }

    #[test]
    fn spare_bits_are_accepted_and_cleared() {
        let payload = [0xff, 0xff];
        assert!(Bitfield::spare_bits_set(&payload, 10));
        assert!(!Bitfield::spare_bits_set(&[0xff, 0xc0], 10));
        let bf = Bitfield::from_payload(&payload, 10).unwrap();
        assert_eq!(bf.as_bytes(), &[0xff, 0xc0]);
        assert_eq!(bf.count_ones(), 10);
        assert!(bf.is_full());
    }

    #[test]
    fn wrong_length_is_an_error() {
        assert_eq!(
            Bitfield::from_payload(&[0xff], 10),
            Err(BitfieldError::WrongLength {
                len: 1,
                pieces: 10,
                expected: 2
            })
        );
        assert!(Bitfield::from_payload(&[0, 0, 0], 10).is_err());
    }
}
