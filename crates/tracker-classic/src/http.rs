//! HTTP trackers (BEP 3): the announce URL, and the bencoded response with compact (BEP 23),
//! dictionary-style and IPv6 (BEP 7) peer lists.

use std::net::{IpAddr, SocketAddr};

use bencode::{Limits, Value};
use percent_encoding::{percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::{
    peers::{dialable, parse_compact_v4, parse_compact_v6, MAX_PEERS},
    AnnounceParams, Error,
};

/// Longest response body accepted (1000 compact peers are 6 KB; a dictionary list of as many
/// about 60 KB).
pub const MAX_HTTP_BODY: usize = 256 * 1024;

/// Bytes sent as they are in a query value (RFC 3986 unreserved); the rest is `%XX`.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The GET URL of an announce to the tracker at `base` (which may carry a query of its own,
/// e.g. a passkey: ours is appended with `&`).
pub fn announce_url(base: &str, p: &AnnounceParams) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut url = format!(
        "{base}{sep}info_hash={}&peer_id={}&port={}&uploaded={}&downloaded={}&left={}&compact=1&numwant={}&key={:08x}",
        percent_encode(&p.info_hash, QUERY_VALUE),
        percent_encode(&p.peer_id, QUERY_VALUE),
        p.port,
        p.stats.uploaded,
        p.stats.downloaded,
        p.left(),
        p.numwant,
        p.key,
    );
    let event = p.event.as_query();
    if !event.is_empty() {
        url.push_str("&event=");
        url.push_str(event);
    }
    url
}

/// What an HTTP tracker answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpAnnounce {
    /// `failure reason`: the announce was refused (nothing else is meaningful then).
    pub failure: Option<String>,
    /// `warning message`.
    pub warning: Option<String>,
    /// `interval`, seconds.
    pub interval: Option<u32>,
    /// `min interval`, seconds.
    pub min_interval: Option<u32>,
    /// Seeders (`complete`).
    pub complete: Option<u32>,
    /// Leechers (`incomplete`).
    pub incomplete: Option<u32>,
    /// Peers, IPv4 and IPv6, at most [`MAX_PEERS`].
    pub peers: Vec<SocketAddr>,
}

/// Reads an HTTP tracker's response body.
pub fn parse_http_response(body: &[u8]) -> Result<HttpAnnounce, Error> {
    if body.len() > MAX_HTTP_BODY {
        return Err(Error::TooLong(body.len()));
    }
    let limits = Limits {
        max_depth: 8,
        max_string_len: MAX_HTTP_BODY,
        max_items: 16 * 1024,
        max_input_len: MAX_HTTP_BODY,
    };
    let value = bencode::decode(body, &limits).map_err(|e| Error::NotBencode(e.to_string()))?;
    let dict = value
        .as_dict()
        .ok_or_else(|| Error::NotBencode("not a dictionary".to_owned()))?;
    let text = |key: &[u8]| {
        dict.get(key)
            .and_then(Value::as_bytes)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    let number = |key: &'static [u8], name: &'static str| -> Result<Option<u32>, Error> {
        match dict.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_int()
                .and_then(|i| u32::try_from(i).ok())
                .map(Some)
                .ok_or(Error::BadField(name)),
        }
    };
    let mut out = HttpAnnounce {
        failure: text(b"failure reason"),
        warning: text(b"warning message"),
        ..HttpAnnounce::default()
    };
    if out.failure.is_some() {
        return Ok(out);
    }
    out.interval = number(b"interval", "interval")?;
    out.min_interval = number(b"min interval", "min interval")?;
    out.complete = number(b"complete", "complete")?;
    out.incomplete = number(b"incomplete", "incomplete")?;
    match dict.get(b"peers") {
        None => {}
        Some(Value::Bytes(b)) => out.peers = parse_compact_v4(b)?,
        Some(Value::List(list)) => out.peers = dict_peers(list)?,
        Some(_) => return Err(Error::BadField("peers")),
    }
    match dict.get(b"peers6") {
        None => {}
        Some(Value::Bytes(b)) => out.peers.extend(parse_compact_v6(b)?),
        Some(_) => return Err(Error::BadField("peers6")),
    }
    out.peers.truncate(MAX_PEERS);
    Ok(out)
}

/// The original list of `{ip, port, peer id}` dictionaries; entries that are not dialable
/// (a host name, a port out of range) are skipped.
fn dict_peers(list: &[Value<'_>]) -> Result<Vec<SocketAddr>, Error> {
    let mut peers = Vec::new();
    for entry in list.iter().take(MAX_PEERS) {
        let d = entry.as_dict().ok_or(Error::BadField("peers"))?;
        let ip = d
            .get(b"ip")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<IpAddr>().ok());
        let port = d
            .get(b"port")
            .and_then(Value::as_int)
            .and_then(|p| u16::try_from(p).ok());
        if let (Some(ip), Some(port)) = (ip, port) {
            peers.extend(dialable(SocketAddr::new(ip, port)));
        }
    }
    Ok(peers)
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::{AnnounceEvent, Stats};

    fn params() -> AnnounceParams {
        AnnounceParams {
            info_hash: [0xab; 20],
            peer_id: *b"-SH0100-abcdefghijkl",
            port: 6881,
            stats: Stats {
                uploaded: 1,
                downloaded: 2,
                left: Some(3),
            },
            event: AnnounceEvent::Started,
            numwant: 50,
            key: 0xdead_beef,
        }
    }

    #[test]
    fn the_announce_url_escapes_binary_and_keeps_a_passkey_query() {
        let url = announce_url("http://t.example/announce?pk=1", &params());
        assert!(url.starts_with("http://t.example/announce?pk=1&info_hash=%AB%AB"));
        assert!(url.contains("&peer_id=-SH0100-abcdefghijkl&port=6881"));
        assert!(url.contains("&uploaded=1&downloaded=2&left=3&compact=1&numwant=50"));
        assert!(url.ends_with("&key=deadbeef&event=started"));
        let mut p = params();
        p.event = AnnounceEvent::None;
        p.stats.left = None;
        let url = announce_url("http://t/a", &p);
        assert!(url.starts_with("http://t/a?info_hash="));
        assert!(!url.contains("event="));
        assert!(url.contains("&left=17179869184&"));
    }

    #[test]
    fn compact_dictionary_and_v6_peers_are_read() {
        let body = b"d8:completei3e10:incompletei4e8:intervali1800e5:peers6:\x7f\x00\x00\x01\x1a\xe16:peers618:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x50e";
        let r = parse_http_response(body).expect("parses");
        assert_eq!(r.interval, Some(1800));
        assert_eq!((r.complete, r.incomplete), (Some(3), Some(4)));
        let want: Vec<SocketAddr> = vec![
            "127.0.0.1:6881".parse().expect("addr"),
            "[::1]:80".parse().expect("addr"),
        ];
        assert_eq!(r.peers, want);
        let body = b"d5:peersld2:ip9:127.0.0.14:porti51413eed2:ip4:host4:porti1eeee";
        let r = parse_http_response(body).expect("parses");
        assert_eq!(r.peers, vec!["127.0.0.1:51413".parse().expect("addr")]);
    }

    #[test]
    fn failures_and_malformed_bodies_are_told_apart() {
        let r = parse_http_response(b"d14:failure reason9:not founde").expect("parses");
        assert_eq!(r.failure.as_deref(), Some("not found"));
        assert!(matches!(
            parse_http_response(b"<html>"),
            Err(Error::NotBencode(_))
        ));
        assert_eq!(
            parse_http_response(b"d8:intervali-1ee"),
            Err(Error::BadField("interval"))
        );
        assert_eq!(
            parse_http_response(b"d5:peers5:abcdee"),
            Err(Error::BadField("peers"))
        );
        let big = vec![b'x'; MAX_HTTP_BODY + 1];
        assert_eq!(
            parse_http_response(&big),
            Err(Error::TooLong(MAX_HTTP_BODY + 1))
        );
    }
}
