//! A media file's running time, read from its container header (MP4/MOV `mvhd`, Matroska/WebM
//! `Info`), for the library listing. No ffprobe: a self-hoster's machine need not have it.
//!
//! The parsers are third-party code reading files we did not make, so a probe is isolated: any
//! error — or a panic inside a parser — gives "unknown" (`None`) and a debug log line, never a
//! failed start.

use std::{fs::File, io::BufReader, path::Path};

/// Longest duration believed (a week): anything longer is a broken header, shown as unknown.
const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

/// Which parser reads a file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    IsoBmff,
    Matroska,
}

fn container(path: &Path) -> Option<Container> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "mp4" | "m4v" | "m4a" | "mov" => Some(Container::IsoBmff),
        "webm" | "mkv" => Some(Container::Matroska),
        _ => None,
    }
}

/// Seconds of media in the file at `path`, when its container says so plausibly.
pub(crate) fn probe(path: &Path) -> Option<f64> {
    let kind = container(path)?;
    let outcome = std::panic::catch_unwind(|| match kind {
        Container::IsoBmff => iso_bmff(path),
        Container::Matroska => matroska_info(path),
    });
    let seconds = match outcome {
        Ok(Ok(seconds)) => seconds,
        Ok(Err(reason)) => {
            tracing::debug!(file = %path.display(), "no duration: {reason}");
            None
        }
        Err(_) => {
            tracing::debug!(file = %path.display(), "no duration: the container parser gave up");
            None
        }
    };
    seconds.filter(|s| s.is_finite() && *s > 0.0 && *s <= MAX_SECONDS)
}

fn iso_bmff(path: &Path) -> Result<Option<f64>, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let size = file.metadata().map_err(|e| e.to_string())?.len();
    let mp4 = mp4::Mp4Reader::read_header(BufReader::new(file), size).map_err(|e| e.to_string())?;
    let mvhd = &mp4.moov.mvhd;
    // Computed here rather than with `Mp4Reader::duration`, which divides by a timescale the
    // file may set to zero.
    Ok((mvhd.timescale > 0).then(|| mvhd.duration as f64 / f64::from(mvhd.timescale)))
}

fn matroska_info(path: &Path) -> Result<Option<f64>, String> {
    let info = matroska::get_from::<_, matroska::Info>(path).map_err(|e| e.to_string())?;
    Ok(info.and_then(|i| i.duration).map(|d| d.as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_parser_by_extension() {
        assert_eq!(container(Path::new("a/B.MP4")), Some(Container::IsoBmff));
        assert_eq!(container(Path::new("b.mov")), Some(Container::IsoBmff));
        assert_eq!(container(Path::new("c.webm")), Some(Container::Matroska));
        assert_eq!(container(Path::new("d.mkv")), Some(Container::Matroska));
        assert_eq!(container(Path::new("e.mp3")), None);
        assert_eq!(container(Path::new("noext")), None);
    }

    #[test]
    fn garbage_and_truncated_files_have_no_duration() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["junk.mp4", "junk.webm", "empty.mkv"] {
            let path = dir.path().join(name);
            let body: &[u8] = if name.starts_with("empty") {
                b""
            } else {
                b"\x00\x00\x00\x08moov\xff\xff\xff\xff\x1a\x45\xdf\xa3\x88"
            };
            std::fs::write(&path, body).expect("write");
            assert_eq!(probe(&path), None, "{name}");
        }
        assert_eq!(probe(&dir.path().join("missing.mp4")), None);
    }

    /// A hand-built MP4 header: `ftyp`, then `moov` holding only an `mvhd` (version 0).
    fn minimal_mp4(timescale: u32, duration: u32) -> Vec<u8> {
        let mut mvhd = Vec::new();
        mvhd.extend_from_slice(&[0, 0, 0, 0]); // version 0, flags
        mvhd.extend_from_slice(&[0; 8]); // creation, modification
        mvhd.extend_from_slice(&timescale.to_be_bytes());
        mvhd.extend_from_slice(&duration.to_be_bytes());
        mvhd.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
        mvhd.extend_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
        mvhd.extend_from_slice(&[0; 10]); // reserved
        for m in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
            mvhd.extend_from_slice(&m.to_be_bytes()); // unity matrix
        }
        mvhd.extend_from_slice(&[0; 24]); // pre_defined
        mvhd.extend_from_slice(&2u32.to_be_bytes()); // next_track_ID
        let boxed = |name: &[u8], body: &[u8]| {
            let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
            b.extend_from_slice(name);
            b.extend_from_slice(body);
            b
        };
        let mut out = boxed(b"ftyp", b"isom\0\0\x02\0isomiso2");
        out.extend(boxed(b"moov", &boxed(b"mvhd", &mvhd)));
        out
    }

    #[test]
    fn reads_mvhd_and_refuses_a_zero_timescale() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("clip.mp4");
        std::fs::write(&path, minimal_mp4(1000, 20_500)).expect("write");
        assert_eq!(probe(&path), Some(20.5));
        std::fs::write(&path, minimal_mp4(0, 20_500)).expect("write");
        assert_eq!(probe(&path), None);
    }

    /// One EBML element: its ID bytes, its size as a variable-length integer, its body.
    fn ebml(id: &[u8], body: &[u8]) -> Vec<u8> {
        let mut out = id.to_vec();
        let len = body.len();
        if len < 0x7f {
            out.push(0x80 | len as u8);
        } else {
            assert!(len < 0x3fff, "small elements only");
            out.extend_from_slice(&(0x4000 | len as u16).to_be_bytes());
        }
        out.extend_from_slice(body);
        out
    }

    const SEGMENT: &[u8] = &[0x18, 0x53, 0x80, 0x67];
    const INFO: &[u8] = &[0x15, 0x49, 0xa9, 0x66];

    /// A WebM's head the way muxers write it: the EBML header (DocType webm), then a Segment
    /// holding a SeekHead that points at Info (when `seek_head`), Info (TimestampScale and,
    /// when given, Duration in ticks), and a Void where the clusters would start.
    fn minimal_webm(
        timestamp_scale_ns: u32,
        duration_ticks: Option<f64>,
        seek_head: bool,
    ) -> Vec<u8> {
        let header = ebml(
            &[0x1a, 0x45, 0xdf, 0xa3],
            &[
                ebml(&[0x42, 0x82], b"webm"),
                ebml(&[0x42, 0x87], &[4]),
                ebml(&[0x42, 0x85], &[2]),
            ]
            .concat(),
        );
        let mut info_body = ebml(&[0x2a, 0xd7, 0xb1], &timestamp_scale_ns.to_be_bytes());
        if let Some(ticks) = duration_ticks {
            info_body.extend(ebml(&[0x44, 0x89], &ticks.to_be_bytes()));
        }
        info_body.extend(ebml(&[0x4d, 0x80], b"shoal-test")); // MuxingApp
        info_body.extend(ebml(&[0x57, 0x41], b"shoal-test")); // WritingApp
        let info = ebml(INFO, &info_body);
        let mut segment_body = Vec::new();
        if seek_head {
            // The SeekHead's own length does not depend on the position it holds (one byte).
            let head = |position: u8| {
                let seek = [ebml(&[0x53, 0xab], INFO), ebml(&[0x53, 0xac], &[position])].concat();
                ebml(&[0x11, 0x4d, 0x9b, 0x74], &ebml(&[0x4d, 0xbb], &seek))
            };
            let at = head(0).len();
            segment_body.extend(head(u8::try_from(at).expect("a short head")));
        }
        segment_body.extend(info);
        segment_body.extend(ebml(&[0xec], &[0; 16])); // Void
        [header, ebml(SEGMENT, &segment_body)].concat()
    }

    #[test]
    fn reads_a_webm_duration_in_its_timestamp_scale() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("clip.webm");
        // The muxers' default scale: ticks are milliseconds; found through the SeekHead.
        std::fs::write(&path, minimal_webm(1_000_000, Some(20_040.0), true)).expect("write");
        let seconds = probe(&path).expect("a duration");
        assert!((seconds - 20.04).abs() < 1e-9, "{seconds}");
        // No SeekHead: Info is found by walking the Segment. Ticks of 1 µs.
        std::fs::write(&path, minimal_webm(1_000, Some(61_500_000.0), false)).expect("write");
        assert_eq!(probe(&path), Some(61.5));
        // The same bytes named .mkv are read the same way.
        let mkv = dir.path().join("clip.mkv");
        std::fs::write(&mkv, minimal_webm(1_000_000, Some(5_000.0), true)).expect("write");
        assert_eq!(probe(&mkv), Some(5.0));
    }

    #[test]
    fn a_webm_without_duration_or_with_an_absurd_one_has_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("live.webm");
        // A live recording's header: Info with no Duration.
        std::fs::write(&path, minimal_webm(1_000_000, None, true)).expect("write");
        assert_eq!(probe(&path), None);
        // A negative, and a longer-than-a-week, duration are broken headers.
        std::fs::write(&path, minimal_webm(1_000_000, Some(-5.0), true)).expect("write");
        assert_eq!(probe(&path), None);
        std::fs::write(
            &path,
            minimal_webm(1_000_000, Some(8.0 * 86_400_000.0), false),
        )
        .expect("write");
        assert_eq!(probe(&path), None);
    }
}
