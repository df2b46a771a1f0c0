//! What the command line says about a channel: `NAME=SOURCE` (`--channel`) or `NAME SOURCE`
//! (`shoal broadcast`), checked before anything runs. A name becomes a URL path segment
//! (`/channels/NAME/...`) and a folder name, so it is restricted to a safe alphabet; a source
//! is the test pattern, a URL to listen on, a media file to loop, or an HLS playlist another
//! encoder writes.

use std::path::{Path, PathBuf};

/// Longest channel name.
pub(crate) const MAX_NAME_LEN: usize = 64;

/// Why a channel given on the command line cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SpecError {
    #[error("--channel {0:?}: expected NAME=SOURCE (for example demo=testsrc)")]
    NoEquals(String),
    #[error("channel name {name:?}: {why}")]
    BadName { name: String, why: &'static str },
    #[error("channel {name:?}: SOURCE is empty")]
    EmptySource { name: String },
    #[error("channel {name:?}: SOURCE {given:?} is a {scheme}:// URL; only rtmp:// and srt:// (to listen on) are supported")]
    UnsupportedUrl {
        name: String,
        given: String,
        scheme: String,
    },
    #[error("channel {name:?}: SOURCE {given:?} is neither `testsrc`, an rtmp:// or srt:// URL, a media file, an HLS folder nor an .m3u8 file (no such file or folder)")]
    Missing { name: String, given: String },
    #[error("channel {name:?}: SOURCE folder {dir:?} holds {found} .m3u8 playlists; give the one to watch")]
    PlaylistChoice {
        name: String,
        dir: PathBuf,
        found: usize,
    },
    #[error("channel {name:?} is given twice: channel names must differ")]
    Duplicate { name: String },
}

/// Where a channel's media comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// ffmpeg's lavfi test pattern with a tone and a running clock.
    TestPattern,
    /// A media file, looped in real time.
    File(PathBuf),
    /// An `rtmp://` or `srt://` URL ffmpeg listens on for a publisher.
    Listen(String),
    /// An HLS media playlist another encoder writes (watched, not encoded).
    Watch(PathBuf),
}

impl Source {
    /// Whether ffmpeg runs for this source (everything but a watched playlist).
    pub(crate) fn needs_ffmpeg(&self) -> bool {
        !matches!(self, Self::Watch(_))
    }

    /// A short human description, for titles and logs.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::TestPattern => "test pattern".to_owned(),
            Self::File(path) => format!("file {}", path.display()),
            Self::Listen(url) => format!("listening on {url}"),
            Self::Watch(path) => format!("HLS from {}", path.display()),
        }
    }
}

/// One channel as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChannelSpec {
    pub(crate) name: String,
    pub(crate) source: Source,
}

impl ChannelSpec {
    /// Parses `--channel NAME=SOURCE`.
    pub(crate) fn parse_pair(text: &str) -> Result<Self, SpecError> {
        let (name, source) = text
            .split_once('=')
            .ok_or_else(|| SpecError::NoEquals(text.to_owned()))?;
        Self::parse(name, source)
    }

    /// Checks a name and reads a source (looking at the file system for paths).
    pub(crate) fn parse(name: &str, source: &str) -> Result<Self, SpecError> {
        check_name(name)?;
        let source = parse_source(name, source)?;
        Ok(Self {
            name: name.to_owned(),
            source,
        })
    }
}

/// A name is 1 to [`MAX_NAME_LEN`] ASCII letters, digits, `-`, `_` or `.`, not starting with
/// `.`: it is a path segment in URLs and a folder on disk.
pub(crate) fn check_name(name: &str) -> Result<(), SpecError> {
    let bad = |why| {
        Err(SpecError::BadName {
            name: name.to_owned(),
            why,
        })
    };
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > MAX_NAME_LEN {
        return bad("longer than 64 characters");
    }
    if name.contains('/') || name.contains('\\') {
        return bad("contains a '/' (a name is one URL path segment)");
    }
    if name.starts_with('.') {
        return bad("starts with '.'");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return bad("only ASCII letters, digits, '-', '_' and '.' are allowed");
    }
    Ok(())
}

fn parse_source(name: &str, text: &str) -> Result<Source, SpecError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(SpecError::EmptySource {
            name: name.to_owned(),
        });
    }
    if text == "testsrc" {
        return Ok(Source::TestPattern);
    }
    if let Some((scheme, _)) = text.split_once("://") {
        return match scheme.to_ascii_lowercase().as_str() {
            "rtmp" | "srt" => Ok(Source::Listen(text.to_owned())),
            _ => Err(SpecError::UnsupportedUrl {
                name: name.to_owned(),
                given: text.to_owned(),
                scheme: scheme.to_owned(),
            }),
        };
    }
    let path = Path::new(text);
    if path.is_dir() {
        return watched_in(name, path).map(Source::Watch);
    }
    let is_playlist = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("m3u8"));
    // A playlist may not exist yet (its encoder starts later); its folder must.
    let folder_exists = path
        .parent()
        .is_none_or(|p| p.as_os_str().is_empty() || p.is_dir());
    if is_playlist && folder_exists {
        return Ok(Source::Watch(path.to_path_buf()));
    }
    if path.is_file() {
        return Ok(Source::File(path.to_path_buf()));
    }
    Err(SpecError::Missing {
        name: name.to_owned(),
        given: text.to_owned(),
    })
}

/// The playlist to watch in a folder: its only `.m3u8`, or `index.m3u8` when it has none yet.
fn watched_in(name: &str, dir: &Path) -> Result<PathBuf, SpecError> {
    let playlists: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("m3u8"))
                })
                .collect()
        })
        .unwrap_or_default();
    match playlists.as_slice() {
        [] => Ok(dir.join("index.m3u8")),
        [one] => Ok(one.clone()),
        many => Err(SpecError::PlaylistChoice {
            name: name.to_owned(),
            dir: dir.to_path_buf(),
            found: many.len(),
        }),
    }
}

/// The name a `--channel NAME=SOURCE` gives, as written (for reporting one that is refused).
pub(crate) fn given_name(text: &str) -> &str {
    text.split_once('=').map_or(text, |(name, _)| name)
}

/// Checks that no name is given twice (the first of a name wins; later ones are errors).
pub(crate) fn split_duplicates(specs: Vec<ChannelSpec>) -> (Vec<ChannelSpec>, Vec<SpecError>) {
    let mut kept: Vec<ChannelSpec> = Vec::new();
    let mut errors = Vec::new();
    for spec in specs {
        if kept.iter().any(|k| k.name == spec.name) {
            errors.push(SpecError::Duplicate { name: spec.name });
        } else {
            kept.push(spec);
        }
    }
    (kept, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_safe_path_segment() {
        for good in ["demo", "news-1", "a_b.c", "X"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in ["", "a/b", "../x", ".hidden", "sp ace", "é", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        let error = ChannelSpec::parse_pair("a/b=testsrc").expect_err("slash");
        assert!(error.to_string().contains("'/'"), "{error}");
    }

    #[test]
    fn sources_are_read_by_kind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clip = dir.path().join("clip.mp4");
        std::fs::write(&clip, b"x").expect("write");
        let spec = |s: &str| ChannelSpec::parse("c", s).map(|c| c.source);
        assert_eq!(spec("testsrc"), Ok(Source::TestPattern));
        assert_eq!(
            spec("rtmp://127.0.0.1:1935/live/key"),
            Ok(Source::Listen("rtmp://127.0.0.1:1935/live/key".into()))
        );
        assert!(matches!(
            spec("http://x/y"),
            Err(SpecError::UnsupportedUrl { .. })
        ));
        assert_eq!(
            spec(clip.to_str().expect("utf-8")),
            Ok(Source::File(clip.clone()))
        );
        assert_eq!(
            spec(dir.path().to_str().expect("utf-8")),
            Ok(Source::Watch(dir.path().join("index.m3u8")))
        );
        std::fs::write(dir.path().join("live.m3u8"), b"").expect("write");
        assert_eq!(
            spec(dir.path().to_str().expect("utf-8")),
            Ok(Source::Watch(dir.path().join("live.m3u8")))
        );
        let missing = spec("/no/such/file.mp4").expect_err("missing");
        assert!(
            missing.to_string().contains("/no/such/file.mp4"),
            "{missing}"
        );
        assert!(matches!(spec(" "), Err(SpecError::EmptySource { .. })));
    }

    #[test]
    fn a_name_given_twice_is_an_error_and_the_first_is_kept() {
        let a = ChannelSpec::parse_pair("a=testsrc").expect("a");
        let b = ChannelSpec::parse_pair("b=testsrc").expect("b");
        let (kept, errors) = split_duplicates(vec![a.clone(), b.clone(), a.clone()]);
        assert_eq!(kept, vec![a, b]);
        assert_eq!(
            errors,
            vec![SpecError::Duplicate {
                name: "a".to_owned()
            }]
        );
    }
}
