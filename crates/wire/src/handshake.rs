//! The 68-byte BitTorrent handshake and its reserved (capability) bits.

use std::fmt;

use metainfo::{InfoHash, PeerId};

use crate::error::{DecodeError, WireError};

/// The protocol string, preceded on the wire by its length byte (19).
pub const PROTOCOL: &[u8; 19] = b"BitTorrent protocol";

/// Length of a handshake on the wire: 1 + 19 + 8 + 20 + 20.
pub const HANDSHAKE_LEN: usize = 68;

/// The 8 reserved handshake bytes, kept verbatim (unknown bits survive a round trip), with typed
/// accessors for the bits we use.
///
/// | bit | byte | mask | meaning |
/// |---|---|---|---|
/// | BEP 10 extension protocol | 5 | `0x10` | always set by WebTorrent |
/// | BEP 6 fast extension | 7 | `0x04` | always set by WebTorrent |
/// | BEP 5 DHT | 7 | `0x01` | never set by browsers |
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Reserved(pub [u8; 8]);

impl Reserved {
    /// No bits set.
    pub const NONE: Self = Self([0; 8]);
    /// What WebTorrent (and we) send: extension protocol + fast extension.
    pub const WEBTORRENT: Self = Self([0, 0, 0, 0, 0, 0x10, 0, 0x04]);

    /// BEP 10 extension protocol bit (byte 5, `0x10`).
    pub fn extension_protocol(self) -> bool {
        self.0[5] & 0x10 != 0
    }

    /// BEP 6 fast extension bit (byte 7, `0x04`).
    pub fn fast(self) -> bool {
        self.0[7] & 0x04 != 0
    }

    /// BEP 5 DHT bit (byte 7, `0x01`).
    pub fn dht(self) -> bool {
        self.0[7] & 0x01 != 0
    }

    /// Returns a copy with the extension protocol bit set or cleared.
    #[must_use]
    pub fn with_extension_protocol(mut self, on: bool) -> Self {
        set_bit(&mut self.0[5], 0x10, on);
        self
    }

    /// Returns a copy with the fast extension bit set or cleared.
    #[must_use]
    pub fn with_fast(mut self, on: bool) -> Self {
        set_bit(&mut self.0[7], 0x04, on);
        self
    }

    /// Returns a copy with the DHT bit set or cleared.
    #[must_use]
    pub fn with_dht(mut self, on: bool) -> Self {
        set_bit(&mut self.0[7], 0x01, on);
        self
    }

    /// The bits both sides set: a feature is active only when both advertise it.
    #[must_use]
    pub fn negotiate(self, other: Self) -> Self {
        let mut out = [0u8; 8];
        for (o, (a, b)) in out.iter_mut().zip(self.0.iter().zip(other.0.iter())) {
            *o = a & b;
        }
        Self(out)
    }
}

fn set_bit(byte: &mut u8, mask: u8, on: bool) {
    if on {
        *byte |= mask;
    } else {
        *byte &= !mask;
    }
}

impl fmt::Debug for Reserved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reserved(")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        write!(
            f,
            "; ext={} fast={} dht={})",
            self.extension_protocol(),
            self.fast(),
            self.dht()
        )
    }
}

/// A decoded or to-be-sent handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Handshake {
    /// Capability bits.
    pub reserved: Reserved,
    /// The torrent this connection is for.
    pub info_hash: InfoHash,
    /// The sender's peer id.
    pub peer_id: PeerId,
}

impl Handshake {
    /// Our handshake: WebTorrent's reserved bits (extension protocol + fast).
    pub fn new(info_hash: InfoHash, peer_id: PeerId) -> Self {
        Self {
            reserved: Reserved::WEBTORRENT,
            info_hash,
            peer_id,
        }
    }

    /// The 68 bytes on the wire.
    pub fn to_bytes(&self) -> [u8; HANDSHAKE_LEN] {
        let mut out = [0u8; HANDSHAKE_LEN];
        out[0] = 19;
        out[1..20].copy_from_slice(PROTOCOL);
        out[20..28].copy_from_slice(&self.reserved.0);
        out[28..48].copy_from_slice(&self.info_hash.0);
        out[48..68].copy_from_slice(&self.peer_id.0);
        out
    }

    /// Appends the 68 bytes to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    /// Decodes a handshake from the start of `buf`, returning it and the bytes consumed (68).
    ///
    /// A wrong length byte or protocol string is reported as soon as the offending byte is
    /// present, so a non-BitTorrent peer is rejected without waiting for 68 bytes.
    pub fn decode(buf: &[u8]) -> Result<(Self, usize), DecodeError> {
        let mut expected = [0u8; 20];
        expected[0] = 19;
        expected[1..].copy_from_slice(PROTOCOL);
        let seen = buf.len().min(20);
        if buf[..seen] != expected[..seen] {
            return Err(WireError::BadProtocol.into());
        }
        let Some(bytes) = buf.get(..HANDSHAKE_LEN) else {
            return Err(DecodeError::NeedMore {
                needed: HANDSHAKE_LEN - buf.len(),
            });
        };
        let mut reserved = [0u8; 8];
        reserved.copy_from_slice(&bytes[20..28]);
        let mut info_hash = [0u8; 20];
        info_hash.copy_from_slice(&bytes[28..48]);
        let mut peer_id = [0u8; 20];
        peer_id.copy_from_slice(&bytes[48..68]);
        Ok((
            Self {
                reserved: Reserved(reserved),
                info_hash: InfoHash::from(info_hash),
                peer_id: PeerId::from(peer_id),
            },
            HANDSHAKE_LEN,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sample() -> Handshake {
        Handshake::new(
            InfoHash::from([0xab; 20]),
            PeerId::from(*b"-WW0300-IBwTufx2d/k2"),
        )
    }

    #[test]
    fn round_trips_and_is_68_bytes() {
        let hs = sample();
        let mut out = Vec::new();
        hs.encode(&mut out);
        assert_eq!(out.len(), HANDSHAKE_LEN);
        assert_eq!(&out[..20], b"\x13BitTorrent protocol");
        assert_eq!(Handshake::decode(&out), Ok((hs, 68)));
    }

    #[test]
    fn partial_input_needs_more() {
        let bytes = sample().to_bytes();
        for cut in 0..HANDSHAKE_LEN {
            assert_eq!(
                Handshake::decode(&bytes[..cut]),
                Err(DecodeError::NeedMore {
                    needed: HANDSHAKE_LEN - cut
                })
            );
        }
    }

    #[test]
    fn wrong_protocol_is_rejected_early() {
        assert_eq!(
            Handshake::decode(&[18]),
            Err(DecodeError::Malformed(WireError::BadProtocol))
        );
        let mut bytes = sample().to_bytes();
        bytes[5] = b'X';
        assert_eq!(
            Handshake::decode(&bytes[..6]),
            Err(DecodeError::Malformed(WireError::BadProtocol))
        );
        // An HTTP request is not a handshake.
        assert!(Handshake::decode(b"GET / HTTP/1.1\r\n").is_err());
    }

    #[test]
    fn reserved_bits() {
        let r = Reserved::WEBTORRENT;
        assert!(r.extension_protocol() && r.fast() && !r.dht());
        assert_eq!(r.0, [0, 0, 0, 0, 0, 0x10, 0, 0x04]);
        let plain = Reserved::NONE.with_extension_protocol(true).with_dht(true);
        let common = r.negotiate(plain);
        assert!(common.extension_protocol() && !common.fast() && !common.dht());
        assert_eq!(
            r.with_fast(false).with_extension_protocol(false),
            Reserved::NONE
        );
        // Unknown bits are kept verbatim.
        let odd = Reserved([0x80, 0, 0, 0, 0, 0, 0, 0]);
        let hs = Handshake {
            reserved: odd,
            ..sample()
        };
        assert_eq!(
            Handshake::decode(&hs.to_bytes()).map(|(h, _)| h.reserved),
            Ok(odd)
        );
    }
}
