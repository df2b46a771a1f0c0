//! BitTorrent v1 metainfo and magnet URIs (work in progress: see id.rs).

mod id;

pub use id::{Id20, IdParseError, InfoHash, PeerId};
