//! BitTorrent v1 metainfo (`.torrent` files), magnet links, and the piece math between them.
//!
//! # What this crate promises
//!
//! * [`Metainfo::from_bytes`] and [`Info::from_bytes`] turn untrusted bytes into owned,
//!   validated values or a typed [`MetainfoError`] naming the field; they never panic. The
//!   info hash is the SHA-1 of the `info` bytes exactly as they appear in the input (even
//!   when their keys are out of order), and file paths are safe to join below a download
//!   directory (no empty, `.` or `..` components, no `/`).
//! * [`Info`]'s piece math ([`Info::file_slices`], [`Info::file_piece_range`], …) maps pieces
//!   to file byte ranges, including pieces that span files and zero-length files.
//! * [`TorrentBuilder`] creates `.torrent` files whose info hash equals npm
//!   `create-torrent`'s for the same input (see the `builder` module docs and
//!   [`default_piece_length`], [`sort_files`], [`skip_entry`]).
//! * [`Magnet`] parses and prints magnet links; `Magnet::parse(&m.to_uri()) == Ok(m)`.
//!   [`parse_source`] also takes a bare info hash, for an input box.
//!
//! Sans-IO: no files, sockets or clocks. Builds for `wasm32-unknown-unknown`.
//!
//! # Example
//!
//! ```
//! # use shoal_metainfo as metainfo;
//! use metainfo::{parse_source, Metainfo, TorrentBuilder};
//!
//! // Build a two-file torrent (the caller reads the files and feeds the bytes in order).
//! let files = vec![(vec!["a.txt".into()], 3), (vec!["sub".into(), "b.txt".into()], 2)];
//! let mut builder = TorrentBuilder::new("demo", files, 4);
//! builder.update(b"abc");
//! builder.update(b"de");
//! let torrent = builder.finish().expect("sizes match");
//!
//! // Parse it back and find where piece 0 lives on disk.
//! let meta = Metainfo::from_bytes(&torrent)?;
//! let slices: Vec<_> = meta.info.file_slices(0).collect();
//! assert_eq!(slices.len(), 2); // "abc" from a.txt, then "d" from sub/b.txt
//! assert_eq!(meta.info.file_piece_range(1), 0..2);
//!
//! // Share it as a magnet.
//! let magnet = parse_source(&meta.info_hash.to_hex()).expect("a bare hash");
//! assert!(magnet.to_uri().starts_with("magnet:?xt=urn:btih:"));
//! # Ok::<(), metainfo::MetainfoError>(())
//! ```
#![warn(missing_docs)]

mod builder;
pub mod codec;
mod create_rules;
mod error;
mod id;
mod info;
mod magnet;
mod metainfo;
mod pieces;

pub use builder::{BuildError, TorrentBuilder};
pub use create_rules::{default_piece_length, is_junk_name, skip_entry, sort_files};
pub use error::MetainfoError;
pub use id::{Id20, IdParseError, InfoHash, PeerId};
pub use info::{FileEntry, Info, MAX_PIECE_LENGTH};
pub use magnet::{parse_source, Magnet, MagnetError, MAX_MAGNET_LEN, MAX_MAGNET_LIST};
pub use metainfo::{Metainfo, MAX_URLS};
pub use pieces::FileSlice;

// Run the unit tests in headless Chromium when built for the browser.
#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
