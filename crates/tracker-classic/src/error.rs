//! What can be wrong with a tracker URL or a tracker's answer.

use thiserror::Error;

/// A tracker URL we cannot use, or a response we cannot read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not `http://`, `https://` or `udp://host:port`.
    #[error("not an HTTP or UDP tracker URL: {0}")]
    BadUrl(String),
    /// The body is longer than [`MAX_HTTP_BODY`](crate::MAX_HTTP_BODY).
    #[error("the response is {0} bytes, more than we accept")]
    TooLong(usize),
    /// The body is not bencode, or not a dictionary.
    #[error("the response is not a bencoded dictionary: {0}")]
    NotBencode(String),
    /// A field has the wrong type or length.
    #[error("the response's `{0}` field is malformed")]
    BadField(&'static str),
    /// A UDP datagram too short for its action, or of an unknown action.
    #[error("the UDP datagram is malformed: {0}")]
    BadDatagram(&'static str),
}
