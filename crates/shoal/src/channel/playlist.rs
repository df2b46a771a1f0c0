//! Writing Shoal's media playlist: a plain RFC 8216 live playlist any player reads, plus two
//! tags only a Shoal loader reads (other players ignore unknown tags, RFC 8216 §4.1):
//!
//! - once in the header, `#EXT-X-SHOAL:VERSION=1,SWARM=<40 hex>,TRACKERS="<url> <url>"`, the
//!   channel's swarm id and the WebSocket trackers its viewers announce to;
//! - immediately before each segment's `#EXTINF`,
//!   `#EXT-X-SHOAL-SEGMENT:INFOHASH=<40 hex>,LENGTH=<bytes>,PIECE-LENGTH=65536,PIECES=<hex>`,
//!   from which a loader rebuilds the segment torrent's info dict and verifies every piece.

use std::fmt::Write;

use metainfo::InfoHash;

use super::segment_torrent::SEGMENT_PIECE_LENGTH;

/// One published segment, as its playlist entry needs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Published {
    /// Media sequence number (continues across restarts).
    pub(crate) sequence: u64,
    /// The file name, `seg-000042.ts` (the URI, relative to the playlist).
    pub(crate) file: String,
    /// Seconds.
    pub(crate) duration: f64,
    /// Preceded by `#EXT-X-DISCONTINUITY` (a new encoder run, or the source said so).
    pub(crate) discontinuity: bool,
    pub(crate) info_hash: InfoHash,
    pub(crate) length: u64,
    /// The concatenated 20-byte piece hashes.
    pub(crate) pieces: Vec<u8>,
}

/// The file name of segment `sequence`.
pub(crate) fn segment_file(sequence: u64) -> String {
    format!("seg-{sequence:06}.ts")
}

/// The playlist's header fields.
#[derive(Debug, Clone)]
pub(crate) struct Header<'a> {
    /// Seconds, at least every listed segment's duration rounded.
    pub(crate) target_duration: u64,
    pub(crate) discontinuity_sequence: u64,
    pub(crate) swarm: InfoHash,
    pub(crate) trackers: &'a [String],
    pub(crate) ended: bool,
}

/// `#EXT-X-SHOAL:...`. Tracker URLs that would break the quoted string are left out.
pub(crate) fn swarm_tag(swarm: &InfoHash, trackers: &[String]) -> String {
    let trackers: Vec<&str> = trackers
        .iter()
        .map(String::as_str)
        .filter(|t| !t.is_empty() && !t.contains(['"', ' ', '\r', '\n', ',']))
        .collect();
    format!(
        "#EXT-X-SHOAL:VERSION=1,SWARM={},TRACKERS=\"{}\"",
        swarm.to_hex(),
        trackers.join(" ")
    )
}

/// `#EXT-X-SHOAL-SEGMENT:...` for one segment.
pub(crate) fn segment_tag(segment: &Published) -> String {
    let mut pieces = String::with_capacity(segment.pieces.len() * 2);
    for byte in &segment.pieces {
        let _ = write!(pieces, "{byte:02x}");
    }
    format!(
        "#EXT-X-SHOAL-SEGMENT:INFOHASH={},LENGTH={},PIECE-LENGTH={SEGMENT_PIECE_LENGTH},PIECES={pieces}",
        segment.info_hash.to_hex(),
        segment.length
    )
}

/// The whole media playlist for `segments` (the live window, oldest first).
pub(crate) fn render(header: &Header<'_>, segments: &[Published]) -> String {
    let target = segments
        .iter()
        .map(|s| s.duration.round() as u64)
        .fold(header.target_duration.max(1), u64::max);
    let first = segments.first().map_or(0, |s| s.sequence);
    let mut text = String::new();
    let _ = writeln!(text, "#EXTM3U");
    let _ = writeln!(text, "#EXT-X-VERSION:3");
    let _ = writeln!(text, "#EXT-X-TARGETDURATION:{target}");
    let _ = writeln!(text, "#EXT-X-MEDIA-SEQUENCE:{first}");
    if header.discontinuity_sequence > 0 {
        let _ = writeln!(
            text,
            "#EXT-X-DISCONTINUITY-SEQUENCE:{}",
            header.discontinuity_sequence
        );
    }
    let _ = writeln!(text, "{}", swarm_tag(&header.swarm, header.trackers));
    for segment in segments {
        if segment.discontinuity {
            let _ = writeln!(text, "#EXT-X-DISCONTINUITY");
        }
        let _ = writeln!(text, "{}", segment_tag(segment));
        let _ = writeln!(text, "#EXTINF:{:.6},", segment.duration);
        let _ = writeln!(text, "{}", segment.file);
    }
    if header.ended {
        let _ = writeln!(text, "#EXT-X-ENDLIST");
    }
    text
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::channel::input_playlist;

    fn segment(sequence: u64, pieces: usize, discontinuity: bool) -> Published {
        Published {
            sequence,
            file: segment_file(sequence),
            duration: 2.0,
            discontinuity,
            info_hash: metainfo::Id20([sequence as u8; 20]),
            length: pieces as u64 * SEGMENT_PIECE_LENGTH - 7,
            pieces: (0..pieces * 20).map(|i| i as u8).collect(),
        }
    }

    /// Reads `KEY=VALUE` attributes of a tag line (no quoted commas in what we write).
    fn attributes(line: &str) -> Vec<(String, String)> {
        let (_, list) = line.split_once(':').expect("a tag with attributes");
        list.split(',')
            .map(|kv| {
                let (k, v) = kv.split_once('=').expect("KEY=VALUE");
                (k.to_owned(), v.trim_matches('"').to_owned())
            })
            .collect()
    }

    #[test]
    fn the_tags_say_what_the_format_fixes() {
        let trackers = vec![
            "ws://127.0.0.1:8080/announce".to_owned(),
            "wss://t.example/a".to_owned(),
        ];
        let swarm = metainfo::Id20([0xab; 20]);
        assert_eq!(
            swarm_tag(&swarm, &trackers),
            format!(
                "#EXT-X-SHOAL:VERSION=1,SWARM={},TRACKERS=\"ws://127.0.0.1:8080/announce wss://t.example/a\"",
                "ab".repeat(20)
            )
        );
        let seg = segment(42, 2, false);
        let tag = segment_tag(&seg);
        let attrs = attributes(&tag);
        let keys: Vec<&str> = attrs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["INFOHASH", "LENGTH", "PIECE-LENGTH", "PIECES"]);
        assert_eq!(attrs[0].1, "2a".repeat(20));
        assert_eq!(attrs[1].1, seg.length.to_string());
        assert_eq!(attrs[2].1, "65536");
        assert_eq!(attrs[3].1.len(), 2 * 40);
    }

    #[test]
    fn a_playlist_lists_each_tag_right_before_its_extinf_and_ends_when_told() {
        let trackers = vec!["ws://h/announce".to_owned()];
        let header = Header {
            target_duration: 2,
            discontinuity_sequence: 3,
            swarm: metainfo::Id20([1; 20]),
            trackers: &trackers,
            ended: false,
        };
        let segments = [segment(5, 1, true), segment(6, 3, false)];
        let text = render(&header, &segments);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "#EXTM3U");
        assert!(lines.contains(&"#EXT-X-MEDIA-SEQUENCE:5"));
        assert!(lines.contains(&"#EXT-X-DISCONTINUITY-SEQUENCE:3"));
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("#EXTINF") {
                assert!(lines[i - 1].starts_with("#EXT-X-SHOAL-SEGMENT:"), "{text}");
            }
        }
        assert!(!text.contains("#EXT-X-ENDLIST"));
        let ended = render(
            &Header {
                ended: true,
                ..header
            },
            &segments,
        );
        assert_eq!(ended.lines().last(), Some("#EXT-X-ENDLIST"));
        // What a non-Shoal reader sees: the same segments, in order.
        let read = input_playlist::parse(&ended).expect("parse");
        assert!(read.ended);
        let uris: Vec<&str> = read.segments.iter().map(|s| s.uri.as_str()).collect();
        assert_eq!(uris, ["seg-000005.ts", "seg-000006.ts"]);
        assert_eq!(read.segments[0].sequence, 5);
        assert!(read.segments[0].discontinuity);
    }

    proptest! {
        #[test]
        fn every_segment_line_follows_its_tag(
            first in 0u64..1_000_000,
            shape in proptest::collection::vec((1usize..40, any::<bool>()), 0..12),
        ) {
            let segments: Vec<Published> = shape
                .iter()
                .enumerate()
                .map(|(i, &(pieces, d))| segment(first + i as u64, pieces, d))
                .collect();
            let trackers = vec!["ws://h/announce".to_owned()];
            let header = Header {
                target_duration: 2,
                discontinuity_sequence: 0,
                swarm: metainfo::Id20([9; 20]),
                trackers: &trackers,
                ended: false,
            };
            let text = render(&header, &segments);
            let lines: Vec<&str> = text.lines().collect();
            let mut seen = 0;
            for (i, line) in lines.iter().enumerate() {
                if let Some(tag) = line.strip_prefix("#EXT-X-SHOAL-SEGMENT:") {
                    let s = &segments[seen];
                    prop_assert!(lines[i + 1].starts_with("#EXTINF:"));
                    prop_assert_eq!(lines[i + 2], s.file.as_str());
                    let pieces = tag.rsplit_once("PIECES=").map(|(_, p)| p).unwrap_or_default();
                    prop_assert_eq!(pieces.len(), s.pieces.len() * 2);
                    seen += 1;
                }
            }
            prop_assert_eq!(seen, segments.len());
            prop_assert_eq!(text.matches("#EXT-X-SHOAL:").count(), 1);
        }
    }
}
