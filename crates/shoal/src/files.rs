//! `/files/...`: the library folder over HTTP with byte ranges, as a BEP 19 web seed and for
//! direct playback; and the media type of a library file, from the `mime_guess` table (the one
//! extension → MIME table on the native side). CORS comes from the router's layer (`cors.rs`).
//!
//! Containment comes first: a request path is decoded once, split on `/`, and refused (404)
//! if any segment is empty, `.`, `..`, or holds a backslash or NUL; an encoded slash (`%2F`)
//! therefore never becomes a separator. The joined path is then canonicalized (following
//! symlinks) and must still lie inside the canonical library folder, so a symlink that points
//! out is a 404 too. Nothing outside the folder is ever opened for reading.

use std::{
    io::SeekFrom,
    path::{Path, PathBuf},
};

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// A byte range request, resolved against a length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeAnswer {
    /// No usable `Range` header: the whole body, 200.
    Whole,
    /// Bytes `start..=end`, 206.
    Partial { start: u64, end: u64 },
    /// Nothing satisfiable, 416 with `Content-Range: bytes */LEN`.
    Unsatisfiable,
}

/// Resolves a `Range` header value against a body of `len` bytes (RFC 9110 §14): one range of
/// `bytes=a-b`, `bytes=a-` or `bytes=-n`. Several ranges are answered with the whole body
/// (allowed, and what players never ask for); a malformed header is ignored (200).
pub(crate) fn resolve_range(header: Option<&str>, len: u64) -> RangeAnswer {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeAnswer::Whole;
    };
    if spec.contains(',') {
        return RangeAnswer::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (first.is_empty(), last.is_empty()) {
        // bytes=-n: the last n bytes.
        (true, false) => match parse(last) {
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(n) if len > 0 => RangeAnswer::Partial {
                start: len.saturating_sub(n),
                end: len - 1,
            },
            Some(_) => RangeAnswer::Unsatisfiable,
            None => RangeAnswer::Whole,
        },
        (false, _) => {
            let Some(start) = parse(first) else {
                return RangeAnswer::Whole;
            };
            let end = if last.is_empty() {
                Some(u64::MAX)
            } else {
                parse(last)
            };
            match end {
                None => RangeAnswer::Whole,
                Some(end) if end < start => RangeAnswer::Whole,
                Some(_) if start >= len => RangeAnswer::Unsatisfiable,
                Some(end) => RangeAnswer::Partial {
                    start,
                    end: end.min(len - 1),
                },
            }
        }
        (true, true) => RangeAnswer::Whole,
    }
}

/// Maps a URL path under `/files/` (still percent-encoded) to a file inside `root`, or `None`
/// when it is not one (see the module notes for every rule).
pub(crate) fn contained_path(root: &Path, encoded: &str) -> Option<PathBuf> {
    let root = std::fs::canonicalize(root).ok()?;
    let mut joined = root.clone();
    for raw in encoded.split('/') {
        let segment = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .ok()?;
        if segment.is_empty()
            || segment == "."
            || segment == ".."
            || segment.contains(['/', '\\', '\0'])
        {
            return None;
        }
        joined.push(segment.as_ref());
    }
    let real = std::fs::canonicalize(&joined).ok()?;
    (real.starts_with(&root) && real.is_file()).then_some(real)
}

/// Body bytes sent by `/files` (counted when a response starts; `/metrics`).
pub(crate) static HTTP_BYTES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The library root the `/files` handler serves.
#[derive(Clone)]
pub(crate) struct FilesRoot(pub(crate) PathBuf);

/// `GET`/`HEAD /files/{*path}`.
pub(crate) async fn serve_file(
    State(FilesRoot(root)): State<FilesRoot>,
    uri: Uri,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Response {
    // The raw (still encoded) path, so that "%2F" stays inside one segment.
    let encoded = uri.path().strip_prefix("/files/").unwrap_or_default();
    let Some(file) = contained_path(&root, encoded) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let Ok(mut f) = tokio::fs::File::open(&file).await else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let len = match f.metadata().await {
        Ok(m) => m.len(),
        Err(_) => return (StatusCode::NOT_FOUND, "not found\n").into_response(),
    };
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let kind = content_type(&file);
    let builder = Response::builder()
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_TYPE, kind);
    let (status, start, count, builder) = match resolve_range(range, len) {
        RangeAnswer::Whole => (StatusCode::OK, 0, len, builder),
        RangeAnswer::Partial { start, end } => (
            StatusCode::PARTIAL_CONTENT,
            start,
            end - start + 1,
            builder.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}")),
        ),
        RangeAnswer::Unsatisfiable => {
            return Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                .body(Body::empty())
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    };
    let builder = builder.status(status).header(header::CONTENT_LENGTH, count);
    if method == axum::http::Method::HEAD {
        return builder
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    if f.seek(SeekFrom::Start(start)).await.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    HTTP_BYTES.fetch_add(count, std::sync::atomic::Ordering::Relaxed);
    let stream = tokio_util::io::ReaderStream::new(f.take(count));
    builder
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Characters percent-encoded inside one path segment.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'?')
    .add(b'\\')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Percent-encodes a library-relative path for a URL (each segment on its own).
pub(crate) fn url_path(relative: &Path) -> String {
    relative
        .components()
        .map(|c| {
            percent_encoding::utf8_percent_encode(&c.as_os_str().to_string_lossy(), SEGMENT)
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// MIME type by extension (any case), from `mime_guess`; `application/octet-stream` when the
/// extension is unknown.
pub(crate) fn content_type(path: &Path) -> &'static str {
    mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream")
}

/// Whether browsers play this type in a `<video>`/`<audio>` element without conversion: MP4
/// (and its M4V/M4A spellings), WebM, MP3 and Ogg audio. Matroska, QuickTime and the rest need
/// a client that converts them.
pub(crate) fn browser_playable(mime: &str) -> bool {
    matches!(
        mime,
        "video/mp4"
            | "video/x-m4v"
            | "video/webm"
            | "audio/mp4"
            | "audio/m4a"
            | "audio/mpeg"
            | "audio/ogg"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_come_from_the_table() {
        let of = |name: &str| content_type(Path::new(name));
        assert_eq!(of("a/clip.mp4"), "video/mp4");
        assert_eq!(of("CLIP.MP4"), "video/mp4");
        assert_eq!(of("clip.webm"), "video/webm");
        assert_eq!(of("clip.mkv"), "video/x-matroska");
        assert_eq!(of("song.mp3"), "audio/mpeg");
        assert_eq!(of("notes"), "application/octet-stream");
        assert_eq!(of("x.unknown-extension"), "application/octet-stream");
        // Every type the library's files get is judged the way browsers behave.
        for name in [
            "a.mp4", "a.m4v", "a.webm", "a.mp3", "a.m4a", "a.ogg", "a.opus",
        ] {
            assert!(browser_playable(of(name)), "{name}");
        }
        for name in ["a.mkv", "a.mov", "a.avi", "notes"] {
            assert!(!browser_playable(of(name)), "{name}");
        }
    }

    #[test]
    fn ranges() {
        use RangeAnswer::*;
        assert_eq!(resolve_range(None, 100), Whole);
        assert_eq!(
            resolve_range(Some("bytes=0-9"), 100),
            Partial { start: 0, end: 9 }
        );
        assert_eq!(
            resolve_range(Some("bytes=90-"), 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            resolve_range(Some("bytes=90-1000"), 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            resolve_range(Some("bytes=-10"), 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            resolve_range(Some("bytes=-1000"), 100),
            Partial { start: 0, end: 99 }
        );
        assert_eq!(resolve_range(Some("bytes=100-"), 100), Unsatisfiable);
        assert_eq!(resolve_range(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(resolve_range(Some("bytes=0-"), 0), Unsatisfiable);
        assert_eq!(resolve_range(Some("bytes=5-2"), 100), Whole);
        assert_eq!(resolve_range(Some("bytes=a-b"), 100), Whole);
        assert_eq!(resolve_range(Some("bytes=+1-2"), 100), Whole);
        assert_eq!(resolve_range(Some("items=0-1"), 100), Whole);
        assert_eq!(resolve_range(Some("bytes=0-1,5-6"), 100), Whole);
        assert_eq!(
            resolve_range(Some("bytes=18446744073709551615-"), 100),
            Unsatisfiable
        );
    }

    #[test]
    fn paths_stay_inside_the_library() {
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("secret.txt"), "secret").expect("write");
        let lib = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(lib.path().join("sub")).expect("mkdir");
        std::fs::write(lib.path().join("sub/a b.mp4"), "video").expect("write");
        std::fs::write(lib.path().join("top.mp4"), "video").expect("write");
        let root = lib.path();

        assert!(contained_path(root, "top.mp4").is_some());
        assert!(contained_path(root, "sub/a%20b.mp4").is_some());
        assert!(
            contained_path(root, "sub%2Fa%20b.mp4").is_none(),
            "encoded slash"
        );
        assert!(
            contained_path(root, "sub%5Ca%20b.mp4").is_none(),
            "backslash"
        );
        assert!(contained_path(root, "../top.mp4").is_none());
        assert!(contained_path(root, "sub/../top.mp4").is_none());
        assert!(contained_path(root, "%2E%2E/top.mp4").is_none());
        assert!(contained_path(root, "sub//a%20b.mp4").is_none());
        assert!(
            contained_path(root, "sub").is_none(),
            "a folder is not a file"
        );
        assert!(contained_path(root, "missing.mp4").is_none());

        #[cfg(unix)]
        {
            let secret = outside.path().join("secret.txt");
            std::os::unix::fs::symlink(&secret, root.join("link.mp4")).expect("symlink");
            std::os::unix::fs::symlink(outside.path(), root.join("out")).expect("symlink");
            assert!(contained_path(root, "link.mp4").is_none(), "symlink out");
            assert!(
                contained_path(root, "out/secret.txt").is_none(),
                "dir symlink out"
            );
            std::os::unix::fs::symlink(root.join("top.mp4"), root.join("in.mp4")).expect("symlink");
            assert!(
                contained_path(root, "in.mp4").is_some(),
                "symlink inside is fine"
            );
        }
    }
}
