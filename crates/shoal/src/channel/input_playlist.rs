//! Reading the media playlist an encoder writes (ffmpeg's own, or another encoder's in a
//! watched folder). An encoder lists a segment only once it has closed the file, so what this
//! returns is exactly the set of segments that are safe to publish.
//!
//! Only what the broadcaster needs is read: the media sequence, each segment's URI, duration
//! and discontinuity, and the end. Unknown tags are skipped (RFC 8216 §4.1). The text is
//! bounded (size, segment count, URI length) and anything malformed is a typed error; the
//! caller retries on the next poll, as the file may have been caught mid-rewrite.

/// Largest playlist read.
pub(crate) const MAX_PLAYLIST_BYTES: usize = 1 << 20;
/// Most segments listed.
pub(crate) const MAX_SEGMENTS: usize = 10_000;
/// Longest segment URI.
pub(crate) const MAX_URI_LEN: usize = 1024;
/// Longest segment duration accepted, in seconds.
pub(crate) const MAX_SEGMENT_SECONDS: f64 = 600.0;

/// Why an encoder's playlist cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum InputPlaylistError {
    #[error("the playlist is {0} bytes, more than 1 MiB")]
    TooLarge(usize),
    #[error("not an HLS playlist (no #EXTM3U first line)")]
    NotAPlaylist,
    #[error("a master playlist (#EXT-X-STREAM-INF); give the media playlist of one variant")]
    MasterPlaylist,
    #[error("line {line}: bad {tag} value {value:?}")]
    BadValue {
        line: usize,
        tag: &'static str,
        value: String,
    },
    #[error("line {line}: segment URI without an #EXTINF before it")]
    UriWithoutDuration { line: usize },
    #[error("line {line}: segment URI {uri:?} is not a relative path inside the folder")]
    BadUri { line: usize, uri: String },
    #[error("more than {MAX_SEGMENTS} segments listed")]
    TooManySegments,
}

/// One closed segment the encoder listed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InputSegment {
    /// Its media sequence number in the encoder's numbering.
    pub(crate) sequence: u64,
    /// Relative to the playlist's folder, `/`-separated, no `..`.
    pub(crate) uri: String,
    /// Seconds.
    pub(crate) duration: f64,
    /// Preceded by `#EXT-X-DISCONTINUITY`.
    pub(crate) discontinuity: bool,
}

/// What the encoder's playlist says.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct InputPlaylist {
    pub(crate) segments: Vec<InputSegment>,
    /// `#EXT-X-ENDLIST`: the encoder finished.
    pub(crate) ended: bool,
}

/// Parses a media playlist.
pub(crate) fn parse(text: &str) -> Result<InputPlaylist, InputPlaylistError> {
    if text.len() > MAX_PLAYLIST_BYTES {
        return Err(InputPlaylistError::TooLarge(text.len()));
    }
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    if lines.next().map(|(_, l)| l) != Some("#EXTM3U") {
        return Err(InputPlaylistError::NotAPlaylist);
    }
    let mut out = InputPlaylist::default();
    let mut sequence = 0u64;
    let mut duration: Option<f64> = None;
    let mut discontinuity = false;
    for (line, text) in lines {
        if text.is_empty() {
            continue;
        }
        if let Some(value) = text.strip_prefix("#EXT-X-MEDIA-SEQUENCE:") {
            sequence = value
                .trim()
                .parse()
                .map_err(|_| bad(line, "#EXT-X-MEDIA-SEQUENCE", value))?;
        } else if let Some(value) = text.strip_prefix("#EXTINF:") {
            let seconds = value.split(',').next().unwrap_or_default().trim();
            let seconds: f64 = seconds
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && (0.0..=MAX_SEGMENT_SECONDS).contains(s))
                .ok_or_else(|| bad(line, "#EXTINF", value))?;
            duration = Some(seconds);
        } else if text == "#EXT-X-DISCONTINUITY" {
            discontinuity = true;
        } else if text == "#EXT-X-ENDLIST" {
            out.ended = true;
        } else if text.starts_with("#EXT-X-STREAM-INF") {
            return Err(InputPlaylistError::MasterPlaylist);
        } else if text.starts_with('#') {
            // Comments and tags we do not need.
        } else {
            let seconds = duration
                .take()
                .ok_or(InputPlaylistError::UriWithoutDuration { line })?;
            if !is_relative_inside(text) {
                return Err(InputPlaylistError::BadUri {
                    line,
                    uri: text.chars().take(MAX_URI_LEN).collect(),
                });
            }
            if out.segments.len() == MAX_SEGMENTS {
                return Err(InputPlaylistError::TooManySegments);
            }
            out.segments.push(InputSegment {
                sequence,
                uri: text.to_owned(),
                duration: seconds,
                discontinuity: std::mem::take(&mut discontinuity),
            });
            sequence = sequence.saturating_add(1);
        }
    }
    Ok(out)
}

fn bad(line: usize, tag: &'static str, value: &str) -> InputPlaylistError {
    InputPlaylistError::BadValue {
        line,
        tag,
        value: value.chars().take(80).collect(),
    }
}

/// A path below the playlist's folder: no scheme, not absolute, no `..`, no query, bounded.
fn is_relative_inside(uri: &str) -> bool {
    uri.len() <= MAX_URI_LEN
        && !uri.contains("://")
        && !uri.starts_with('/')
        && !uri.contains(['?', '#', '\\', '\0'])
        && uri.split('/').all(|part| !part.is_empty() && part != "..")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const FFMPEG: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:2.000000,\nin-7.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:1.960000,\nin-8.ts";

    #[test]
    fn reads_what_ffmpeg_writes() {
        let p = parse(FFMPEG).expect("parse");
        assert!(!p.ended);
        assert_eq!(
            p.segments,
            vec![
                InputSegment {
                    sequence: 7,
                    uri: "in-7.ts".into(),
                    duration: 2.0,
                    discontinuity: false
                },
                InputSegment {
                    sequence: 8,
                    uri: "in-8.ts".into(),
                    duration: 1.96,
                    discontinuity: true
                },
            ]
        );
        let ended = parse(&format!("{FFMPEG}\n#EXT-X-ENDLIST\n")).expect("parse");
        assert!(ended.ended);
    }

    #[test]
    fn bad_playlists_get_typed_errors() {
        assert_eq!(parse("hello"), Err(InputPlaylistError::NotAPlaylist));
        assert_eq!(
            parse("#EXTM3U\nin-1.ts\n"),
            Err(InputPlaylistError::UriWithoutDuration { line: 2 })
        );
        assert!(matches!(
            parse("#EXTM3U\n#EXTINF:abc,\nx.ts"),
            Err(InputPlaylistError::BadValue { line: 2, .. })
        ));
        assert!(matches!(
            parse("#EXTM3U\n#EXTINF:-1,\nx.ts"),
            Err(InputPlaylistError::BadValue { .. })
        ));
        for uri in [
            "../x.ts",
            "/etc/passwd",
            "http://h/x.ts",
            "a//b.ts",
            "x.ts?y",
        ] {
            assert!(
                matches!(
                    parse(&format!("#EXTM3U\n#EXTINF:2,\n{uri}")),
                    Err(InputPlaylistError::BadUri { .. })
                ),
                "{uri}"
            );
        }
        assert_eq!(
            parse("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8"),
            Err(InputPlaylistError::MasterPlaylist)
        );
        let huge = format!("#EXTM3U\n{}", "#".repeat(MAX_PLAYLIST_BYTES));
        assert!(matches!(parse(&huge), Err(InputPlaylistError::TooLarge(_))));
        let many = format!("#EXTM3U\n{}", "#EXTINF:1,\na.ts\n".repeat(MAX_SEGMENTS + 1));
        assert_eq!(parse(&many), Err(InputPlaylistError::TooManySegments));
    }

    proptest! {
        #[test]
        fn never_panics(text in ".{0,400}") {
            let _ = parse(&format!("#EXTM3U\n{text}"));
            let _ = parse(&text);
        }

        #[test]
        fn sequences_count_up_from_the_media_sequence(first in 0u64..1_000_000, n in 0usize..20) {
            let mut text = format!("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:{first}\n");
            for i in 0..n {
                text.push_str(&format!("#EXTINF:2.0,\nseg{i}.ts\n"));
            }
            let p = parse(&text).expect("parse");
            prop_assert_eq!(p.segments.len(), n);
            for (i, s) in p.segments.iter().enumerate() {
                prop_assert_eq!(s.sequence, first + i as u64);
            }
        }
    }
}
