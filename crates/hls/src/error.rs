//! Why a playlist or a Shoal tag was refused.

/// What is wrong with a playlist or one of its tags. Each names the rule that was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HlsError {
    /// The playlist does not start with `#EXTM3U`.
    #[error("this is not an HLS playlist: it does not start with #EXTM3U")]
    NotAPlaylist,
    /// The playlist is a master (multivariant) playlist; the loader reads media playlists.
    #[error("this is a multivariant playlist, not a media playlist")]
    Multivariant,
    /// The text is larger than [`MAX_PLAYLIST_BYTES`](crate::MAX_PLAYLIST_BYTES).
    #[error("the playlist is {0} bytes, more than the {max} a media playlist may have", max = crate::MAX_PLAYLIST_BYTES)]
    TooLarge(usize),
    /// More segments than [`MAX_SEGMENTS`](crate::MAX_SEGMENTS).
    #[error("the playlist lists more than {max} segments", max = crate::MAX_SEGMENTS)]
    TooManySegments,
    /// A line is longer than [`MAX_LINE`](crate::MAX_LINE).
    #[error("line {0} of the playlist is longer than {max} characters", max = crate::MAX_LINE)]
    LineTooLong(usize),
    /// A tag's value could not be read.
    #[error("line {line}: {what}")]
    BadTag {
        /// 1-based line number.
        line: usize,
        /// What was wrong, as a sentence fragment.
        what: String,
    },
    /// An attribute list is malformed.
    #[error("attribute list: {0}")]
    BadAttributes(&'static str),
    /// A Shoal tag lacks a required attribute.
    #[error("the Shoal tag has no {0} attribute")]
    Missing(&'static str),
    /// A Shoal tag's attribute has a value out of its bounds or alphabet.
    #[error("the Shoal tag's {0} is invalid: {1}")]
    Invalid(&'static str, &'static str),
    /// The Shoal segment tag is for another version of the format.
    #[error("Shoal tag version {0} is not supported (this loader reads version 1)")]
    Version(u64),
    /// The info dict rebuilt from the segment tag does not hash to its `INFOHASH`.
    #[error("the segment tag's pieces do not match its info hash")]
    InfoHashMismatch,
}
