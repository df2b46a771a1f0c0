//! Webseeds (BEP 19 `url-list`, magnet `ws=`): HTTP sources, used as a complement to peers.
//!
//! Policy (peers first): a piece is fetched over HTTP when (a) it is one of a reader's critical
//! pieces, the reader has waited `risk_ms` for it, and the peers on it will not finish within
//! `risk_ms` either, or (b) no connected peer has it once the engine has run
//! `no_peer_grace_ms`. A request covers the rest of a piece from its first block not yet
//! received or requested (WebTorrent's shape). At most `max_concurrent` requests per webseed; a
//! failed piece is not asked of the same webseed again for `retry_ms`. A critical piece whose
//! request has gone unanswered for `risk_ms` is also asked of another free webseed (a hedge: a
//! companion's gateway still looking for TCP peers answers late or never, and the reader must
//! not wait for the 60 s timeout); the piece's verification cancels whichever request is still out.

use std::ops::Range;
use vecmap::VecMap;

use metainfo::Info;

use crate::types::{HttpRequestId, Millis};

/// One request in flight.
#[derive(Debug, Clone)]
pub(crate) struct HttpReq {
    pub(crate) webseed: usize,
    pub(crate) piece: u32,
    pub(crate) first_block: u32,
    pub(crate) blocks: u32,
    pub(crate) sent_at: Millis,
    pub(crate) len: u64,
}

/// Webseed bookkeeping.
#[derive(Debug, Clone, Default)]
pub(crate) struct Webseeds {
    pub(crate) urls: Vec<String>,
    pub(crate) inflight: VecMap<HttpRequestId, HttpReq>,
    /// (webseed, piece) → not before this time.
    pub(crate) backoff: VecMap<(usize, u32), Millis>,
    pub(crate) next_id: u64,
    /// Piece bytes received, per webseed (grown as they answer).
    pub(crate) bytes: Vec<u64>,
}

impl Webseeds {
    pub(crate) fn new(urls: Vec<String>) -> Self {
        Self {
            urls,
            ..Self::default()
        }
    }

    pub(crate) fn busy(&self, webseed: usize) -> usize {
        self.inflight
            .values()
            .filter(|r| r.webseed == webseed)
            .count()
    }

    pub(crate) fn piece_in_flight(&self, piece: u32) -> bool {
        self.inflight.values().any(|r| r.piece == piece)
    }

    /// Whether `piece` is asked of some webseed and every such request is older than `ms`.
    pub(crate) fn piece_unanswered_for(&self, piece: u32, now: Millis, ms: u64) -> bool {
        let mut asked = self
            .inflight
            .values()
            .filter(|r| r.piece == piece)
            .peekable();
        asked.peek().is_some() && asked.all(|r| now.since(r.sent_at) >= ms)
    }

    /// A webseed that may take a request for `piece` now (not one already asked for it).
    pub(crate) fn free_for(&self, piece: u32, now: Millis, max_concurrent: usize) -> Option<usize> {
        (0..self.urls.len()).find(|&w| {
            self.busy(w) < max_concurrent
                && self.backoff.get(&(w, piece)).is_none_or(|&t| now >= t)
                && !self
                    .inflight
                    .values()
                    .any(|r| r.webseed == w && r.piece == piece)
        })
    }

    pub(crate) fn any_free(&self, max_concurrent: usize) -> bool {
        (0..self.urls.len()).any(|w| self.busy(w) < max_concurrent)
    }
}

/// One HTTP GET needed for a torrent byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpGet {
    /// The URL to fetch.
    pub url: String,
    /// Byte range inside that URL's resource, half-open (send `Range: bytes=start-(end-1)`).
    pub range: Range<u64>,
}

/// Maps a torrent byte range to the GETs a webseed needs (BEP 19): the base URL itself for a
/// single-file torrent; `<base>/<name>/<path…>` per overlapping file for a multi-file one
/// (segments percent-encoded), with file-relative ranges. Concatenate the bodies in order.
pub fn webseed_gets(info: &Info, base: &str, range: Range<u64>) -> Vec<HttpGet> {
    if info.single_file {
        return vec![HttpGet {
            url: base.to_owned(),
            range,
        }];
    }
    let mut out = Vec::new();
    let base = base.trim_end_matches('/');
    for f in &info.files {
        let (fs, fe) = (f.offset, f.offset + f.length);
        let (s, e) = (range.start.max(fs), range.end.min(fe));
        if s >= e {
            continue;
        }
        let mut url = format!("{base}/{}", encode_segment(&info.name));
        for seg in &f.path {
            url.push('/');
            url.push_str(&encode_segment(seg));
        }
        out.push(HttpGet {
            url,
            range: s - fs..e - fs,
        });
    }
    out
}

fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn multi_file_ranges_are_split_per_file() {
        let files = vec![
            (vec!["a b.txt".into()], 3),
            (vec!["sub".into(), "c".into()], 5),
        ];
        let mut b = metainfo::TorrentBuilder::new("demo", files, 16 * 1024);
        b.update(b"abcdefgh");
        let meta = metainfo::Metainfo::from_bytes(&b.finish().unwrap()).unwrap();
        let gets = webseed_gets(&meta.info, "https://x/y/", 1..5);
        assert_eq!(
            gets,
            [
                HttpGet {
                    url: "https://x/y/demo/a%20b.txt".into(),
                    range: 1..3
                },
                HttpGet {
                    url: "https://x/y/demo/sub/c".into(),
                    range: 0..2
                },
            ]
        );
    }
}
