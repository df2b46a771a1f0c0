//! Why a byte string is not acceptable bencode.

/// A decoding failure. Offsets are byte positions in the input given to
/// [`crate::decode`] / [`crate::decode_prefix`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended in the middle of a value (or was empty). More bytes might complete it,
    /// which is what lets stream readers tell "wait" from "give up".
    #[error("bencode input is truncated: it ends in the middle of a value")]
    Truncated,
    /// A byte that cannot start or continue a value at this point.
    #[error("malformed bencode at byte {offset}: {reason}")]
    Malformed {
        /// Where the offending value or byte starts.
        offset: usize,
        /// What is wrong, in words.
        reason: &'static str,
    },
    /// An integer that does not fit in an `i64`.
    #[error("bencode integer at byte {offset} does not fit in 64 bits")]
    IntegerOverflow {
        /// Where the integer starts.
        offset: usize,
    },
    /// Lists and dicts nested deeper than [`crate::Limits::max_depth`].
    #[error("bencode nests deeper than {max} levels at byte {offset}")]
    TooDeep {
        /// Where the list or dict that is one level too deep starts.
        offset: usize,
        /// The limit.
        max: usize,
    },
    /// A byte string longer than [`crate::Limits::max_string_len`].
    #[error("bencode string of {len} bytes at byte {offset} is over the limit of {max}")]
    StringTooLong {
        /// Where the string starts.
        offset: usize,
        /// Its declared length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More values than [`crate::Limits::max_items`].
    #[error("bencode has more than {max} items")]
    TooManyItems {
        /// The limit.
        max: usize,
    },
    /// Input longer than [`crate::Limits::max_input_len`].
    #[error("bencode input of {len} bytes is over the limit of {max}")]
    InputTooLarge {
        /// The input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// [`crate::decode`] found bytes after the one value it expects.
    #[error("unexpected data after the bencode value, from byte {offset}")]
    TrailingData {
        /// Where the extra bytes start.
        offset: usize,
    },
    /// The same key twice in one dictionary: readers would disagree on which one counts.
    #[error("duplicate dictionary key at byte {offset}")]
    DuplicateKey {
        /// Where the second occurrence of the key starts.
        offset: usize,
    },
}
