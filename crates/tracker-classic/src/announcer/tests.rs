#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

fn udp(now: u64) -> Announcer {
    let endpoint = Endpoint::parse("udp://127.0.0.1:6969/announce").expect("udp url");
    Announcer::new(endpoint, [1; 20], [2; 20], 6881, Stats::default(), 7, now)
}

fn datagram(r: Option<Request>) -> Vec<u8> {
    match r {
        Some(Request::Udp { datagram, .. }) => datagram,
        other => panic!("expected a datagram, got {other:?}"),
    }
}

fn tid(d: &[u8]) -> [u8; 4] {
    [d[12], d[13], d[14], d[15]]
}

fn connect_reply(tid: [u8; 4], conn: u64) -> Vec<u8> {
    let mut r = vec![0, 0, 0, 0];
    r.extend_from_slice(&tid);
    r.extend_from_slice(&conn.to_be_bytes());
    r
}

fn announce_reply(tid: [u8; 4], interval: u32) -> Vec<u8> {
    let mut r = vec![0, 0, 0, 1];
    r.extend_from_slice(&tid);
    r.extend_from_slice(&interval.to_be_bytes());
    r.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, 127, 0, 0, 1, 0x1a, 0xe1]);
    r
}

#[test]
fn udp_connects_announces_and_reconnects_once_the_connection_id_expires() {
    let mut a = udp(0);
    assert_eq!(a.poll_timeout(), Some(0));
    let c = datagram(a.handle_timeout(0));
    assert_eq!(c.len(), 16);
    // A reply to another transaction is ignored.
    let wrong = connect_reply([9, 9, 9, 9], 1);
    assert_eq!(a.handle_reply(10, &wrong), Reply::default());
    let r = a.handle_reply(10, &connect_reply(tid(&c), 0xabc));
    let ann = datagram(r.request);
    assert_eq!(ann.len(), 98);
    assert_eq!(&ann[..8], &0xabcu64.to_be_bytes());
    assert_eq!(&ann[80..84], &2u32.to_be_bytes(), "first announce: started");
    let r = a.handle_reply(20, &announce_reply(tid(&ann), 120));
    assert!(r.answered);
    assert_eq!(r.peers, vec!["127.0.0.1:6881".parse().expect("addr")]);
    assert_eq!(a.poll_timeout(), Some(120_020));
    // Two minutes later the connection id is stale: connect again.
    let again = datagram(a.handle_timeout(120_020));
    assert_eq!(again.len(), 16);
    let r = a.handle_reply(120_030, &connect_reply(tid(&again), 5));
    let ann = datagram(r.request);
    assert_eq!(&ann[80..84], &0u32.to_be_bytes(), "a periodic announce");
}

#[test]
fn lost_datagrams_are_resent_with_doubling_timeouts_then_backed_off() {
    let mut a = udp(0);
    datagram(a.handle_timeout(0));
    assert_eq!(a.poll_timeout(), Some(15_000));
    assert_eq!(a.handle_timeout(14_999), None);
    datagram(a.handle_timeout(15_000));
    assert_eq!(a.poll_timeout(), Some(45_000));
    datagram(a.handle_timeout(45_000));
    assert_eq!(a.poll_timeout(), Some(105_000));
    datagram(a.handle_timeout(105_000));
    assert_eq!(a.poll_timeout(), Some(225_000));
    // Out of retries: a failure, announced again after the back-off (and a fresh connect).
    assert_eq!(a.handle_timeout(225_000), None);
    assert_eq!(a.poll_timeout(), Some(240_000));
    assert_eq!(datagram(a.handle_timeout(240_000)).len(), 16);
}

#[test]
fn http_announces_started_then_completed_then_stopped() {
    let endpoint = Endpoint::parse("http://127.0.0.1:8000/announce").expect("http url");
    let mut a = Announcer::new(endpoint, [1; 20], [2; 20], 6881, Stats::default(), 3, 0);
    let Some(Request::HttpGet { url }) = a.handle_timeout(0) else {
        panic!("an HTTP GET");
    };
    assert!(url.ends_with("&event=started"));
    a.completed(5);
    let body = b"d8:intervali600e5:peers6:\x7f\x00\x00\x01\x1a\xe1e";
    let r = a.handle_reply(10, body);
    assert!(r.answered && r.peers.len() == 1);
    assert_eq!(a.poll_timeout(), Some(10), "completed goes out at once");
    let Some(Request::HttpGet { url }) = a.handle_timeout(10) else {
        panic!("an HTTP GET");
    };
    assert!(url.ends_with("&event=completed"));
    let r = a.handle_reply(20, b"d14:failure reason4:nopee");
    assert_eq!(r.error.as_deref(), Some("nope"));
    assert_eq!(a.poll_timeout(), Some(15_020), "backed off");
    let Some(Request::HttpGet { url }) = a.stop(30) else {
        panic!("a stopped announce");
    };
    assert!(url.ends_with("&event=stopped"));
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(a.handle_timeout(1_000_000), None);
}

#[test]
fn bad_urls_are_refused() {
    for url in [
        "ws://x/announce",
        "udp://host",
        "udp://:80",
        "udp://h:0",
        "ftp://x",
    ] {
        assert!(Endpoint::parse(url).is_err(), "{url}");
    }
    assert_eq!(
        Endpoint::parse("udp://tracker.example:1337/announce"),
        Ok(Endpoint::Udp {
            host_port: "tracker.example:1337".to_owned()
        })
    );
}
