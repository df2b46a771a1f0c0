//! Which file of a torrent to play, what type it is, and whether this browser can play it.

use runtime::FileInfo;
use wasm_bindgen::JsCast;

/// Extension (lowercase) → media type: the app's one table. The player picks files by it, and
/// the Service Worker labels the bytes it streams with what [`content_type`] says (the page sends
/// the type along with the file's length), so both agree on every file.
const TYPES: &[(&str, &str)] = &[
    ("mp4", "video/mp4"),
    ("m4v", "video/mp4"),
    ("mov", "video/quicktime"),
    ("webm", "video/webm"),
    ("mkv", "video/x-matroska"),
    ("ogv", "video/ogg"),
    ("ts", "video/mp2t"),
    ("avi", "video/x-msvideo"),
    ("ogg", "audio/ogg"),
    ("oga", "audio/ogg"),
    ("opus", "audio/ogg"),
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("aac", "audio/aac"),
    ("flac", "audio/flac"),
    ("wav", "audio/wav"),
    // Not played, but a torrent's other files can be opened at their /stream/ address too.
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("gif", "image/gif"),
    ("txt", "text/plain; charset=utf-8"),
    ("srt", "text/plain; charset=utf-8"),
    ("vtt", "text/vtt; charset=utf-8"),
    ("pdf", "application/pdf"),
];

/// What [`content_type`] says for a file of no known type.
const UNKNOWN_TYPE: &str = "application/octet-stream";

/// The media type of the file at `path`, from its extension; `None` when the table does not
/// know it.
pub(crate) fn media_type(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.')?.1;
    TYPES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(ext))
        .map(|(_, mime)| *mime)
}

/// The `Content-Type` of the file at `path`: its [`media_type`], or
/// `application/octet-stream`.
pub(crate) fn content_type(path: &str) -> &'static str {
    media_type(path).unwrap_or(UNKNOWN_TYPE)
}

/// Why a file was picked, or why none could be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Choice {
    /// Play this file.
    File(usize),
    /// The link asked for a file number the torrent does not have.
    NoSuchFile { asked: usize, count: usize },
    /// No file has a video or audio extension.
    NoMedia,
}

/// File `asked` if given, else the largest video file, else the largest audio file.
pub(crate) fn choose(files: &[FileInfo], asked: Option<usize>) -> Choice {
    if let Some(index) = asked {
        return if index < files.len() {
            Choice::File(index)
        } else {
            Choice::NoSuchFile {
                asked: index,
                count: files.len(),
            }
        };
    }
    let largest = |prefix: &str| {
        files
            .iter()
            .enumerate()
            .filter(|(_, f)| media_type(&f.path).is_some_and(|t| t.starts_with(prefix)))
            .max_by_key(|(_, f)| f.length)
            .map(|(i, _)| i)
    };
    largest("video/")
        .or_else(|| largest("audio/"))
        .map_or(Choice::NoMedia, Choice::File)
}

/// Whether this browser says it can play `mime`: the media element's `canPlayType`, or Media
/// Source Extensions' `isTypeSupported` (which some browsers answer more generously).
pub(crate) fn browser_can_play(mime: &str) -> bool {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return false;
    };
    let by_element = document
        .create_element("video")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlMediaElement>().ok())
        .is_some_and(|v| !v.can_play_type(mime).is_empty());
    by_element || web_sys::MediaSource::is_type_supported(mime)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn file(path: &str, length: u64) -> FileInfo {
        FileInfo {
            path: path.to_owned(),
            length,
            offset: 0,
        }
    }

    #[test]
    fn picks_the_largest_video_then_audio() {
        let files = [
            file("a/readme.txt", 9_000_000),
            file("a/sample.mkv", 10),
            file("a/Movie.MP4", 500),
            file("a/song.mp3", 9_000),
        ];
        assert_eq!(choose(&files, None), Choice::File(2));
        assert_eq!(choose(&files[..1], None), Choice::NoMedia);
        assert_eq!(
            choose(&[files[0].clone(), files[3].clone()], None),
            Choice::File(1)
        );
        assert_eq!(choose(&files, Some(0)), Choice::File(0));
        assert_eq!(
            choose(&files, Some(4)),
            Choice::NoSuchFile { asked: 4, count: 4 }
        );
    }

    #[test]
    fn types_follow_the_extension() {
        assert_eq!(media_type("x/y.m4v"), Some("video/mp4"));
        assert_eq!(media_type("clip.WEBM"), Some("video/webm"));
        assert_eq!(media_type("a/b.Opus"), Some("audio/ogg"));
        assert_eq!(media_type("noext"), None);
        assert_eq!(media_type("notes.txt"), Some("text/plain; charset=utf-8"));
        // The dot must be in the file name, not in a folder's.
        assert_eq!(media_type("season.mp4/episode"), None);
        assert_eq!(media_type("archive.tar.gz"), None);
    }

    #[test]
    fn unknown_files_are_sent_as_bytes() {
        assert_eq!(content_type("a/Movie.MKV"), "video/x-matroska");
        assert_eq!(content_type("setup.exe"), "application/octet-stream");
        assert_eq!(content_type(""), "application/octet-stream");
    }

    #[test]
    fn the_table_has_one_lowercase_entry_per_extension() {
        for (i, (ext, mime)) in TYPES.iter().enumerate() {
            assert_eq!(*ext, ext.to_ascii_lowercase(), "{ext}");
            assert!(mime.contains('/'), "{mime}");
            assert!(
                TYPES[i + 1..].iter().all(|(other, _)| other != ext),
                "{ext} twice"
            );
        }
    }
}
