//! Shoal's browser runtime: the browser as a platform of [`session::Session`] — WebRTC data
//! channels to peers, WebSocket trackers, `fetch` range requests to webseeds, SubtleCrypto
//! hashing and one timer per torrent — and the handles the UI holds. The session drives the
//! engine and the announcers; dependencies run one way: the handles (`client`) build the
//! browser platform (`browser`) and the torrent's shared state (`cell`); the platform reports
//! into the cell through a sink; the cell calls `session`, which calls `swarm`.
//!
//! # What this crate promises
//!
//! * A small handle API for the UI: [`Client`] → [`Torrent`] → [`Reader`], all cheap to clone
//!   (`Rc` inside, single-threaded like the page). Dropping the last [`Client`] handle stops
//!   every torrent: trackers, peers and requests are closed.
//! * Readers yield verified bytes only, in order, and hold at most [`READ_AHEAD`] bytes that
//!   their consumer has not pulled (the engine's reader window moves as the consumer reads).
//! * [`Client::seed`] shares bytes from this device: it hashes them in slices, yielding to the
//!   event loop between slices (progress through a callback), builds the .torrent with
//!   `create-torrent`'s piece length, and seeds it with every piece verified; files above the
//!   in-memory store's 512 MiB get [`SeedError::TooLarge`].
//! * [`Source::MagnetWithTorrent`] takes a magnet with the .torrent its `xs=` names, refusing
//!   one for another info hash ([`AddError::WrongTorrent`]).
//! * With a [`Store`] ([`Client::set_store`]) every verified piece goes to IndexedDB and only
//!   [`ClientConfig::memory_window_bytes`] of a torrent stay in memory (two thirds of it for
//!   what each reader reaches next, fetched in order; the rest least recently used first);
//!   a torrent added again
//!   (a reload) starts with its stored pieces verified, announced and seeded. Without one,
//!   pieces live in memory only (512 MiB a torrent, older ones evicted).
//! * Errors are sentences a user can read ([`AddError`], [`RuntimeError`]).
//! * The browser code only exists on `wasm32` (`target_family = "wasm"`). Natively the types
//!   compile (so the workspace builds and the pure parts are tested), but [`Client::add`]
//!   answers [`AddError::NotInBrowser`].
//!
//! # Using it
//!
//! ```no_run
//! # use shoal_runtime as runtime;
//! # async fn demo(magnet: metainfo::Magnet) -> Result<(), Box<dyn std::error::Error>> {
//! use runtime::{Client, ClientConfig, Source};
//!
//! let client = Client::new(ClientConfig::default());
//! let torrent = client.add(Source::Magnet(magnet))?;
//! let info = torrent.metadata().await?;
//! let mut reader = torrent.reader(0, 0, info.files[0].length)?;
//! while let Some(chunk) = reader.next_chunk().await {
//!     let bytes = chunk?; // hand to a MediaSource / Service Worker response
//!     # let _ = bytes;
//! }
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod cell;
mod client;
mod config;
mod error;
mod hls_loader;
mod info;
mod seed;
mod store;

#[cfg(target_family = "wasm")]
mod browser;

pub use client::{Client, Reader, Source, Torrent};
pub use config::{ClientConfig, IceServer, DEFAULT_MEMORY_WINDOW_BYTES};
pub use error::{AddError, RuntimeError};
#[cfg(target_family = "wasm")]
pub use hls_loader::ShoalSegmentLoader;
pub use hls_loader::{
    BufferProbe, Delivery, HlsChannel, HlsStats, SegmentRecord, VerifiedSegment, VerifiedSink,
    RECENT_SEGMENTS,
};
pub use info::{FileInfo, TorrentInfo};
pub use seed::{SeedError, SeedOptions, SeedProgress};
pub use session::{Stats, TrackerStatus, READ_AHEAD};
pub use store::{
    Item, ItemKind, Store, StoreError, StoreFigures, StoreSettings, BATCH_BYTES,
    DEFAULT_EXPIRY_DAYS, DEFAULT_LIMIT_BYTES,
};

#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Milliseconds on the page's monotonic clock (`performance.now()`); 0 natively.
pub(crate) fn now() -> swarm::Millis {
    #[cfg(target_family = "wasm")]
    {
        browser::now()
    }
    #[cfg(not(target_family = "wasm"))]
    {
        swarm::Millis(0)
    }
}
