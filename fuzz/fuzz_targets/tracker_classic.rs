//! HTTP and UDP tracker responses: any bytes either fail with a typed error or parse within the
//! peer bound; an announcer fed them as replies never panics and stays schedulable.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tracker_classic::{
    parse_http_response, parse_udp_response, Announcer, Endpoint, Stats, MAX_PEERS,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = parse_http_response(data) {
        assert!(r.peers.len() <= MAX_PEERS);
    }
    for v6 in [false, true] {
        if let Ok(tracker_classic::UdpResponse::Announce { peers, .. }) =
            parse_udp_response(data, v6)
        {
            assert!(peers.len() <= MAX_PEERS);
        }
    }
    for url in ["http://t/announce", "udp://t:1"] {
        let endpoint = Endpoint::parse(url).expect("a valid URL");
        let mut a = Announcer::new(endpoint, [1; 20], [2; 20], 1, Stats::default(), 9, 0);
        let _ = a.handle_timeout(0);
        let _ = a.handle_reply(1, data);
        assert!(a.poll_timeout().is_some());
    }
});
