//! HLS for Shoal, sans-IO: what a P2P-first segment loader decides, without doing any I/O.
//!
//! # What this crate promises
//!
//! * [`MediaPlaylist::parse`] reads a media playlist within fixed bounds
//!   ([`MAX_PLAYLIST_BYTES`], [`MAX_SEGMENTS`], [`MAX_LINE`]) and keeps what a loader needs:
//!   segments with their sequence numbers, durations and Shoal tags, the channel tag, and
//!   `#EXT-X-ENDLIST`. A malformed Shoal tag makes its segment HTTP-only; it never fails the
//!   playlist (a player that ignores the tags would play it).
//! * [`SegmentTag::check`] rebuilds the segment's info dict (`length`, `name`, `piece length`,
//!   `pieces`) and accepts the tag only when it hashes to the published `INFOHASH`, so the
//!   pieces a loader verifies against are those of the torrent peers and WebTorrent clients
//!   share.
//! * [`SegmentVerifier`] releases bytes only in whole pieces that hashed to the published
//!   SHA-1; a wrong piece is reported and never released.
//! * [`Policy`] and [`SegmentBudget`] never give peers time that HTTP would need to deliver
//!   before the buffer runs out (under the current HTTP estimate, with a margin), and hand the
//!   remainder to HTTP from the first unverified byte.
//! * [`Strikes`] and [`PeerWatch`] stop a peer that let a segment down (open but silent, or
//!   offering and not sending) from costing the next segments a wait: it is not waited on
//!   until it delivers again or its bench time (doubling per miss, at most a minute) ends.
//! * No I/O, clock or randomness: time is an argument. Builds for `wasm32-unknown-unknown`.
//!
//! # Driving it
//!
//! 1. Parse each playlist refresh; for a segment with a [`SegmentTag`], call
//!    [`SegmentTag::check`] with [`segment_name`] of its URI before trusting it.
//! 2. When the player asks for a segment, [`SegmentBudget::start`] with the buffer ahead of
//!    the playhead and the peers that have it; fetch from [`SegmentBudget::source`].
//! 3. Feed bytes in order to a [`SegmentVerifier`] and hand the player what it releases;
//!    call [`SegmentBudget::poll`] as bytes come and at [`SegmentBudget::next_check`]; on
//!    [`Source::Http`] fetch the remainder with a `Range` from its `from`. Count and describe
//!    the segment's peers through a [`PeerWatch`] (it leaves out those [`Strikes`] benched),
//!    and when the peer phase ends record its [`PeerWatch::turns`] in the channel's
//!    [`Strikes`].
//! 4. Fold each HTTP transfer into the [`RateEstimate`] ([`RateEstimate::sample`]).

#![warn(missing_docs)]

mod attrs;
mod budget;
mod error;
mod playlist;
mod strikes;
mod tags;
mod verify;

pub use budget::{Conditions, PeerView, Policy, RateEstimate, SegmentBudget, Source};
pub use error::HlsError;
pub use playlist::{MediaPlaylist, Segment, MAX_LINE, MAX_PLAYLIST_BYTES, MAX_SEGMENTS};
pub use strikes::{Outcome, PeerState, PeerWatch, Strikes, Turn};
pub use tags::{
    segment_name, ChannelTag, SegmentTag, CHANNEL_TAG, MAX_SEGMENT_LENGTH, MAX_TRACKERS,
    PIECE_LENGTH_RANGE, SEGMENT_TAG, VERSION,
};
pub use verify::{piece_matches, PieceMismatch, Pushed, Released, SegmentVerifier};

// Run the unit tests in headless Chromium when built for the browser.
#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
