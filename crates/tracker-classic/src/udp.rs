//! UDP trackers (BEP 15): connect and announce requests, and the three responses (connect,
//! announce, error). All integers are big-endian.

use std::net::SocketAddr;

use crate::{
    peers::{parse_compact_v4, parse_compact_v6, MAX_PEERS},
    AnnounceParams, Error,
};

/// The magic number of a connect request.
pub const PROTOCOL_ID: u64 = 0x0417_2710_1980;
/// Largest datagram read (a response with [`MAX_PEERS`] IPv6 peers fits).
pub const MAX_DATAGRAM: usize = 20 + 18 * MAX_PEERS;

const CONNECT: u32 = 0;
const ANNOUNCE: u32 = 1;
const ERROR: u32 = 3;

/// The 16-byte connect request with transaction id `tid`.
pub fn connect_request(tid: u32) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&PROTOCOL_ID.to_be_bytes());
    out[8..12].copy_from_slice(&CONNECT.to_be_bytes());
    out[12..].copy_from_slice(&tid.to_be_bytes());
    out
}

/// The 98-byte announce request on connection `conn` with transaction id `tid`.
pub fn announce_request(conn: u64, tid: u32, p: &AnnounceParams) -> Vec<u8> {
    let mut out = Vec::with_capacity(98);
    out.extend_from_slice(&conn.to_be_bytes());
    out.extend_from_slice(&ANNOUNCE.to_be_bytes());
    out.extend_from_slice(&tid.to_be_bytes());
    out.extend_from_slice(&p.info_hash);
    out.extend_from_slice(&p.peer_id);
    out.extend_from_slice(&p.stats.downloaded.to_be_bytes());
    out.extend_from_slice(&p.left().to_be_bytes());
    out.extend_from_slice(&p.stats.uploaded.to_be_bytes());
    out.extend_from_slice(&p.event.as_udp().to_be_bytes());
    // IP 0: the tracker takes the datagram's source address.
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&p.key.to_be_bytes());
    let numwant = i32::try_from(p.numwant).unwrap_or(i32::MAX);
    out.extend_from_slice(&numwant.to_be_bytes());
    out.extend_from_slice(&p.port.to_be_bytes());
    out
}

/// A datagram from a UDP tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UdpResponse {
    /// The answer to a connect request.
    Connect {
        /// Transaction id.
        tid: u32,
        /// The connection id to use in announces (valid for a minute).
        conn: u64,
    },
    /// The answer to an announce.
    Announce {
        /// Transaction id.
        tid: u32,
        /// Seconds until the next announce.
        interval: u32,
        /// Leechers.
        leechers: u32,
        /// Seeders.
        seeders: u32,
        /// Peers, at most [`MAX_PEERS`].
        peers: Vec<SocketAddr>,
    },
    /// The tracker refused the request.
    Error {
        /// Transaction id.
        tid: u32,
        /// Why.
        message: String,
    },
}

impl UdpResponse {
    /// The transaction id it answers.
    pub fn tid(&self) -> u32 {
        match self {
            Self::Connect { tid, .. } | Self::Announce { tid, .. } | Self::Error { tid, .. } => {
                *tid
            }
        }
    }
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads one datagram; `ipv6` when the tracker was reached over IPv6 (its peers are then 18
/// bytes each, as BEP 15 says).
pub fn parse_udp_response(b: &[u8], ipv6: bool) -> Result<UdpResponse, Error> {
    if b.len() > MAX_DATAGRAM {
        return Err(Error::BadDatagram("longer than any response"));
    }
    let action = u32_at(b, 0).ok_or(Error::BadDatagram("shorter than a header"))?;
    let tid = u32_at(b, 4).ok_or(Error::BadDatagram("shorter than a header"))?;
    match action {
        CONNECT => {
            let id = b
                .get(8..16)
                .ok_or(Error::BadDatagram("connect response too short"))?;
            let mut c = [0u8; 8];
            c.copy_from_slice(id);
            Ok(UdpResponse::Connect {
                tid,
                conn: u64::from_be_bytes(c),
            })
        }
        ANNOUNCE => {
            let short = Error::BadDatagram("announce response too short");
            let interval = u32_at(b, 8).ok_or(short.clone())?;
            let leechers = u32_at(b, 12).ok_or(short.clone())?;
            let seeders = u32_at(b, 16).ok_or(short)?;
            let list = &b[20..];
            let peers = if ipv6 {
                parse_compact_v6(list)
            } else {
                parse_compact_v4(list)
            }
            .map_err(|_| Error::BadDatagram("peer list of a wrong length"))?;
            Ok(UdpResponse::Announce {
                tid,
                interval,
                leechers,
                seeders,
                peers,
            })
        }
        ERROR => Ok(UdpResponse::Error {
            tid,
            message: String::from_utf8_lossy(&b[8..]).into_owned(),
        }),
        _ => Err(Error::BadDatagram("unknown action")),
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::{AnnounceEvent, Stats};

    #[test]
    fn requests_have_the_bep15_layout() {
        let c = connect_request(7);
        assert_eq!(&c[..8], &[0, 0, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80]);
        assert_eq!(&c[8..], &[0, 0, 0, 0, 0, 0, 0, 7]);
        let p = AnnounceParams {
            info_hash: [1; 20],
            peer_id: [2; 20],
            port: 0x1ae1,
            stats: Stats {
                uploaded: 3,
                downloaded: 4,
                left: Some(5),
            },
            event: AnnounceEvent::Started,
            numwant: 50,
            key: 9,
        };
        let a = announce_request(0x1122, 8, &p);
        assert_eq!(a.len(), 98);
        assert_eq!(&a[..8], &0x1122u64.to_be_bytes());
        assert_eq!(&a[8..16], &[0, 0, 0, 1, 0, 0, 0, 8]);
        assert_eq!(&a[56..64], &4u64.to_be_bytes(), "downloaded");
        assert_eq!(&a[64..72], &5u64.to_be_bytes(), "left");
        assert_eq!(&a[72..80], &3u64.to_be_bytes(), "uploaded");
        assert_eq!(&a[80..84], &2u32.to_be_bytes(), "event started");
        assert_eq!(&a[92..96], &50i32.to_be_bytes());
        assert_eq!(&a[96..], &[0x1a, 0xe1]);
    }

    #[test]
    fn responses_parse_and_short_ones_are_errors() {
        let mut r = vec![0, 0, 0, 0, 0, 0, 0, 5];
        r.extend_from_slice(&42u64.to_be_bytes());
        assert_eq!(
            parse_udp_response(&r, false),
            Ok(UdpResponse::Connect { tid: 5, conn: 42 })
        );
        assert!(parse_udp_response(&r[..12], false).is_err());
        let mut a = vec![0, 0, 0, 1, 0, 0, 0, 6, 0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 0, 2];
        a.extend_from_slice(&[127, 0, 0, 1, 0x1a, 0xe1]);
        let parsed = parse_udp_response(&a, false).expect("parses");
        assert_eq!(parsed.tid(), 6);
        assert!(matches!(
            parsed,
            UdpResponse::Announce { interval: 60, leechers: 1, seeders: 2, ref peers, .. } if peers.len() == 1
        ));
        assert!(parse_udp_response(&a[..25], false).is_err());
        assert!(
            parse_udp_response(&a, true).is_err(),
            "6 bytes is no v6 peer"
        );
        let e = [0, 0, 0, 3, 0, 0, 0, 9, b'n', b'o'];
        assert_eq!(
            parse_udp_response(&e, false),
            Ok(UdpResponse::Error {
                tid: 9,
                message: "no".to_owned()
            })
        );
        assert!(parse_udp_response(&[0, 0, 0, 7, 0, 0, 0, 0], false).is_err());
    }
}
