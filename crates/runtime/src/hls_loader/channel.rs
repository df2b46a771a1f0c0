//! What one HLS stream's loaders share: the segments the playlists announced (with their
//! checked Shoal tags), the HTTP rate estimate, the figures a stats panel shows, and the seam
//! where verified segments leave (the segment cache, peers).

use std::{cell::RefCell, collections::VecDeque, rc::Rc};
use vecmap::VecMap;

use hls::{ChannelTag, MediaPlaylist, RateEstimate, SegmentTag};

use super::store_slot::StoreSlot;

/// Segments remembered in [`HlsStats::recent`].
pub const RECENT_SEGMENTS: usize = 30;
/// Most segments known across a stream's playlists (a long DVR window of 2 s segments).
const MAX_KNOWN: usize = 50_000;

/// A segment whose every byte matched the hashes its origin published: what the segment
/// cache stores and what may be offered to peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSegment {
    /// Its absolute URL.
    pub url: String,
    /// Its per-segment torrent's info hash.
    pub info_hash: metainfo::InfoHash,
    /// Its tag (pieces and length).
    pub tag: SegmentTag,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Told about every segment that verified (issue 14's IndexedDB store plugs in here).
pub type VerifiedSink = Rc<dyn Fn(&VerifiedSegment)>;

/// Where a delivered segment's bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Delivery {
    /// HTTP only, as published without a Shoal tag (never shared).
    HttpUntagged,
    /// HTTP, verified against its tag.
    HttpVerified,
    /// HTTP, but the bytes did not match the tag (played as the origin sent them, not shared).
    HttpMismatch,
    /// From the download store, verified against its tag again on the way out.
    Store,
    /// From peers only, every piece verified against its tag.
    Peers,
    /// From peers first, the rest over HTTP (a `Range` from the first missing piece).
    PeersThenHttp,
}

/// One delivered segment, for the per-segment table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentRecord {
    /// Its media sequence number, when a playlist listed it.
    pub sequence: Option<u64>,
    /// The last path segment of its URL.
    pub name: String,
    /// Bytes from HTTP.
    pub http_bytes: u64,
    /// Bytes from peers (verified).
    pub peer_bytes: u64,
    /// Bytes from the download store (verified).
    pub store_bytes: u64,
    /// How it was fetched.
    pub delivery: Delivery,
    /// Milliseconds from asking to the last byte.
    pub load_ms: u64,
}

/// The figures of one HLS stream.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HlsStats {
    /// Segment bytes from HTTP.
    pub bytes_from_http: u64,
    /// Segment bytes from peers, every one verified.
    pub bytes_from_peers: u64,
    /// Segment bytes from the download store, every one verified.
    pub bytes_from_store: u64,
    /// Segment bytes sent to peers.
    pub bytes_to_peers: u64,
    /// Open peer connections of the channel.
    pub peers: usize,
    /// Segments delivered to the player.
    pub segments: u64,
    /// Segments that carried a valid Shoal tag when delivered.
    pub tagged_segments: u64,
    /// The latest segments, newest last.
    pub recent: VecDeque<SegmentRecord>,
    /// The playlist has `#EXT-X-ENDLIST`: a live broadcast has ended (or the stream is VOD).
    pub ended: bool,
    /// A playlist without `#EXT-X-ENDLIST` was seen: the stream is (or was) live.
    pub live: bool,
    /// The channel's swarm id, when the playlist published one.
    pub swarm: Option<String>,
    /// Shoal tags refused (bad syntax or an info hash that does not match).
    pub refused_tags: u64,
    /// Peers of the channel no longer asked: one of them sent a piece that failed its hash.
    pub banned_peers: u64,
    /// Segments whose every byte had come from peers before hls.js asked for them
    /// (prefetched while the buffer was healthy), handed over at once.
    pub prefetched: u64,
}

impl HlsStats {
    /// A live stream whose playlist has since ended: the broadcast is over.
    pub fn broadcast_ended(&self) -> bool {
        self.live && self.ended
    }

    /// Share of segment bytes that came from peers, 0–1.
    pub fn p2p_share(&self) -> f64 {
        let total = self.bytes_from_http + self.bytes_from_peers;
        if total == 0 {
            0.0
        } else {
            self.bytes_from_peers as f64 / total as f64
        }
    }
}

/// A segment a playlist announced.
#[derive(Debug, Clone)]
#[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
pub(crate) struct KnownSegment {
    pub(crate) sequence: u64,
    /// Its `#EXTINF` duration, ms.
    pub(crate) duration_ms: u64,
    /// Its tag, only when [`SegmentTag::check`] passed.
    pub(crate) tag: Option<SegmentTag>,
    /// The playlist that listed it.
    pub(crate) playlist: String,
}

#[derive(Default)]
#[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
pub(crate) struct ChannelState {
    pub(crate) segments: VecMap<String, KnownSegment>,
    pub(crate) http: Option<RateEstimate>,
    pub(crate) stats: HlsStats,
    pub(crate) channel: Option<ChannelTag>,
    pub(crate) sink: Option<VerifiedSink>,
    /// Where verified segments are kept and looked up first (a replay needs no network).
    pub(crate) store: StoreSlot,
    /// JS closures the loader class calls (dropped with the channel).
    pub(crate) keep_alive: Vec<Box<dyn std::any::Any>>,
    /// How to reach peers ([`HlsChannel::use_peers`]); none: HTTP and the store only.
    pub(crate) peer_setup: Option<PeerSetup>,
    /// The channel's viewers as peers, once a playlist named the swarm and its trackers.
    #[cfg(target_family = "wasm")]
    pub(crate) swarm: Option<Rc<super::peers::HlsSwarm>>,
    /// Media buffered ahead of the playhead (ms) and whether playback is under way.
    pub(crate) buffer: Option<BufferProbe>,
    /// The segment hls.js asked for last: its playlist and sequence number.
    pub(crate) asked: Option<(String, u64)>,
}

/// Answers the media buffered ahead of the playhead in ms, and whether playback started.
pub type BufferProbe = Rc<dyn Fn() -> (u64, bool)>;

/// What joining a channel's swarm needs from the page's client.
#[derive(Debug, Clone)]
#[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
pub(crate) struct PeerSetup {
    pub(crate) peer_id: [u8; 20],
    pub(crate) ice_servers: Vec<crate::IceServer>,
}

/// Shared state of one HLS stream's loaders. Cheap to clone.
#[derive(Clone, Default)]
pub struct HlsChannel {
    pub(crate) state: Rc<RefCell<ChannelState>>,
}

impl HlsChannel {
    /// A channel with nothing learnt yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The figures now.
    pub fn stats(&self) -> HlsStats {
        let st = self.state.borrow();
        #[allow(unused_mut)]
        let mut stats = st.stats.clone();
        #[cfg(target_family = "wasm")]
        if let Some(swarm) = &st.swarm {
            stats.peers = swarm.open_peers();
            stats.bytes_to_peers = swarm.uploaded();
            stats.banned_peers = swarm.banned();
        }
        stats
    }

    /// Lets segments move between this page and other viewers of a channel whose playlist
    /// publishes a swarm (`#EXT-X-SHOAL`): the channel's trackers are announced to with the
    /// client's peer id, connections made through its ICE servers. Without this call every
    /// segment comes from HTTP or the store.
    pub fn use_peers(&self, client: &crate::Client) {
        self.state.borrow_mut().peer_setup = Some(PeerSetup {
            peer_id: client.peer_id(),
            ice_servers: client.ice_servers(),
        });
    }

    /// Tells the loader how much media is buffered ahead of the playhead (the time budget
    /// for peers is taken from it; without a probe, the start-up allowance only).
    pub fn set_buffer_probe(&self, probe: BufferProbe) {
        self.state.borrow_mut().buffer = Some(probe);
    }

    /// Media buffered ahead (ms) and whether playback is under way.
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn buffer(&self) -> (u64, bool) {
        let probe = self.state.borrow().buffer.clone();
        probe.map_or((0, false), |p| p())
    }

    /// The tag and URL of the listed segment with this info hash.
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn segment_by_hash(&self, hash: metainfo::InfoHash) -> Option<(String, SegmentTag)> {
        let st = self.state.borrow();
        let found = st.segments.iter().find_map(|(url, s)| {
            s.tag
                .as_ref()
                .filter(|t| t.info_hash == hash)
                .map(|t| (url.clone(), t.clone()))
        });
        found
    }

    /// Calls `sink` with every segment that verifies from now on.
    pub fn on_verified(&self, sink: VerifiedSink) {
        self.state.borrow_mut().sink = Some(sink);
    }

    /// Keeps every verified segment in `store` and looks segments up there before fetching
    /// them (read-back is verified against the segment's tag like any other source).
    pub fn use_store(&self, store: crate::Store) {
        self.state.borrow_mut().store.settle(Some(store));
    }

    /// Says a store is being opened: hls.js may start at once, and the loads that look in the
    /// store wait until [`HlsChannel::use_store`] or [`HlsChannel::no_store`] settles it.
    pub fn store_coming(&self) {
        self.state.borrow_mut().store.expect();
    }

    /// The store announced by [`HlsChannel::store_coming`] could not be opened.
    pub fn no_store(&self) {
        self.state.borrow_mut().store.settle(None);
    }

    /// The store set by [`HlsChannel::use_store`], if it is open now.
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn store(&self) -> Option<crate::Store> {
        self.state.borrow().store.now()
    }

    /// The store once it is settled (at once when none is coming).
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) async fn settled_store(&self) -> Option<crate::Store> {
        std::future::poll_fn(|cx| self.state.borrow_mut().store.poll_settled(cx)).await
    }

    /// The channel tag of the stream, once a playlist carried one.
    pub fn channel_tag(&self) -> Option<ChannelTag> {
        self.state.borrow().channel.clone()
    }

    /// The HTTP estimate so far.
    pub fn http_estimate(&self) -> RateEstimate {
        self.state
            .borrow()
            .http
            .unwrap_or(RateEstimate::HTTP_DEFAULT)
    }

    /// Reads a playlist fetched from `url`: its segments (URIs made absolute by `resolve`)
    /// and their Shoal tags, each checked against its info hash once. A multivariant
    /// playlist or one that does not parse teaches nothing (hls.js judges it itself).
    pub fn learn_playlist(&self, url: &str, text: &str, resolve: impl Fn(&str) -> Option<String>) {
        let Ok(p) = MediaPlaylist::parse(text) else {
            return;
        };
        let mut st = self.state.borrow_mut();
        let st = &mut *st;
        st.stats.ended = p.ended;
        st.stats.live |= !p.ended;
        st.stats.refused_tags += p.refused_tags.len() as u64;
        if let Some(c) = &p.channel {
            st.stats.swarm = Some(c.swarm.to_hex());
            st.channel = Some(c.clone());
        }
        #[cfg(target_family = "wasm")]
        let join = match (&st.swarm, &st.peer_setup, &p.channel) {
            (None, Some(setup), Some(c)) => Some((setup.clone(), c.clone())),
            _ => None,
        };
        st.segments.retain(|_, s| s.playlist != url);
        for seg in p.segments {
            if st.segments.len() >= MAX_KNOWN {
                break;
            }
            let Some(abs) = resolve(&seg.uri) else {
                continue;
            };
            let tag = seg.shoal.and_then(|t| {
                let ok = t.check(hls::segment_name(&abs)).is_ok();
                if !ok {
                    st.stats.refused_tags += 1;
                }
                ok.then_some(t)
            });
            st.segments.insert(
                abs,
                KnownSegment {
                    sequence: seg.sequence,
                    duration_ms: seg.duration_ms,
                    tag,
                    playlist: url.to_owned(),
                },
            );
        }
        #[cfg(target_family = "wasm")]
        if let Some((setup, tag)) = join {
            st.swarm = super::peers::HlsSwarm::join(&tag, &setup, Rc::downgrade(&self.state));
        }
    }

    /// Notes that hls.js asked for the segment at `url` (prefetching follows it).
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn note_asked(&self, url: &str) {
        let mut st = self.state.borrow_mut();
        st.asked = st
            .segments
            .get(url)
            .map(|k| (k.playlist.clone(), k.sequence));
    }

    /// The segment hls.js asked for last: its playlist and sequence number.
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn asked(&self) -> Option<(String, u64)> {
        self.state.borrow().asked.clone()
    }

    /// The tagged segments listed after the one at `url` in its playlist, up to `n` of them
    /// (by sequence number), with their URLs.
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn tagged_after(&self, url: &str, n: u64) -> Vec<(String, u64, SegmentTag)> {
        let st = self.state.borrow();
        let Some(this) = st.segments.get(url) else {
            return Vec::new();
        };
        let range = this.sequence + 1..=this.sequence.saturating_add(n);
        let mut found: Vec<(String, u64, SegmentTag)> = st
            .segments
            .iter()
            .filter(|(_, k)| k.playlist == this.playlist && range.contains(&k.sequence))
            .filter_map(|(u, k)| k.tag.clone().map(|t| (u.clone(), k.sequence, t)))
            .collect();
        vecmap::sort_by_key(&mut found, |(_, seq, _)| *seq);
        found
    }

    /// The segment at absolute `url`, when a playlist listed it.
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn segment(&self, url: &str) -> Option<KnownSegment> {
        self.state.borrow().segments.get(url).cloned()
    }

    /// Folds one HTTP transfer into the estimate.
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn sample_http(&self, bytes: u64, ms: u64, ttfb_ms: u64) {
        let mut st = self.state.borrow_mut();
        let mut est = st.http.unwrap_or(RateEstimate::HTTP_DEFAULT);
        est.sample(bytes, ms, ttfb_ms);
        st.http = Some(est);
    }

    /// Counts a segment that was whole from peers before hls.js asked for it.
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn count_prefetched(&self) {
        self.state.borrow_mut().stats.prefetched += 1;
    }

    /// Records a delivered segment; hands a verified one to the sink.
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn delivered(&self, record: SegmentRecord, verified: Option<VerifiedSegment>) {
        let sink = {
            let mut st = self.state.borrow_mut();
            let s = &mut st.stats;
            s.bytes_from_http += record.http_bytes;
            s.bytes_from_peers += record.peer_bytes;
            s.bytes_from_store += record.store_bytes;
            s.segments += 1;
            if record.delivery != Delivery::HttpUntagged {
                s.tagged_segments += 1;
            }
            if s.recent.len() == RECENT_SEGMENTS {
                s.recent.pop_front();
            }
            s.recent.push_back(record);
            st.sink.clone()
        };
        if let (Some(sink), Some(v)) = (sink, verified) {
            sink(&v);
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn resolve(base: &str) -> impl Fn(&str) -> Option<String> + '_ {
        move |u: &str| Some(format!("{base}{u}"))
    }

    #[test]
    fn learns_checked_tags_only() {
        let a = vec![1u8; 70_000];
        let good = SegmentTag::for_bytes("a.ts", &a, 65536).expect("in bounds");
        // A tag made for another name: its info hash cannot match "b.ts".
        let wrong = SegmentTag::for_bytes("x.ts", &a, 65536).expect("in bounds");
        let text = format!(
            "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n{}\n#EXTINF:2,\na.ts\n{}\n#EXTINF:2,\nb.ts\n#EXTINF:2,\nc.ts\n#EXT-X-ENDLIST\n",
            good.to_line(),
            wrong.to_line()
        );
        let ch = HlsChannel::new();
        ch.learn_playlist("http://h/p.m3u8", &text, resolve("http://h/"));
        let a = ch.segment("http://h/a.ts").expect("listed");
        assert_eq!(a.sequence, 7);
        assert_eq!(a.tag, Some(good));
        assert_eq!(ch.segment("http://h/b.ts").and_then(|s| s.tag), None);
        assert_eq!(ch.segment("http://h/c.ts").map(|s| s.sequence), Some(9));
        // After a.ts: b.ts has no valid tag, c.ts has none at all.
        assert!(ch.tagged_after("http://h/a.ts", 2).is_empty());
        let s = ch.stats();
        assert!(s.ended);
        assert_eq!(s.refused_tags, 1);
    }

    #[test]
    fn the_tagged_segments_after_one_are_found_in_order() {
        let mut text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:3\n".to_owned();
        for n in ["s3.ts", "s4.ts", "s5.ts", "s6.ts"] {
            let tag = SegmentTag::for_bytes(n, n.as_bytes(), 16384).expect("in bounds");
            text += &format!("{}\n#EXTINF:2,\n{n}\n", tag.to_line());
        }
        let ch = HlsChannel::new();
        ch.learn_playlist("http://h/p.m3u8", &text, resolve("http://h/"));
        let next: Vec<(String, u64)> = ch
            .tagged_after("http://h/s3.ts", 2)
            .into_iter()
            .map(|(u, seq, _)| (u, seq))
            .collect();
        assert_eq!(
            next,
            vec![
                ("http://h/s4.ts".to_owned(), 4),
                ("http://h/s5.ts".to_owned(), 5)
            ]
        );
        assert!(ch.tagged_after("http://h/s6.ts", 2).is_empty());
        assert_eq!(
            ch.segment("http://h/s4.ts").map(|k| k.duration_ms),
            Some(2000)
        );
        ch.note_asked("http://h/s5.ts");
        assert_eq!(ch.asked(), Some(("http://h/p.m3u8".to_owned(), 5)));
    }

    #[test]
    fn a_refresh_replaces_the_playlists_segments() {
        let ch = HlsChannel::new();
        ch.learn_playlist("p", "#EXTM3U\n#EXTINF:2,\na.ts\n", resolve("h/"));
        ch.learn_playlist(
            "p",
            "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:1\n#EXTINF:2,\nb.ts\n",
            resolve("h/"),
        );
        assert!(ch.segment("h/a.ts").is_none());
        assert_eq!(ch.segment("h/b.ts").map(|s| s.sequence), Some(1));
    }

    #[test]
    fn verified_segments_reach_the_sink_and_the_figures() {
        let ch = HlsChannel::new();
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = Rc::clone(&got);
        ch.on_verified(Rc::new(move |v: &VerifiedSegment| {
            g.borrow_mut().push(v.url.clone())
        }));
        let bytes = vec![3u8; 100];
        let tag = SegmentTag::for_bytes("a.ts", &bytes, 16384).expect("in bounds");
        let rec = |delivery| SegmentRecord {
            sequence: Some(1),
            name: "a.ts".into(),
            http_bytes: 100,
            peer_bytes: 0,
            store_bytes: 0,
            delivery,
            load_ms: 5,
        };
        let v = VerifiedSegment {
            url: "h/a.ts".into(),
            info_hash: tag.info_hash,
            tag,
            bytes,
        };
        ch.delivered(rec(Delivery::HttpVerified), Some(v));
        ch.delivered(rec(Delivery::HttpUntagged), None);
        assert_eq!(*got.borrow(), vec!["h/a.ts".to_owned()]);
        let s = ch.stats();
        assert_eq!(
            (s.segments, s.tagged_segments, s.bytes_from_http),
            (2, 1, 200)
        );
        assert_eq!(s.p2p_share(), 0.0);
    }
}
