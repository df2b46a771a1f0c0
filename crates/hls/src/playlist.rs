//! A bounded reader of HLS media playlists (RFC 8216 §4.3), keeping what a segment loader
//! needs: each segment's URI, duration, media sequence number and Shoal tag, the channel tag,
//! and whether the playlist has ended. Everything else is skipped, as players do.

use crate::{
    error::HlsError,
    tags::{ChannelTag, SegmentTag, CHANNEL_TAG, SEGMENT_TAG},
};

/// Largest playlist text read.
pub const MAX_PLAYLIST_BYTES: usize = 4 * 1024 * 1024;
/// Most segments kept from one playlist.
pub const MAX_SEGMENTS: usize = 20_000;
/// Longest line (a Shoal tag of a 256 MiB segment in 64 KiB pieces is ~160 KB; bigger pieces
/// keep longer segments under this too).
pub const MAX_LINE: usize = 256 * 1024;
/// Longest segment duration taken at face value, ms (longer values are clamped).
const MAX_DURATION_MS: u64 = 3_600_000;

/// One media segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Its URI as written (relative to the playlist's URL, or absolute).
    pub uri: String,
    /// Its media sequence number.
    pub sequence: u64,
    /// `#EXTINF` duration, ms.
    pub duration_ms: u64,
    /// Its Shoal tag, when the origin published one and it parsed (the info hash is not
    /// checked here: see [`SegmentTag::check`]).
    pub shoal: Option<SegmentTag>,
}

/// What a loader needs of a media playlist.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaPlaylist {
    /// `#EXT-X-MEDIA-SEQUENCE` (0 when absent).
    pub media_sequence: u64,
    /// `#EXT-X-TARGETDURATION`, ms.
    pub target_duration_ms: u64,
    /// The segments, in order.
    pub segments: Vec<Segment>,
    /// `#EXT-X-ENDLIST` was seen: no segment will be added (a live broadcast has ended).
    pub ended: bool,
    /// The channel tag, when present and readable.
    pub channel: Option<ChannelTag>,
    /// Shoal tags that were present but refused (the segments they preceded are HTTP-only).
    pub refused_tags: Vec<(usize, HlsError)>,
}

impl MediaPlaylist {
    /// Parses a media playlist. A malformed Shoal tag does not fail the playlist (the segment
    /// just becomes HTTP-only, as for a player that ignores the tag); it is listed in
    /// [`MediaPlaylist::refused_tags`].
    pub fn parse(text: &str) -> Result<Self, HlsError> {
        if text.len() > MAX_PLAYLIST_BYTES {
            return Err(HlsError::TooLarge(text.len()));
        }
        let mut lines = text.lines().enumerate();
        let first = lines
            .next()
            .map(|(_, l)| l.trim_start_matches('\u{feff}').trim());
        if first != Some("#EXTM3U") {
            return Err(HlsError::NotAPlaylist);
        }
        let mut p = Self::default();
        let mut pending_tag: Option<SegmentTag> = None;
        let mut pending_duration: Option<u64> = None;
        let mut next_sequence: Option<u64> = None;
        for (i, line) in lines {
            let n = i + 1;
            if line.len() > MAX_LINE {
                return Err(HlsError::LineTooLong(n));
            }
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if let Some(attrs) = line.strip_prefix(SEGMENT_TAG) {
                match SegmentTag::parse(attrs) {
                    Ok(tag) => pending_tag = Some(tag),
                    Err(e) => p.refused_tags.push((n, e)),
                }
            } else if let Some(attrs) = line.strip_prefix(CHANNEL_TAG) {
                match ChannelTag::parse(attrs) {
                    Ok(tag) => p.channel = Some(tag),
                    Err(e) => p.refused_tags.push((n, e)),
                }
            } else if let Some(v) = line.strip_prefix("#EXT-X-MEDIA-SEQUENCE:") {
                // RFC 8216 §4.3.3.2: it comes before the first segment, which it numbers.
                if !p.segments.is_empty() {
                    return Err(bad(n, "#EXT-X-MEDIA-SEQUENCE comes after a segment"));
                }
                p.media_sequence = v
                    .trim()
                    .parse()
                    .map_err(|_| bad(n, "the media sequence is not an integer"))?;
            } else if let Some(v) = line.strip_prefix("#EXT-X-TARGETDURATION:") {
                let secs: u64 = v
                    .trim()
                    .parse()
                    .map_err(|_| bad(n, "the target duration is not an integer"))?;
                p.target_duration_ms = secs.saturating_mul(1000).min(MAX_DURATION_MS);
            } else if let Some(v) = line.strip_prefix("#EXTINF:") {
                let secs = v.split(',').next().unwrap_or_default().trim();
                pending_duration = Some(
                    duration_ms(secs)
                        .ok_or_else(|| bad(n, "the #EXTINF duration is not a number"))?,
                );
            } else if line == "#EXT-X-ENDLIST" {
                p.ended = true;
            } else if line.starts_with("#EXT-X-STREAM-INF") {
                return Err(HlsError::Multivariant);
            } else if line.starts_with('#') {
                // Comments and tags a loader does not need.
            } else {
                if p.segments.len() >= MAX_SEGMENTS {
                    return Err(HlsError::TooManySegments);
                }
                let sequence = next_sequence.unwrap_or(p.media_sequence);
                next_sequence = Some(sequence.saturating_add(1));
                p.segments.push(Segment {
                    uri: line.to_owned(),
                    sequence,
                    duration_ms: pending_duration.take().unwrap_or(p.target_duration_ms),
                    shoal: pending_tag.take(),
                });
            }
        }
        Ok(p)
    }

    /// The segment whose URI, resolved by the caller, is `uri` (compare as written).
    pub fn segment_by_uri(&self, uri: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.uri == uri)
    }

    /// Total duration of the listed segments, ms.
    pub fn duration_ms(&self) -> u64 {
        self.segments.iter().map(|s| s.duration_ms).sum()
    }
}

fn bad(line: usize, what: &str) -> HlsError {
    HlsError::BadTag {
        line,
        what: what.to_owned(),
    }
}

/// `"2.000"` → 2000 ms, without floats (decimal-floating-point, §4.2), clamped.
fn duration_ms(text: &str) -> Option<u64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: u64 = if int.is_empty() {
        0
    } else {
        int.get(..int.len().min(10))?.parse().ok()?
    };
    let mut ms = 0u64;
    for (i, d) in frac.bytes().take(3).enumerate() {
        ms += u64::from(d - b'0') * [100, 10, 1][i];
    }
    Some(
        int.saturating_mul(1000)
            .saturating_add(ms)
            .min(MAX_DURATION_MS),
    )
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    const LIVE: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:41\n\
        #EXT-X-SHOAL:VERSION=1,SWARM=0123456789abcdef0123456789abcdef01234567,TRACKERS=\"ws://127.0.0.1:1/announce\"\n\
        #EXTINF:2.000,\nseg-000041.ts\n#EXTINF:1.96,\nseg-000042.ts\n";

    #[test]
    fn reads_a_live_playlist() {
        let p = MediaPlaylist::parse(LIVE).expect("valid playlist");
        assert_eq!(p.media_sequence, 41);
        assert_eq!(p.target_duration_ms, 2000);
        assert!(!p.ended);
        assert_eq!(p.segments.len(), 2);
        assert_eq!(p.segments[1].sequence, 42);
        assert_eq!(p.segments[1].duration_ms, 1960);
        assert!(p.channel.is_some());
        assert!(p.segments.iter().all(|s| s.shoal.is_none()));
        assert_eq!(p.duration_ms(), 3960);
    }

    #[test]
    fn segment_tags_attach_to_the_next_segment() {
        let bytes = vec![5u8; 70_000];
        let tag = SegmentTag::for_bytes("b.ts", &bytes, 65536).expect("in bounds");
        let text = format!(
            "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\na.ts\n{}\n#EXTINF:2,\nb.ts\n#EXT-X-ENDLIST\n",
            tag.to_line()
        );
        let p = MediaPlaylist::parse(&text).expect("valid playlist");
        assert!(p.ended);
        assert_eq!(p.segments[0].shoal, None);
        assert_eq!(p.segments[1].shoal.as_ref(), Some(&tag));
        assert_eq!(p.segment_by_uri("b.ts").map(|s| s.sequence), Some(1));
    }

    #[test]
    fn a_bad_shoal_tag_leaves_the_segment_http_only() {
        let text = "#EXTM3U\n#EXT-X-SHOAL-SEGMENT:INFOHASH=zz\n#EXTINF:2,\na.ts\n";
        let p = MediaPlaylist::parse(text).expect("the playlist itself is fine");
        assert_eq!(p.segments[0].shoal, None);
        assert_eq!(p.refused_tags.len(), 1);
    }

    #[test]
    fn refuses_what_is_not_a_media_playlist() {
        assert_eq!(MediaPlaylist::parse("hello"), Err(HlsError::NotAPlaylist));
        assert_eq!(
            MediaPlaylist::parse("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow.m3u8\n"),
            Err(HlsError::Multivariant)
        );
        assert!(MediaPlaylist::parse("#EXTM3U\n#EXTINF:abc,\na.ts\n").is_err());
        assert!(MediaPlaylist::parse("#EXTM3U\na.ts\n#EXT-X-MEDIA-SEQUENCE:5\n").is_err());
        let huge = format!("#EXTM3U\n{}", "#".repeat(MAX_PLAYLIST_BYTES));
        assert!(matches!(
            MediaPlaylist::parse(&huge),
            Err(HlsError::TooLarge(_))
        ));
        let many = format!("#EXTM3U\n{}", "a.ts\n".repeat(MAX_SEGMENTS + 1));
        assert_eq!(MediaPlaylist::parse(&many), Err(HlsError::TooManySegments));
    }

    #[test]
    fn durations_without_floats() {
        assert_eq!(duration_ms("2"), Some(2000));
        assert_eq!(duration_ms("2.5"), Some(2500));
        assert_eq!(duration_ms("0.0334"), Some(33));
        assert_eq!(duration_ms(".5"), Some(500));
        assert_eq!(duration_ms("99999999999999"), Some(MAX_DURATION_MS));
        assert_eq!(duration_ms("-1"), None);
        assert_eq!(duration_ms("."), None);
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod props {
    use proptest::prelude::*;

    use super::*;

    /// Lines that look like a playlist's, with damage.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("#EXTINF:2.000,".to_owned()),
            Just("#EXT-X-ENDLIST".to_owned()),
            Just("#EXT-X-MEDIA-SEQUENCE:18446744073709551615".to_owned()),
            "[a-z0-9./-]{1,20}",
            "#EXT-X-SHOAL(-SEGMENT)?:[A-Z=,\"0-9a-f -]{0,120}",
            "#EXT[A-Z:0-9.,=-]{0,30}",
            any::<String>(),
        ]
    }

    proptest! {
        /// Any text parses or is refused with an error, never a panic; sequence numbers count
        /// up from the media sequence; every tag kept round-trips through its line.
        #[test]
        fn arbitrary_playlists(lines in proptest::collection::vec(line(), 0..60)) {
            let text = format!("#EXTM3U\n{}", lines.join("\n"));
            if let Ok(p) = MediaPlaylist::parse(&text) {
                for (i, s) in p.segments.iter().enumerate() {
                    prop_assert_eq!(s.sequence, p.media_sequence.saturating_add(i as u64));
                    if let Some(tag) = &s.shoal {
                        let line = tag.to_line();
                        let back = SegmentTag::parse(line.strip_prefix(SEGMENT_TAG).unwrap_or_default());
                        prop_assert_eq!(back.as_ref(), Ok(tag));
                    }
                }
            }
        }
    }
}
