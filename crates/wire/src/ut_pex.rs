//! BEP 11 `ut_pex`: a connected peer tells which peers it knows (`added`) and which it lost
//! (`dropped`), as compact lists: 6 bytes an IPv4 peer (`added`, `dropped`), 18 an IPv6 one
//! (`added6`, `dropped6`). `added.f` / `added6.f` (one flag byte a peer) are read as absent: a
//! dialler has no use for them.
//!
//! Bounded: the payload goes through [`bencode::Limits::small`]; a list whose length is not a
//! whole number of entries, or that holds more than [`MAX_PEX_PEERS`] entries, is an error (BEP
//! 11 asks senders for at most 50 added and 50 dropped a message). Every key is optional: an
//! empty dict is a valid message. Port 0 entries are dropped (nobody listens there).

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use bencode::{Dict, Value};

use crate::error::ExtensionError;

/// Most entries accepted in one list of one message.
pub const MAX_PEX_PEERS: usize = 200;

/// A `ut_pex` message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PexMessage {
    /// Peers the sender connected to (IPv4 then IPv6).
    pub added: Vec<SocketAddr>,
    /// Peers the sender lost.
    pub dropped: Vec<SocketAddr>,
}

impl PexMessage {
    /// Decodes a `ut_pex` payload (the bytes after the extended message id).
    pub fn decode(payload: &[u8]) -> Result<Self, ExtensionError> {
        let value = bencode::decode(payload, &bencode::Limits::small())?;
        let dict = value.as_dict().ok_or(ExtensionError::NotADict)?;
        let mut msg = Self::default();
        compact(dict, "added", 6, &mut msg.added)?;
        compact(dict, "added6", 18, &mut msg.added)?;
        compact(dict, "dropped", 6, &mut msg.dropped)?;
        compact(dict, "dropped6", 18, &mut msg.dropped)?;
        Ok(msg)
    }

    /// The canonical bencoding (keys sorted; empty lists left out).
    pub fn to_vec(&self) -> Vec<u8> {
        let pack = |list: &[SocketAddr], v6: bool| -> Vec<u8> {
            let mut out = Vec::new();
            for a in list {
                match (a, v6) {
                    (SocketAddr::V4(a), false) => {
                        out.extend_from_slice(&a.ip().octets());
                        out.extend_from_slice(&a.port().to_be_bytes());
                    }
                    (SocketAddr::V6(a), true) => {
                        out.extend_from_slice(&a.ip().octets());
                        out.extend_from_slice(&a.port().to_be_bytes());
                    }
                    _ => {}
                }
            }
            out
        };
        let lists = [
            ("added", pack(&self.added, false)),
            ("added6", pack(&self.added, true)),
            ("dropped", pack(&self.dropped, false)),
            ("dropped6", pack(&self.dropped, true)),
        ];
        let mut dict = Dict::new();
        for (key, bytes) in &lists {
            if !bytes.is_empty() {
                dict.insert(key.as_bytes(), Value::Bytes(bytes));
            }
        }
        bencode::encode(&Value::Dict(dict))
    }
}

/// Appends the entries of compact list `key` (entries of `size` bytes) to `out`.
fn compact(
    dict: &Dict<'_>,
    key: &'static str,
    size: usize,
    out: &mut Vec<SocketAddr>,
) -> Result<(), ExtensionError> {
    let Some(value) = dict.get(key.as_bytes()) else {
        return Ok(());
    };
    let bytes = value.as_bytes().ok_or(ExtensionError::BadField { key })?;
    if bytes.len() % size != 0 {
        return Err(ExtensionError::BadField { key });
    }
    let count = bytes.len() / size;
    if count > MAX_PEX_PEERS {
        return Err(ExtensionError::TooManyPeers {
            count,
            max: MAX_PEX_PEERS,
        });
    }
    for entry in bytes.chunks_exact(size) {
        let (ip, port) = entry.split_at(size - 2);
        let port = u16::from_be_bytes([port[0], port[1]]);
        if port == 0 {
            continue;
        }
        let addr = if let Ok(v4) = <[u8; 4]>::try_from(ip) {
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(v4), port))
        } else if let Ok(v6) = <[u8; 16]>::try_from(ip) {
            SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(v6), port, 0, 0))
        } else {
            return Err(ExtensionError::BadField { key });
        };
        out.push(addr);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("address")
    }

    #[test]
    fn compact_lists_of_both_families_round_trip() {
        let msg = PexMessage {
            added: vec![addr("10.0.0.1:6881"), addr("[2001:db8::1]:51413")],
            dropped: vec![addr("192.168.1.9:1")],
        };
        let bytes = msg.to_vec();
        assert!(bytes.starts_with(b"d5:added6:\x0a\x00\x00\x01\x1a\xe16:added618:"));
        assert_eq!(PexMessage::decode(&bytes), Ok(msg));
        assert_eq!(PexMessage::decode(b"de"), Ok(PexMessage::default()));
    }

    #[test]
    fn flags_are_ignored_and_port_zero_dropped() {
        let payload =
            b"d5:added12:\x0a\x00\x00\x01\x1a\xe1\x0a\x00\x00\x02\x00\x007:added.f2:\x10\x00e";
        let msg = PexMessage::decode(payload).expect("valid");
        assert_eq!(msg.added, vec![addr("10.0.0.1:6881")]);
    }

    #[test]
    fn malformed_and_oversized_lists_are_typed_errors() {
        assert_eq!(
            PexMessage::decode(b"d5:added5:abcdee"),
            Err(ExtensionError::BadField { key: "added" })
        );
        assert_eq!(
            PexMessage::decode(b"d7:droppedi3ee"),
            Err(ExtensionError::BadField { key: "dropped" })
        );
        assert_eq!(PexMessage::decode(b"le"), Err(ExtensionError::NotADict));
        let many = vec![1u8; 6 * (MAX_PEX_PEERS + 1)];
        let mut payload = format!("d5:added{}:", many.len()).into_bytes();
        payload.extend_from_slice(&many);
        payload.push(b'e');
        assert_eq!(
            PexMessage::decode(&payload),
            Err(ExtensionError::TooManyPeers {
                count: MAX_PEX_PEERS + 1,
                max: MAX_PEX_PEERS
            })
        );
    }
}
