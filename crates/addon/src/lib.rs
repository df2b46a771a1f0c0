//! The Stremio add-on protocol (v3), as a client sees it: types for manifests, catalogs, metas,
//! streams and subtitles, request URL construction, and stream classification.
//!
//! # What this crate promises
//!
//! * [`TransportUrl::resource_url`] writes request URLs the way Stremio does: the manifest URL
//!   with `/manifest.json` replaced by `/{resource}/{type}/{id}[/{extra}].json`, each piece
//!   percent-encoded with the `encodeURIComponent` set, catalog extras in the order the
//!   catalog declares them ([`ResourceRequest::catalog`]).
//! * Parsing third-party JSON ([`Manifest::from_json`], [`parse_catalog`], [`parse_meta`],
//!   [`parse_streams`], [`parse_subtitles`]) is lenient where Stremio is: one bad item is
//!   skipped, `null` lists are empty, numbers and strings are accepted for each other, `""` is
//!   "no URL", legacy fields are read (`title` for a stream's description, `extraSupported`).
//!   What cannot be used at all is a typed [`AddonError`]. Bodies over [`MAX_RESPONSE_BYTES`]
//!   and lists over [`MAX_LIST_ITEMS`] items are cut off or refused.
//! * [`Stream::kind`], [`Stream::web_ready`], [`Stream::magnet`] and [`Stream::quality`]
//!   classify a stream for the UI and the players.
//!
//! Sans-IO: the caller fetches the URLs and passes the bodies in. Builds for
//! `wasm32-unknown-unknown`.
//!
//! # Example
//!
//! ```
//! # use shoal_addon as addon;
//! use addon::{parse_streams, Manifest, ResourceRequest, StreamKind, TransportUrl};
//!
//! let addon = TransportUrl::parse("https://addon.example/cfg/manifest.json")?;
//! let manifest = Manifest::from_json(br#"{"id":"ex","name":"Example","types":["movie"],
//!     "resources":["stream"],"catalogs":[]}"#)?;
//! assert!(manifest.serves("stream", "movie", "tt0111161"));
//! let url = addon.resource_url(&ResourceRequest::new("stream", "movie", "tt0111161"));
//! assert_eq!(url, "https://addon.example/cfg/stream/movie/tt0111161.json");
//!
//! // … fetch `url`, then:
//! let streams = parse_streams(br#"{"streams":[{"url":"https://cdn.example/a.m3u8"}]}"#)?;
//! assert_eq!(streams[0].kind(), StreamKind::Hls);
//! # Ok::<(), addon::AddonError>(())
//! ```
#![warn(missing_docs)]

mod error;
mod lenient;
mod manifest;
mod meta;
mod quality;
mod request;
mod response;
mod stream;
mod subtitles;

pub use error::AddonError;
pub use lenient::MAX_LIST_ITEMS;
pub use manifest::{ExtraProp, Manifest, ManifestBehaviorHints, ManifestCatalog, ManifestResource};
pub use meta::{Link, Meta, MetaPreview, PosterShape, Video};
pub use quality::{decimal, Quality};
pub use request::{skip_for_page, ResourceRequest, TransportUrl, CATALOG_PAGE_SIZE, MAX_URL_LEN};
pub use response::{parse_catalog, parse_meta, parse_streams, parse_subtitles};
pub use stream::{is_hls, Stream, StreamBehaviorHints, StreamItemError, StreamKind, StreamSource};
pub use subtitles::Subtitle;

/// The largest response body accepted (a big catalog page with long descriptions is well
/// under 1 MiB).
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

// Run the unit tests in headless Chromium when built for the browser.
#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
