//! The classic BitTorrent trackers a TCP peer announces to, sans-IO: HTTP trackers (BEP 3,
//! compact peer lists of BEP 23, IPv6 `peers6` of BEP 7) and UDP trackers (BEP 15).
//!
//! # What this crate promises
//!
//! * No I/O, clock or randomness of its own: time is a `now` in milliseconds, randomness a
//!   seed. It builds for `wasm32-unknown-unknown` as it is.
//! * Every parser takes untrusted bytes and never panics: lengths and counts are bounded
//!   ([`MAX_HTTP_BODY`], [`MAX_PEERS`], [`MAX_DATAGRAM`]) before anything is allocated for
//!   them, and bad input is a typed [`Error`].
//! * [`Announcer`] decides when to announce (first at once, then every interval the tracker
//!   asks for, with a back-off after failures), keeps a UDP connection id no longer than BEP 15
//!   allows (60 s), matches UDP replies by transaction id and retries lost datagrams.
//!
//! # Driving an [`Announcer`]
//!
//! 1. Build it with [`Announcer::new`] from a tracker URL (`http://`, `https://`, `udp://`).
//! 2. When [`Announcer::poll_timeout`] is due, call [`Announcer::handle_timeout`]; send the
//!    [`Request`] it may return (an HTTP GET of a URL, or one UDP datagram to `host:port`).
//! 3. Feed the response body of the GET, or every datagram from that UDP socket, to
//!    [`Announcer::handle_reply`] (or [`Announcer::handle_failure`] when the GET failed); it
//!    returns the peers it learnt and maybe the next request to send at once.
//! 4. Keep its figures current with [`Announcer::set_stats`]; call [`Announcer::completed`]
//!    once the download finishes and [`Announcer::stop`] when leaving.

#![warn(missing_docs)]

mod announcer;
mod error;
mod http;
mod params;
mod peers;
mod udp;

#[cfg(all(test, not(target_family = "wasm")))]
mod proptests;

pub use announcer::{Announcer, Endpoint, Reply, Request};
pub use error::Error;
pub use http::{announce_url, parse_http_response, HttpAnnounce, MAX_HTTP_BODY};
pub use params::{AnnounceEvent, AnnounceParams, Stats};
pub use peers::{parse_compact_v4, parse_compact_v6, MAX_PEERS};
pub use udp::{
    announce_request, connect_request, parse_udp_response, UdpResponse, MAX_DATAGRAM, PROTOCOL_ID,
};

// Run the unit tests in headless Chromium when built for the browser.
#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
