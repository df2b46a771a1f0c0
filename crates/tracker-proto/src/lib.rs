//! WebTorrent WebSocket tracker protocol: the messages, and the client's announce state machine.
//!
//! # What this crate promises
//!
//! * **Messages** of both directions, named from the tracker's point of view: [`InMessage`]
//!   (client → tracker: announce with offers, answer, scrape) and [`OutMessage`] (tracker →
//!   client: announce response, relayed offer, relayed answer, scrape response, error). Encoding
//!   is byte-for-byte what WebTorrent 3.0.21 and bittorrent-tracker 11 send (checked against
//!   captures in `tests/webtorrent_captures.rs`); decoding accepts any member order, ignores
//!   unknown members, and is bounded ([`MAX_MESSAGE_LEN`], [`MAX_OFFERS`],
//!   [`MAX_SCRAPE_INFO_HASHES`]). Ids travel as "binary strings" (see [`encode_binary_string`]).
//!   Decode failures are [`DecodeError`]s whose text is fit for a `failure reason`.
//! * **[`Announcer`]**, the client side of one torrent on one tracker: when to announce, with
//!   which event and how many offers, offer expiry, relaying, reconnect backoff.
//! * **Sans-IO**: no sockets, no clock, no randomness source, no WebRTC. Time is an argument
//!   ([`Millis`]), randomness is a seed ([`AnnouncerConfig::rng_seed`]), offers and answers are
//!   made by the driver. The same code runs natively (our tracker server) and in
//!   `wasm32-unknown-unknown` (the browser client), and it is deterministic under test.
//!
//! # Driving an [`Announcer`]
//!
//! 1. Build it: `Announcer::new(AnnouncerConfig::new(info_hash, peer_id).with_rng_seed(seed))`.
//! 2. Drain [`Announcer::poll_output`] until `None` and act on each [`Output`]: open the socket
//!    (`Connect`), send text frames (`Send(msg)` ⇒ `msg.to_json()`), create offers
//!    (`NeedOffers(n)`), destroy peers (`ExpireOffer`), answer offers (`RelayedOffer`), apply
//!    answers (`RelayedAnswer`), show `Swarm` counts and `Warning`s.
//! 3. Ask [`Announcer::poll_timeout`] when to wake up next (`None` = only on input).
//! 4. Wait for whichever comes first: that time, a socket event, a text frame, offers or an
//!    answer being ready, new stats, the download finishing, or the user leaving.
//! 5. Feed it: `handle_timeout(now)` for the timer, otherwise `handle_input(now, input)` with
//!    the matching [`Input`] (decode frames with [`OutMessage::from_json`]; log failures).
//! 6. Go to 2. After [`Input::Stop`] and a last drain, [`Announcer::is_stopped`] is true; close
//!    the socket once the `stopped` announce went out (WebTorrent waits ≤ 1 s for a reply).
//!
//! ```no_run
//! # use shoal_tracker_proto as tracker_proto; // the workspace imports this package as `tracker_proto`
//! use tracker_proto::{Announcer, AnnouncerConfig, Input, Millis, OutMessage, Output};
//! # use tracker_proto::Id20;
//! # fn now() -> Millis { Millis(0) }
//! # fn next_event(_wake_at: Option<Millis>) -> Option<Input> { None }
//! # fn send_text(_: String) {}
//! # fn create_offers(_: usize) {}
//! # fn open_socket() {}
//! # let (info_hash, peer_id) = (Id20([1; 20]), Id20(*b"-SH0001-abcdefghijkl"));
//! let config = AnnouncerConfig::new(info_hash, peer_id).with_rng_seed(0x5eed);
//! let mut announcer = Announcer::new(config);
//! loop {
//!     while let Some(output) = announcer.poll_output() {
//!         match output {
//!             Output::Connect => open_socket(),
//!             Output::Send(message) => send_text(message.to_json()),
//!             Output::NeedOffers(n) => create_offers(n),
//!             // Exhaustive: a new output is a compile error here until it is handled.
//!             Output::ExpireOffer(_)
//!             | Output::RelayedOffer { .. }
//!             | Output::RelayedAnswer { .. }
//!             | Output::Swarm { .. }
//!             | Output::Warning(_) => println!("{output:?}"),
//!         }
//!     }
//!     if announcer.is_stopped() {
//!         break;
//!     }
//!     // Wait for a socket event, a frame, offers, ... or `poll_timeout()`.
//!     match next_event(announcer.poll_timeout()) {
//!         Some(input) => announcer.handle_input(now(), input),
//!         None => announcer.handle_timeout(now()),
//!     }
//! }
//! # let frame = "";
//! // A text frame from the tracker becomes an input like this:
//! match OutMessage::from_json(frame) {
//!     Ok(message) => announcer.handle_input(now(), Input::Message(message)),
//!     Err(err) => eprintln!("tracker sent garbage: {err}"),
//! }
//! ```

#![warn(missing_docs)]

pub mod announcer;
mod common;
mod error;
pub mod incoming;
pub mod outgoing;
mod time;

pub use self::{
    announcer::{reconnect_delay, Announcer, AnnouncerConfig, Input, Output, SplitMix64, Stats},
    common::{
        decode_binary_id, encode_binary_string, OfferId, SdpType, SessionDescription, ID_LEN,
        MAX_MESSAGE_LEN, MAX_OFFERS, MAX_SCRAPE_INFO_HASHES,
    },
    error::DecodeError,
    incoming::{AnnounceEvent, InAnnounce, InAnswer, InMessage, InOffer, InScrape, InfoHashes},
    outgoing::{
        ErrorAction, OutAnnounceResponse, OutAnswer, OutError, OutMessage, OutOffer,
        OutScrapeResponse, ScrapeStats,
    },
    time::Millis,
};
pub use metainfo::{Id20, InfoHash, PeerId};

#[cfg(all(test, not(target_family = "wasm")))]
mod proptests;

// Run the unit tests in headless Chromium when built for the browser.
#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
