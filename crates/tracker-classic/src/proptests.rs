//! Arbitrary bytes never panic the parsers; every parsed peer list stays within its bound.

use proptest::prelude::*;

use crate::{parse_http_response, parse_udp_response, MAX_PEERS};

proptest! {
    #[test]
    fn http_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(r) = parse_http_response(&body) {
            prop_assert!(r.peers.len() <= MAX_PEERS);
        }
    }

    #[test]
    fn compact_peer_lists_round_trip(peers in proptest::collection::vec((any::<[u8; 4]>(), 1u16..), 0..50)) {
        let mut compact = Vec::new();
        for (ip, port) in &peers {
            compact.extend_from_slice(ip);
            compact.extend_from_slice(&port.to_be_bytes());
        }
        let body = [format!("d8:intervali60e5:peers{}:", compact.len()).into_bytes(), compact, b"e".to_vec()].concat();
        let r = parse_http_response(&body).expect("a well-formed body");
        let want: Vec<std::net::SocketAddr> = peers
            .iter()
            .filter(|(ip, _)| *ip != [0; 4])
            .map(|(ip, port)| std::net::SocketAddr::from((*ip, *port)))
            .collect();
        prop_assert_eq!(r.peers, want);
    }

    #[test]
    fn datagrams_never_panic(d in proptest::collection::vec(any::<u8>(), 0..256), v6 in any::<bool>()) {
        let _ = parse_udp_response(&d, v6);
    }
}
