//! Every request the app makes, in one place: add-on manifests and resources, the companion's
//! `/api/companion` and `/api/library`, and .torrent downloads.
//!
//! Each request goes through [`http::get`], which gives it a time limit, aborts it when the page
//! that asked is left (the reactive owner's cleanup), and reads the body through the response's
//! stream with a size cap checked chunk by chunk ([`cap::CappedBody`]), so an oversized answer
//! is refused after at most one chunk over the cap instead of once it is all in memory.
//! Failures are one typed [`ApiError`], whose `Display` is the sentence the UI shows.

pub(crate) mod addons;
pub(crate) mod cap;
pub(crate) mod companion;
mod error;
pub(crate) mod http;
pub(crate) mod torrent;

pub(crate) use error::ApiError;
