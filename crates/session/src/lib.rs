//! One torrent's session, platform-free: the [`swarm::Engine`], one
//! [`tracker_proto::Announcer`] per tracker, the peers' lifecycle, webseed GETs, the hashing
//! hand-off, readers with flow control and the figures a UI shows. Every effect goes through
//! the [`Platform`] trait; every result comes back as an [`Event`]. The browser runtime and
//! the companion's seeder are two platforms; neither drives the engine or an announcer itself.
//!
//! # What this crate promises
//!
//! * No I/O, clock, randomness of its own or async: time is an argument, randomness a seed
//!   ([`SessionConfig::rng_seed`]). It builds for `wasm32-unknown-unknown` as it is.
//! * Every engine and announcer output is acted on (the matches are exhaustive: a new output
//!   is a compile error here, not a silent drop).
//! * At most [`SessionConfig::max_peers`] connections, counting those still offering,
//!   answering or connecting; relayed offers beyond it are refused ([`Notice::OfferRefused`]).
//! * A connection that is not open [`CONNECT_TIMEOUT_MS`] after it was started (or, for our
//!   offers, after the answer came), or that has received nothing [`FIRST_BYTE_TIMEOUT_MS`]
//!   after it opened, is closed. These are deadlines in the one timer the session asks for
//!   ([`Platform::set_timer`]).
//! * Each offer handed to an announcer ends as a connection or is closed when the announcer
//!   expires it (50 s unanswered), which frees its slot.
//! * A reader yields verified bytes only, in order, holding at most [`READ_AHEAD`] bytes its
//!   consumer has not read.
//! * Trackers hear `uploaded`/`downloaded`/`left` on every periodic announce, `completed` once
//!   the last piece verifies, and `stopped` from [`Session::stop`].
//!
//! # Driving a session
//!
//! 1. Build the [`swarm::Engine`] (a seeder imports its pieces first; one seeding a torrent
//!    that another download fills is `swarm::Config::upload_only` and takes each later piece
//!    through [`Session::import_hashed`]) and a [`SessionConfig`]
//!    (trackers, webseeds in the engine's order, peer cap, offers per announce: 0 for a
//!    platform that only answers).
//! 2. Implement [`Platform`] over your sockets, connections, HTTP client, hasher and timer.
//!    Each call returns at once; results come back as events — also when you have them at
//!    once (queue them and feed them after the call returns, never from inside it).
//! 3. [`Session::start`] it; it asks for tracker sockets and sets its timer.
//! 4. Feed every result and happening with [`Session::handle`]`(now, event, platform)`:
//!    sockets opening, frames, closing; offers and answers made; connections opening, their
//!    bytes, their end; GETs done; digests; and [`Event::Timer`] when the timer fires.
//! 5. Read with [`Session::open_reader`] and [`Session::read`] (wake readers on
//!    [`Notice::ReaderReady`]); show [`Session::stats`].
//! 6. An engine with `swarm::Config::external_store` keeps its pieces in the platform's
//!    persistent store: answer [`Platform::store_write`] with [`Event::PieceStored`] and
//!    [`Platform::store_read`] with [`Event::PieceLoaded`] (the engine checks what comes back).
//! 7. Leave with [`Session::stop`]: it announces `stopped`, then closes trackers, peers and
//!    GETs through the platform, and disarms the timer.
//!
//! # Peers that are not WebRTC
//!
//! The session names connections by [`swarm::PeerKey`] and never looks inside SDP, so a
//! transport without signalling fits the same trait. A TCP platform (the companion's gateway)
//! sets [`SessionConfig::max_offers`] to 0 and, when a listener accepts a socket, asks
//! [`Session::accept_peer`] for a key (refused at the cap) and feeds [`Event::PeerOpen`],
//! [`Event::PeerData`] and [`Event::PeerClosed`] like any other platform; `send` and
//! `close_peer` write to and shut the socket. Addresses from the HTTP and UDP trackers of
//! [`SessionConfig::classic_trackers`] (which the session announces to on its own schedule;
//! the platform only does the GET or moves the datagram) and from [`Event::PeerAddrs`] are
//! dialled with [`Platform::dial`] beside `create_offer`: each dial takes a slot under the
//! peer cap and has the same connect and first-byte deadlines; an address that fails is
//! tried again later, less often each time.
//!
//! ```no_run
//! # use shoal_session as session;
//! use session::{Event, Read, Session, SessionConfig};
//! # fn demo(engine: swarm::Engine<swarm::MemoryStorage, swarm::Sha1Smol>,
//! #         platform: &mut impl session::Platform, now: swarm::Millis) {
//! let mut cfg = SessionConfig::new([1; 20], 42);
//! cfg.trackers = vec!["wss://tracker.example".into()];
//! let mut s = Session::start(engine, cfg, now, platform);
//! let reader = s.open_reader(now, 0, 1000, platform);
//! // ... the platform reports what happened:
//! s.handle(now, Event::Timer, platform);
//! if let Read::Chunk(bytes) = s.read(now, reader, platform) {
//!     # let _ = bytes;
//! }
//! s.stop(platform);
//! # }
//! ```

#![warn(missing_docs)]

mod classic;
mod config;
mod dialer;
mod flow;
mod peers;
mod platform;
mod rate;
mod session;
mod stats;
mod trackers;
mod webseed;

#[cfg(test)]
mod tests;

pub use config::{SessionConfig, CONNECT_TIMEOUT_MS, FIRST_BYTE_TIMEOUT_MS};
pub use flow::READ_AHEAD;
pub use platform::{ClassicTrackerIdx, Event, GetId, Notice, Platform, TrackerIdx};
pub use session::{Read, Session};
pub use stats::{Stats, TrackerStatus};
pub use tracker_classic::Request as ClassicRequest;

// Run the unit tests in headless Chromium when built for the browser.
#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
