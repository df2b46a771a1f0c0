//! HLS through Shoal: the loader hls.js uses for every playlist and segment of a stream
//! ([`HlsChannel::loader_class`]), the state its loaders share ([`HlsChannel`]) and the
//! figures of the stream ([`HlsStats`]). The decisions (playlist and tag reading, piece
//! verification, the time budget) are the sans-IO `shoal-hls` crate's; this is their
//! browser driver.

mod channel;
#[cfg(target_family = "wasm")]
mod fetch;
#[cfg(target_family = "wasm")]
mod from_peers;
#[cfg(target_family = "wasm")]
mod loader;
#[cfg(target_family = "wasm")]
mod peers;
#[cfg(target_family = "wasm")]
mod prefetch;
#[cfg(target_family = "wasm")]
mod stats;
mod store_slot;

pub use channel::{
    BufferProbe, Delivery, HlsChannel, HlsStats, SegmentRecord, VerifiedSegment, VerifiedSink,
    RECENT_SEGMENTS,
};
#[cfg(target_family = "wasm")]
pub use loader::ShoalSegmentLoader;
