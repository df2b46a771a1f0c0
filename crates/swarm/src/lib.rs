//! One torrent's swarm engine, sans-IO: which pieces to ask of which peer, when to use HTTP
//! webseeds, whom to upload to, and what is verified enough to hand to a player.
//!
//! # What this crate promises
//!
//! * No I/O, no clock, no randomness of its own, no async: time and a random seed are inputs,
//!   bytes and instructions are outputs. It builds for `wasm32-unknown-unknown` as it is.
//! * No unverified byte reaches a reader: [`Output::ReaderData`] is read back from
//!   [`Storage`], which only ever receives pieces whose SHA-1 (from the injected
//!   [`PieceHasher`], or carried by a [`HashedPiece`], which only hashing makes) matched.
//! * Bounded memory: partial pieces are capped by [`Config::max_inflight_bytes`] (reader
//!   deadlines may exceed it by a window), storage is bounded by its implementation, every
//!   length from the network is checked by `wire`'s [`Limits`](wire::Limits) first.
//! * With [`Config::external_store`] the driver's persistent store holds the verified pieces
//!   ([`Output::StorePiece`], [`Output::LoadPiece`], answered later) and [`Storage`] is only a
//!   window in memory; a piece read back is checked (length, SHA-1) before it is used, and one
//!   that fails is dropped and fetched again. [`Engine::restore_piece`] resumes a download.
//!   [`Config::keep_ahead_bytes`] makes the window a streaming one: what each reader reaches
//!   next is fetched in order after its deadlines and evicted last, and while the store
//!   refuses writes nothing beyond it is fetched.
//! * The invariants of the state machine are written down in `STATE.md` next to this file and
//!   checked by [`Engine::check_invariants`].
//!
//! # Driving the engine
//!
//! 1. Create an [`Engine`] with [`Engine::new`] (a .torrent) or [`Engine::from_magnet`]; a
//!    seeder hands its pieces to [`Engine::import_piece`] (they are hashed like downloads);
//!    pieces the driver hashed already, against the same piece hashes, go in as
//!    [`HashedPiece`]s through [`Engine::import_hashed`] (compared, not hashed again). Either
//!    may be called at any time: connected peers get a `have` with the next outputs. A driver
//!    that fetches the torrent by other means and seeds it meanwhile sets
//!    [`Config::upload_only`]: the engine then serves and never fetches.
//! 2. When a data channel opens, feed [`Input::PeerConnected`]; feed its bytes as
//!    [`Input::PeerData`] and its end as [`Input::PeerGone`].
//! 3. Feed every input with the current time through [`Engine::handle_input`]; times never go
//!    backwards.
//! 4. After each input, drain [`Engine::poll_output`] until `None` and act on every
//!    [`Output`]: send bytes, close connections, start and cancel HTTP range requests
//!    (answer with [`Input::HttpResponse`]), hand [`Output::ReaderData`] to players.
//! 5. Arm one timer at [`Engine::poll_timeout`]; when it fires, feed [`Input::Tick`] and go to 4.
//! 6. A player says where it reads with [`Input::Seek`] (again on every seek) and
//!    [`Input::CloseReader`] when it stops.
//!
//! ```no_run
//! # use shoal_swarm as swarm;
//! use swarm::{Config, Engine, Input, MemoryStorage, Millis, Output, PeerKey, Sha1Smol};
//!
//! # fn now() -> Millis { Millis(0) }
//! # fn send(_: PeerKey, _: &[u8]) {}
//! # fn close(_: PeerKey) {}
//! # fn fetch(_: swarm::HttpRequestId, _: usize, _: std::ops::Range<u64>) {}
//! # fn abort(_: swarm::HttpRequestId) {}
//! # fn hash_later(_: u32, _: Vec<u8>) {}
//! # fn store_later(_: u32, _: Vec<u8>) {}
//! # fn load_later(_: u32) {}
//! # let torrent: Vec<u8> = Vec::new();
//! let meta = metainfo::Metainfo::from_bytes(&torrent)?;
//! let cfg = Config::new(metainfo::PeerId::from([1; 20]), 42);
//! let mut engine = Engine::new(cfg, &meta, MemoryStorage::new(256 << 20), Sha1Smol);
//!
//! engine.handle_input(now(), Input::PeerConnected { peer: PeerKey(7) });
//! engine.handle_input(now(), Input::PeerData { peer: PeerKey(7), bytes: b"..." });
//! while let Some(out) = engine.poll_output() {
//!     // Exhaustive: a new output is a compile error in every driver until it is handled.
//!     match out {
//!         Output::Send { peer, bytes } => send(peer, &bytes),
//!         Output::Close { peer, .. } => close(peer),
//!         Output::HttpRequest { id, webseed, range } => fetch(id, webseed, range),
//!         Output::HttpCancel { id } => abort(id),
//!         Output::HashPiece { piece, data } => hash_later(piece, data),
//!         // Only with `Config::external_store`: answer with `Input::PieceStored` / `PieceLoaded`.
//!         Output::StorePiece { piece, data } => store_later(piece, data),
//!         Output::LoadPiece { piece } => load_later(piece),
//!         Output::ReaderData { bytes, .. } => { /* give to the <video> */ }
//!         Output::MetadataReady | Output::PieceVerified { .. } | Output::Complete => {}
//!         // Only with `Config::pex` (TCP drivers): addresses to dial.
//!         Output::PeerAddrs { .. } => {}
//!     }
//! }
//! let _wake_at = engine.poll_timeout(); // then feed Input::Tick
//! # Ok::<(), metainfo::MetainfoError>(())
//! ```

#![warn(missing_docs)]

mod choker;
mod config;
mod engine;
mod hashed;
mod hasher;
mod io;
mod metadata;
mod peer;
mod picker;
mod readers;
mod storage;
mod types;
mod webseed;

#[cfg(test)]
mod test_util;
#[cfg(test)]
mod tests;

pub use config::{Config, WebseedConfig};
pub use engine::{Engine, MetadataError, TICK_MS};
pub use hashed::HashedPiece;
pub use hasher::{PieceHasher, Sha1Smol};
pub use io::{CloseReason, HttpError, Input, Output, PeerSummary, Stats, StoreError};
pub use storage::{MemoryStorage, Storage, StorageError};
pub use types::{HttpRequestId, Millis, PeerKey, ReaderId, BLOCK_LEN};
pub use webseed::{webseed_gets, HttpGet};

// Run the unit tests in headless Chromium when built for the browser.
#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
