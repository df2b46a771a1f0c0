//! The client's announce state machine for one torrent on one tracker (sans-IO).
//!
//! # Scope: one [`Announcer`] per (tracker URL, torrent)
//!
//! This mirrors the reference client, where each torrent has its own tracker object (timers,
//! pending offers, retry count, `tracker id`) even when several share one socket. The driver
//! owns the sockets and may share one per tracker URL:
//!
//! * [`Output::Connect`] means "make sure a socket to this tracker is open or opening, then feed
//!   [`Input::Connected`]". With a shared socket that is already open, feed it at once.
//! * Decode each text frame once ([`OutMessage::from_json`](crate::OutMessage::from_json)) and
//!   hand the message to every announcer on that socket: each ignores other info hashes.
//! * When the socket closes or fails, feed [`Input::Disconnected`] to every announcer on it.
//!
//! # Protocol behaviour (protocols.md §1.4, WebTorrent 3 / bittorrent-tracker 11)
//!
//! * Offers per announce: `n = min(numwant, max_offers)` (50 and 5 ⇒ 5). The machine asks the
//!   driver for `n` offers ([`Output::NeedOffers`]), the driver creates `n` initiator peer
//!   connections, waits for complete (non-trickle) SDPs and returns them with random offer ids
//!   ([`Input::OffersReady`]); the machine then emits one announce carrying all of them, with
//!   `numwant = n`. If `n == 0` the announce goes out at once without `offers`.
//! * Each offer handed in leaves through exactly one of [`Output::RelayedAnswer`] (its answer
//!   arrived) or [`Output::ExpireOffer`] (50 s passed, the socket closed, we stopped, or it
//!   arrived when no announce was waiting for it): the driver then destroys that peer.
//! * `completed` and `stopped` announces carry no offers and `numwant = config.numwant` (50),
//!   as in the captures.
//! * `trackerid` is sent on every announce and answer once a response carried `tracker id`.
//! * Intervals: the periodic timer starts at 30 s and is re-armed to `interval` (else
//!   `min interval`; the larger if both) seconds from every announce response that has one,
//!   clamped to [`min_interval`, `max_interval`] (10 s … 30 min by default) so that a hostile
//!   `0` does not make us hammer the tracker nor a huge value silence us.
//! * Reconnect delay after a close: `min(2^retries × 10 s, 3600 s) + random(0 ..= 300 s)`, the
//!   random part drawn from a seeded generator ([`AnnouncerConfig::rng_seed`]); see
//!   [`reconnect_delay`]. `retries` resets on the first announce response after a reconnect.
//! * Deviation: the reference client drops `failure reason` messages without `info_hash`; we
//!   surface them as warnings (aquatic_ws sends some without it). Warnings are never fatal.
//!
//! # States and transitions
//!
//! Connection state `conn` ∈ {Connecting, Connected, Backoff(until), Stopped}; plus flags
//! `started_sent`, `completed` ∈ {NotYet, Pending, Sent}, the offer request in flight
//! (`awaiting`), pending offers (id → expiry), `interval`, `next_announce`, `retries`.
//!
//! | state | input / timer | effect |
//! |---|---|---|
//! | (new) | — | → Connecting, emit `Connect` |
//! | Connecting, Backoff | `Connected` | → Connected; request announce with `event = started` if never sent, else none |
//! | Connected | `next_announce` due | request periodic announce (no event); skipped if an offer request is in flight; re-arm `now + interval` |
//! | Connected | `OffersReady` while awaiting | register offers (expire `now + 50 s`), send announce |
//! | any other | `OffersReady` | `ExpireOffer` each |
//! | Connected | pending offer expiry due | `ExpireOffer(id)` |
//! | Connected | announce response (our hash) | re-arm interval, remember `tracker id`, `retries = 0`, emit `Swarm` / `Warning` |
//! | Connected | relayed offer (our hash, not our peer id) | `RelayedOffer` |
//! | Connected | relayed answer matching a pending offer | remove it, `RelayedAnswer`; unknown ids ignored |
//! | Connected | `failure reason` (our hash or none) | `Warning` |
//! | Connected | `AnswerReady` | send the answer |
//! | Connected | `WantPeers` | `next_announce` = min(itself, max(now, last announce + min interval)) |
//! | any but Stopped | `Completed` | NotYet → Pending; sent as soon as Connected and `started` went out; once only |
//! | Connected, Connecting | `Disconnected` | expire offers, drop the request, → Backoff(now + delay), `retries += 1` |
//! | Backoff | `until` due | → Connecting, emit `Connect` |
//! | Connected | `Stop` | send `stopped`, expire offers, → Stopped |
//! | not Connected | `Stop` | → Stopped |
//! | Stopped | anything | ignored (offers handed in are expired) |
//!
//! Invariants: timers exist only in Connected (announce, offer expiry) and Backoff (reconnect);
//! at most one offer request is in flight; pending offers exist only while Connected;
//! `completed` is sent at most once and never before `started`; nothing is sent after `stopped`.

mod machine;
#[cfg(test)]
mod tests;

use core::time::Duration;

use metainfo::{InfoHash, PeerId};

pub use self::machine::Announcer;
use crate::{InMessage, InOffer, OfferId, OutMessage, SessionDescription};

/// Setup of one [`Announcer`]. Fields are public; [`AnnouncerConfig::new`] fills in the
/// WebTorrent defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AnnouncerConfig {
    /// The torrent.
    pub info_hash: InfoHash,
    /// Our peer id (also used to ignore our own offers and answers echoed back).
    pub peer_id: PeerId,
    /// `numwant` of `completed`/`stopped` announces, and the upper bound of offers per
    /// announce. WebTorrent: 50.
    pub numwant: u64,
    /// Offers per announce are `min(numwant, max_offers)`. WebTorrent: 5.
    pub max_offers: u64,
    /// Periodic announce interval until a response sets one. WebTorrent: 30 s.
    pub initial_interval: Duration,
    /// Floor for tracker-provided intervals. Default 10 s.
    pub min_interval: Duration,
    /// Ceiling for tracker-provided intervals. Default 30 min.
    pub max_interval: Duration,
    /// Lifetime of an unanswered offer. WebTorrent: 50 s.
    pub offer_timeout: Duration,
    /// First reconnect delay (doubled per retry). WebTorrent: 10 s.
    pub reconnect_base: Duration,
    /// Cap of the doubled reconnect delay. WebTorrent: 3600 s.
    pub reconnect_max: Duration,
    /// Random extra reconnect delay, uniform in `0 ..= reconnect_jitter`. WebTorrent: 300 s.
    pub reconnect_jitter: Duration,
    /// Seed of the generator behind the reconnect jitter. Pass a random value in production
    /// (e.g. from `crypto.getRandomValues`); [`AnnouncerConfig::new`] derives one from the
    /// peer id, whose tail is random in Azureus-style ids.
    pub rng_seed: u64,
    /// Transfer stats at start; update them later with [`Input::Stats`].
    pub stats: Stats,
}

impl AnnouncerConfig {
    /// WebTorrent 3's defaults for this torrent and peer id.
    pub fn new(info_hash: InfoHash, peer_id: PeerId) -> Self {
        let rng_seed = peer_id.0.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Self {
            info_hash,
            peer_id,
            numwant: 50,
            max_offers: 5,
            initial_interval: Duration::from_secs(30),
            min_interval: Duration::from_secs(10),
            max_interval: Duration::from_secs(30 * 60),
            offer_timeout: Duration::from_secs(50),
            reconnect_base: Duration::from_secs(10),
            reconnect_max: Duration::from_secs(3600),
            reconnect_jitter: Duration::from_secs(300),
            rng_seed,
            stats: Stats::default(),
        }
    }

    /// Sets [`AnnouncerConfig::rng_seed`].
    pub fn with_rng_seed(mut self, seed: u64) -> Self {
        self.rng_seed = seed;
        self
    }

    /// Sets [`AnnouncerConfig::stats`].
    pub fn with_stats(mut self, stats: Stats) -> Self {
        self.stats = stats;
        self
    }

    /// Sets [`AnnouncerConfig::numwant`].
    pub fn with_numwant(mut self, numwant: u64) -> Self {
        self.numwant = numwant;
        self
    }

    /// Offers per announce: `min(numwant, max_offers)`.
    pub fn offers_per_announce(&self) -> usize {
        usize::try_from(self.numwant.min(self.max_offers)).unwrap_or(usize::MAX)
    }

    /// Clamps a tracker-provided interval (seconds) to [`min_interval`, `max_interval`].
    ///
    /// [`min_interval`]: AnnouncerConfig::min_interval
    /// [`max_interval`]: AnnouncerConfig::max_interval
    pub fn clamp_interval(&self, secs: u64) -> Duration {
        let floor = self.min_interval.min(self.max_interval);
        Duration::from_secs(secs).clamp(floor, self.max_interval)
    }
}

/// Transfer counters sent with every announce (`uploaded`, `downloaded`, `left`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Bytes uploaded this session.
    pub uploaded: u64,
    /// Bytes downloaded this session.
    pub downloaded: u64,
    /// Bytes missing; `None` while unknown (joined by magnet, no metadata yet: sent as `null`).
    pub left: Option<u64>,
}

/// What the driver tells the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input {
    /// The socket to the tracker is open.
    Connected,
    /// The socket closed or failed (or could not be opened).
    Disconnected,
    /// A decoded message from the tracker's socket (any torrent; others are ignored).
    Message(OutMessage),
    /// The offers asked for by [`Output::NeedOffers`], each with a fresh random `offer_id`.
    /// Fewer than asked (even none) is fine; extra ones are expired.
    OffersReady(Vec<InOffer>),
    /// The answer to a [`Output::RelayedOffer`] is ready: send it.
    AnswerReady {
        /// The offerer (the relayed offer's `peer_id`).
        to_peer_id: PeerId,
        /// The relayed offer's `offer_id`.
        offer_id: OfferId,
        /// Our complete answer SDP.
        answer: SessionDescription,
    },
    /// New transfer counters for the next announces.
    Stats(Stats),
    /// The download finished (update [`Stats::left`] to 0 first): announce `completed` once.
    Completed,
    /// The client lost its peers and wants more: the next periodic announce is brought
    /// forward to the earliest time the tracker's rules allow (the last announce plus the
    /// larger of [`AnnouncerConfig::min_interval`] and the tracker's `min interval`), instead
    /// of waiting out the whole interval (often minutes) with no peer.
    WantPeers,
    /// Leave the swarm: announce `stopped` and finish.
    Stop,
}

/// What the machine asks the driver to do. Exhaustive on purpose: a new output must be a
/// compile error in every driver until it is handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Open (or reuse) the socket to the tracker, then feed [`Input::Connected`] or
    /// [`Input::Disconnected`].
    Connect,
    /// Send this message as one text frame (`message.to_json()`).
    Send(InMessage),
    /// Create this many initiator peers and feed their offers with [`Input::OffersReady`].
    NeedOffers(usize),
    /// Destroy the initiator peer of this unanswered offer.
    ExpireOffer(OfferId),
    /// Another peer offers a connection: create a non-initiator peer, apply `offer`, and feed the
    /// answer with [`Input::AnswerReady`]. The remote peer id is `peer_id`.
    RelayedOffer {
        /// The offerer.
        peer_id: PeerId,
        /// Echo this in the answer.
        offer_id: OfferId,
        /// The offer SDP.
        offer: SessionDescription,
    },
    /// One of our pending offers was answered: apply `answer` to that offer's peer. The remote
    /// peer id is `peer_id`.
    RelayedAnswer {
        /// The answerer.
        peer_id: PeerId,
        /// Our offer.
        offer_id: OfferId,
        /// The answer SDP.
        answer: SessionDescription,
    },
    /// Swarm counts from an announce or scrape response.
    Swarm {
        /// Seeders.
        complete: Option<u64>,
        /// Leechers.
        incomplete: Option<u64>,
    },
    /// `failure reason` or `warning message` from the tracker: show or log it, nothing failed
    /// for good.
    Warning(String),
}

/// Reconnect delay after the `retries`-th consecutive failure (0-based):
/// `min(2^retries × reconnect_base, reconnect_max) + (random mod (reconnect_jitter + 1 ms))`,
/// in whole milliseconds. With the defaults: 10 s, 20 s, 40 s, … capped at 3600 s, plus 0–300 s.
pub fn reconnect_delay(retries: u32, random: u64, config: &AnnouncerConfig) -> Duration {
    let base_ms = u64::try_from(config.reconnect_base.as_millis()).unwrap_or(u64::MAX);
    let max_ms = u64::try_from(config.reconnect_max.as_millis()).unwrap_or(u64::MAX);
    let factor = 2u64.checked_pow(retries).unwrap_or(u64::MAX);
    let backoff = base_ms.saturating_mul(factor).min(max_ms);
    let span = u64::try_from(config.reconnect_jitter.as_millis()).unwrap_or(u64::MAX);
    let jitter = match span.checked_add(1) {
        Some(modulus) => random % modulus,
        None => random,
    };
    Duration::from_millis(backoff.saturating_add(jitter))
}

/// SplitMix64: a tiny, seedable, good-enough generator for timer jitter and offer ids (not for
/// secrets). Drivers seed it with a random value to draw their own ids deterministically.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
