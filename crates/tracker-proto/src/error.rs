//! Why a WebSocket text frame is not a valid tracker message.

/// Why a text is not a valid [`InMessage`](crate::InMessage) or [`OutMessage`](crate::OutMessage).
///
/// The `Display` text is written for the other side: a tracker can send it back as the
/// `failure reason` of an [`OutError`](crate::OutError) (see
/// [`OutError::from_decode_error`](crate::OutError::from_decode_error)), and a client shows it as a
/// warning.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The text is longer than [`MAX_MESSAGE_LEN`](crate::MAX_MESSAGE_LEN); it was not parsed.
    #[error("message is {len} bytes, more than the {max} allowed")]
    TooLarge {
        /// Length of the text in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a JSON object, or a member has the wrong JSON type (e.g. `"numwant": "5"`).
    #[error("invalid JSON message: {0}")]
    Json(#[source] serde_json::Error),
    /// A member the message kind requires is absent (or `null`).
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A member has a JSON type the message kind does not allow here (e.g. a list of info
    /// hashes in an announce).
    #[error("{field} must be {expected}")]
    WrongType {
        /// JSON key of the member.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// `action` is neither `"announce"` nor `"scrape"`.
    #[error("unknown action {0:?}")]
    UnknownAction(String),
    /// `event` is not one of the known announce events.
    #[error("unknown event {0:?}")]
    UnknownEvent(String),
    /// A binary-string id does not have exactly 20 characters.
    #[error("{field} must be 20 bytes as a binary string, this one has {len} characters")]
    IdLength {
        /// JSON key of the id (`info_hash`, `peer_id`, `to_peer_id`, `offer_id`).
        field: &'static str,
        /// Number of characters found.
        len: usize,
    },
    /// A binary-string id has a character above U+00FF, so it cannot stand for a byte.
    #[error(
        "{field} must be 20 bytes as a binary string (one character U+0000..U+00FF per byte), \
         found U+{code_point:04X}"
    )]
    IdCodePoint {
        /// JSON key of the id.
        field: &'static str,
        /// The offending code point.
        code_point: u32,
    },
    /// An announce carries more than [`MAX_OFFERS`](crate::MAX_OFFERS) offers.
    #[error("too many offers: {count}, at most {max} are accepted")]
    TooManyOffers {
        /// Number of offers in the message.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A scrape asks for more than [`MAX_SCRAPE_INFO_HASHES`](crate::MAX_SCRAPE_INFO_HASHES)
    /// info hashes.
    #[error("too many info hashes: {count}, at most {max} are accepted")]
    TooManyInfoHashes {
        /// Number of info hashes in the message.
        count: usize,
        /// The limit.
        max: usize,
    },
}

impl From<serde_json::Error> for DecodeError {
    fn from(err: serde_json::Error) -> Self {
        Self::Json(err)
    }
}

/// Shortens attacker-controlled text quoted in an error message.
pub(crate) fn clip(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    if text.chars().count() <= MAX_CHARS {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(MAX_CHARS).collect();
        out.push('…');
        out
    }
}
