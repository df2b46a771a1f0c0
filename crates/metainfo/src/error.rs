//! Why a `.torrent` file or info dict was refused.

/// A `.torrent` (or bare info dict) that cannot be used. Each variant names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetainfoError {
    /// The bytes are not bencode, or exceed the decoder's limits.
    #[error("not a valid torrent: {0}")]
    Bencode(#[from] bencode::DecodeError),
    /// A required field is absent.
    #[error("the torrent has no `{field}` field")]
    Missing {
        /// The bencode key, e.g. `"piece length"`.
        field: &'static str,
    },
    /// A field has the wrong bencode type.
    #[error("the torrent's `{field}` must be {expected}")]
    WrongType {
        /// The bencode key (`"torrent"` for the top level).
        field: &'static str,
        /// What it must be, in words.
        expected: &'static str,
    },
    /// A field has the right type but an unusable value.
    #[error("the torrent's `{field}` is invalid: {reason}")]
    Invalid {
        /// The bencode key.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An entry of `files` is unusable (this is where path traversal is refused).
    #[error("file {index} of the torrent is invalid: {reason}")]
    InvalidFile {
        /// Index in `files`.
        index: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `pieces` does not hold one hash per piece of the content.
    #[error(
        "the torrent's `pieces` holds {actual} hashes, but {total_length} bytes in pieces of \
         {piece_length} bytes need {expected}"
    )]
    PieceCount {
        /// Hashes needed.
        expected: u64,
        /// Hashes present.
        actual: u64,
        /// Content size.
        total_length: u64,
        /// Piece size.
        piece_length: u64,
    },
}
