//! Compact peer lists: 6 bytes per IPv4 peer (BEP 23), 18 per IPv6 peer (BEP 7), address then
//! port, both big-endian.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::Error;

/// Most peers taken from one response (the rest are ignored, not an error).
pub const MAX_PEERS: usize = 1000;

/// IPv4 peers from a compact string; a length that is not a multiple of 6 is malformed.
pub fn parse_compact_v4(bytes: &[u8]) -> Result<Vec<SocketAddr>, Error> {
    if bytes.len() % 6 != 0 {
        return Err(Error::BadField("peers"));
    }
    Ok(bytes
        .chunks_exact(6)
        .take(MAX_PEERS)
        .filter_map(|c| {
            let ip = Ipv4Addr::new(c[0], c[1], c[2], c[3]);
            let port = u16::from_be_bytes([c[4], c[5]]);
            dialable(SocketAddr::from((ip, port)))
        })
        .collect())
}

/// IPv6 peers from a compact string; a length that is not a multiple of 18 is malformed.
pub fn parse_compact_v6(bytes: &[u8]) -> Result<Vec<SocketAddr>, Error> {
    if bytes.len() % 18 != 0 {
        return Err(Error::BadField("peers6"));
    }
    Ok(bytes
        .chunks_exact(18)
        .take(MAX_PEERS)
        .filter_map(|c| {
            let mut ip = [0u8; 16];
            ip.copy_from_slice(&c[..16]);
            let port = u16::from_be_bytes([c[16], c[17]]);
            dialable(SocketAddr::from((Ipv6Addr::from(ip), port)))
        })
        .collect())
}

/// Port 0 and unspecified addresses cannot be dialled: dropped.
pub(crate) fn dialable(addr: SocketAddr) -> Option<SocketAddr> {
    (addr.port() != 0 && !addr.ip().is_unspecified()).then_some(addr)
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn compact_lists_parse_and_bad_lengths_are_errors() {
        let v4 = [127, 0, 0, 1, 0x1a, 0xe1, 10, 0, 0, 2, 0, 0];
        assert_eq!(
            parse_compact_v4(&v4),
            Ok(vec!["127.0.0.1:6881".parse().expect("addr")]),
            "port 0 is dropped"
        );
        assert_eq!(parse_compact_v4(&v4[..5]), Err(Error::BadField("peers")));
        let mut v6 = [0u8; 18];
        v6[15] = 1;
        v6[17] = 80;
        assert_eq!(
            parse_compact_v6(&v6),
            Ok(vec!["[::1]:80".parse().expect("addr")])
        );
        assert_eq!(parse_compact_v6(&v6[..17]), Err(Error::BadField("peers6")));
    }
}
