//! Per-connection state: the wire session, what the peer has, choke/interest flags, the
//! request pipeline and transfer rates.

use metainfo::PeerId;
use wire::{Bitfield, ExtendedHandshake, FrameDecoder};

use crate::types::{Millis, BLOCK_LEN};

/// Haves remembered from a peer before we know the piece count (magnet start). More than this
/// and the peer is treated as a seed-to-be-checked: we keep the first ones only.
pub(crate) const MAX_EARLY_HAVES: usize = 4096;

/// A request we sent and that is not answered yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outstanding {
    pub(crate) piece: u32,
    pub(crate) block: u32,
    pub(crate) sent_at: Millis,
}

/// Bytes per second, smoothed over ~1 s windows.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RateMeter {
    acc: u64,
    rate: u64,
    since: Millis,
}

impl RateMeter {
    pub(crate) fn add(&mut self, n: u64) {
        self.acc += n;
    }

    pub(crate) fn update(&mut self, now: Millis) {
        let elapsed = now.since(self.since);
        if elapsed >= 500 {
            let inst = self.acc.saturating_mul(1000) / elapsed;
            // Half old, half new: reacts within a couple of seconds, smooth enough to rank.
            self.rate = (self.rate + inst) / 2;
            self.acc = 0;
            self.since = now;
        }
    }

    /// Bytes per second.
    pub(crate) fn rate(&self) -> u64 {
        self.rate
    }
}

/// One connected peer.
#[derive(Debug)]
pub(crate) struct Peer {
    /// Taken out while its frames are handled (they borrow from it).
    pub(crate) decoder: Option<FrameDecoder>,
    /// Bytes queued for the next `Output::Send`.
    pub(crate) out: Vec<u8>,
    pub(crate) remote_id: Option<PeerId>,
    pub(crate) fast: bool,
    pub(crate) ext: Option<ExtendedHandshake>,
    /// What it has; `None` until the metadata is known and it told us.
    pub(crate) bitfield: Option<Bitfield>,
    /// A bitfield or have_all that arrived before the metadata (magnet start).
    pub(crate) early_bitfield: Option<Vec<u8>>,
    pub(crate) early_have_all: bool,
    pub(crate) early_haves: Vec<u32>,
    /// Pieces it has that we lack: we are interested while this is > 0.
    pub(crate) wanted: u32,
    pub(crate) am_choking: bool,
    pub(crate) am_interested: bool,
    pub(crate) peer_choking: bool,
    pub(crate) peer_interested: bool,
    pub(crate) outstanding: Vec<Outstanding>,
    pub(crate) snubbed: bool,
    pub(crate) down: RateMeter,
    pub(crate) up: RateMeter,
    /// Smoothed shortest request→block time, ms (0 = unknown).
    pub(crate) srtt_ms: u64,
    /// Block bytes it sent us, in all.
    pub(crate) received: u64,
    /// When the connection was handed to the engine (the handshake's deadline counts from it).
    pub(crate) connected_at: Millis,
    pub(crate) last_recv: Millis,
    pub(crate) last_send: Millis,
    /// Last block received, or when it unchoked us / we first asked (stall detection).
    pub(crate) last_block: Millis,
    /// Single-sender pieces from this peer that failed their hash.
    pub(crate) hash_fails: u32,
    /// Outstanding ut_metadata requests.
    pub(crate) meta_pending: u32,
    pub(crate) meta_refused: bool,
    /// Where the connection goes, if the driver said ([`crate::Input::PeerAddress`]).
    pub(crate) addr: Option<(std::net::SocketAddr, bool)>,
    /// What we told it in `ut_pex` messages.
    pub(crate) pex: crate::engine::PexSent,
}

impl Peer {
    pub(crate) fn new(decoder: FrameDecoder, now: Millis) -> Self {
        Self {
            decoder: Some(decoder),
            out: Vec::new(),
            remote_id: None,
            fast: false,
            ext: None,
            bitfield: None,
            early_bitfield: None,
            early_have_all: false,
            early_haves: Vec::new(),
            wanted: 0,
            am_choking: true,
            am_interested: false,
            peer_choking: true,
            peer_interested: false,
            outstanding: Vec::new(),
            snubbed: false,
            down: RateMeter {
                since: now,
                ..RateMeter::default()
            },
            up: RateMeter {
                since: now,
                ..RateMeter::default()
            },
            srtt_ms: 0,
            received: 0,
            connected_at: now,
            last_recv: now,
            last_send: now,
            last_block: now,
            hash_fails: 0,
            meta_pending: 0,
            meta_refused: false,
            addr: None,
            pex: crate::engine::PexSent::default(),
        }
    }

    pub(crate) fn has(&self, piece: u32) -> bool {
        self.bitfield.as_ref().is_some_and(|b| b.get(piece))
    }

    /// Its handshake arrived, and its extension handshake or bitfield: it has said what it
    /// has (a peer with nothing may stay silent after its handshakes, as BEP 3 allows).
    pub(crate) fn heard(&self) -> bool {
        self.remote_id.is_some() && (self.ext.is_some() || self.bitfield.is_some())
    }

    pub(crate) fn is_seed(&self) -> bool {
        self.bitfield.as_ref().is_some_and(Bitfield::is_full)
    }

    /// How many requests to keep outstanding. WebTorrent keeps `2 + ⌈1 s × rate / 16 KiB⌉`;
    /// that is our floor. On links whose request round trip exceeds half a second it would
    /// starve the link, so we also cover two round trips of data (bandwidth × delay). Capped by
    /// the peer's `reqq` and our own maximum; a snubbed peer gets one request at a time.
    pub(crate) fn pipeline_target(&self, max_pipeline: u32, default_reqq: u32) -> u32 {
        if self.snubbed {
            return 1;
        }
        let rate = self.down.rate();
        let block = u64::from(BLOCK_LEN);
        let webtorrent = 2 + rate.div_ceil(block);
        let bdp = 2 + (rate.saturating_mul(2 * self.srtt_ms) / 1000).div_ceil(block);
        let reqq = self
            .ext
            .as_ref()
            .and_then(|e| e.reqq)
            .unwrap_or(default_reqq)
            .max(1);
        let cap = u64::from(max_pipeline.min(reqq));
        u32::try_from(webtorrent.max(bdp).min(cap)).unwrap_or(1)
    }

    /// Whether a pipeline of `target` requests should be topped up now that a block came in:
    /// once a quarter of it is free (at once while it is shallow). Topping up after every
    /// block sent one tiny request message per block, and the peer answered each with a
    /// message of one block; in batches, one message of requests is answered by one burst
    /// that the driver sends as a few large messages.
    pub(crate) fn refill_due(&self, target: u32) -> bool {
        let out = u32::try_from(self.outstanding.len()).unwrap_or(u32::MAX);
        out.saturating_add((target / 4).max(1)) <= target
    }

    /// Records a block's round trip.
    pub(crate) fn sample_rtt(&mut self, ms: u64) {
        self.srtt_ms = if self.srtt_ms == 0 {
            ms
        } else {
            (self.srtt_ms * 7 + ms) / 8
        };
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn peer() -> Peer {
        Peer::new(FrameDecoder::new(Default::default()), Millis(0))
    }

    #[test]
    fn pipeline_follows_webtorrent_floor_and_caps() {
        let mut p = peer();
        assert_eq!(p.pipeline_target(128, 128), 2);
        p.down.add(1024 * 1024);
        p.down.update(Millis(1000));
        // 512 KiB/s smoothed: 2 + 32.
        assert_eq!(p.pipeline_target(128, 128), 34);
        p.srtt_ms = 1000; // long round trips: two round trips of data
        assert_eq!(p.pipeline_target(128, 128), 2 + 64);
        p.ext = Some(ExtendedHandshake {
            reqq: Some(10),
            ..Default::default()
        });
        assert_eq!(p.pipeline_target(128, 128), 10);
        p.snubbed = true;
        assert_eq!(p.pipeline_target(128, 128), 1);
    }
}
