//! Why the player page cannot play: each case with the title and the sentence the page shows.

use crate::api::ApiError;
use crate::format::sentence;

/// What stops the player, as the page tells it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PlayError {
    /// The link cannot be read: the sentence says what is wrong with it.
    BadLink(String),
    /// The runtime refused the torrent (a .torrent that does not parse, for one).
    Add(runtime::AddError),
    /// The .torrent file the link names could not be downloaded.
    Download(ApiError),
    /// A magnet's `xs=` .torrent describes another torrent.
    WrongTorrent {
        /// The .torrent's address.
        url: String,
        /// Its info hash, hex.
        torrent: String,
        /// The magnet's info hash, hex.
        magnet: String,
    },
    /// No Service Worker to stream through; the sentence says why.
    NoStreaming(String),
    /// The torrent stopped before its file list arrived.
    Stopped(runtime::RuntimeError),
    /// The link asks for a file number the torrent does not have.
    NoSuchFile {
        /// The number asked for.
        asked: usize,
        /// Files in the torrent.
        count: usize,
    },
    /// No file of the torrent is video or audio.
    NoMedia {
        /// Files in the torrent.
        count: usize,
    },
    /// The browser stopped decoding; its own reason.
    Undecodable(String),
}

impl PlayError {
    /// What went wrong, in one sentence.
    pub(crate) fn title(&self) -> &'static str {
        match self {
            Self::BadLink(_) | Self::Add(_) | Self::NoSuchFile { .. } => {
                "That link is not something Shoal can play."
            }
            Self::Download(ApiError::TooLarge { .. }) => "That file is too large to be a .torrent.",
            Self::Download(_) => "The .torrent file could not be downloaded.",
            Self::WrongTorrent { .. } => {
                "The magnet link points to the .torrent file of another torrent."
            }
            Self::NoStreaming(_) => "This browser cannot stream into the video player here.",
            Self::Stopped(_) => "The torrent stopped.",
            Self::NoMedia { .. } => "This torrent has no video or audio file.",
            Self::Undecodable(_) => "The video could not be played.",
        }
    }

    /// Why, and what to do about it.
    pub(crate) fn detail(&self) -> String {
        match self {
            Self::BadLink(why) | Self::NoStreaming(why) => why.clone(),
            Self::Add(e) => sentence(&e.to_string()),
            Self::Stopped(e) => sentence(&e.to_string()),
            Self::Download(e) => e.sentence(),
            Self::WrongTorrent {
                url,
                torrent,
                magnet,
            } => format!(
                "The .torrent file at {url} describes info hash {torrent}, but the magnet link is for {magnet}. Shoal did not use it; ask whoever shared the link for a corrected one."
            ),
            Self::NoSuchFile { asked, count } => format!(
                "The link asks for file {asked}, but this torrent has {count} {} (numbered from 0).",
                files(*count)
            ),
            Self::NoMedia { count } => format!(
                "Its {count} {} are not media Shoal can play. Add &file=N to the link to try a particular one.",
                files(*count)
            ),
            Self::Undecodable(reason) => format!(
                "The browser stopped decoding it ({reason}). The file may use a codec this browser lacks; try another browser, or another file of the torrent with &file=N."
            ),
        }
    }
}

fn files(count: usize) -> &'static str {
    if count == 1 {
        "file"
    } else {
        "files"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_failure_has_a_title_and_a_detail_in_sentences() {
        let all = [
            PlayError::BadLink("The link has no src= parameter.".into()),
            PlayError::Add(runtime::AddError::Duplicate),
            PlayError::Download(ApiError::Network),
            PlayError::Download(ApiError::TooLarge { limit: 16 << 20 }),
            PlayError::WrongTorrent {
                url: "http://h/t.torrent".into(),
                torrent: "a".repeat(40),
                magnet: "b".repeat(40),
            },
            PlayError::NoStreaming("No Service Worker here.".into()),
            PlayError::Stopped(runtime::RuntimeError::Destroyed),
            PlayError::NoSuchFile { asked: 3, count: 1 },
            PlayError::NoMedia { count: 2 },
            PlayError::Undecodable("DEMUXER_ERROR".into()),
        ];
        for error in all {
            let (title, detail) = (error.title(), error.detail());
            for text in [title, detail.as_str()] {
                assert!(
                    text.chars().next().is_some_and(char::is_uppercase),
                    "{text}"
                );
                assert!(text.ends_with('.'), "{text}");
            }
        }
    }

    #[test]
    fn details_name_what_to_fix() {
        let wrong = PlayError::WrongTorrent {
            url: "http://h/t.torrent".into(),
            torrent: "a".repeat(40),
            magnet: "6".repeat(40),
        };
        assert!(wrong
            .detail()
            .contains(&format!("the magnet link is for {}", "6".repeat(40))));
        assert_eq!(
            PlayError::NoSuchFile { asked: 3, count: 1 }.detail(),
            "The link asks for file 3, but this torrent has 1 file (numbered from 0)."
        );
        assert!(PlayError::NoMedia { count: 2 }
            .detail()
            .starts_with("Its 2 files are not media"));
        assert_eq!(
            PlayError::Download(ApiError::TooLarge { limit: 16 << 20 }).title(),
            "That file is too large to be a .torrent."
        );
    }
}
