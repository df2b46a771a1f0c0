//! The tracker's whole state, without I/O: swarms, peers, relayed offers and per-connection
//! limits. Messages go in with the time; replies come out as [`Out`] values pushed into a
//! `&mut Vec<Out>`. Randomness comes from a seeded [`SmallRng`], so tests are reproducible.
//!
//! Invariants (checked by the tests in `tests.rs`):
//! * A peer is in at most one of its torrent's two lists, and `(info_hash, peer_id)` is in its
//!   connection's `joined` list exactly while the peer is in the torrent.
//! * An offer is relayed to a peer of the same swarm other than its sender; the offers of one
//!   announce go to distinct peers. A seeder's offers go to leechers only (seeders have nothing
//!   to give each other).
//! * An answer is routed only if the offer `(to_peer_id, offer_id)` was relayed to the
//!   answering peer, on this connection, less than `offer_timeout` ago; each offer is answered once.
//! * A torrent with no peers is dropped, so memory follows the number of live peers.

mod peers;
mod relay;
#[cfg(test)]
mod tests;

use std::{collections::HashMap, time::Duration};

use rand::{rngs::SmallRng, SeedableRng};
use tracker_proto::{
    AnnounceEvent, DecodeError, ErrorAction, InAnnounce, InMessage, InScrape, InfoHash, Millis,
    OutAnnounceResponse, OutError, OutMessage, OutScrapeResponse, PeerId, ScrapeStats,
};

use self::peers::{Peer, PendingOffer, Torrent};
use crate::{
    metrics::{Counters, ErrorKind},
    Config,
};

/// Identifies one client connection (assigned by the server, never reused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// What the state asks the server to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// Send this message on that connection.
    Send(ConnId, OutMessage),
    /// Close that connection (it kept sending bad messages); it already left every swarm.
    Close(ConnId),
}

/// The parts of [`Config`] the state needs, as durations and counts.
#[derive(Debug, Clone)]
pub struct SwarmConfig {
    /// `interval` sent to clients.
    pub announce_interval: Duration,
    /// Peers that do not announce within this time leave.
    pub peer_timeout: Duration,
    /// Answers are accepted this long after the offer was relayed.
    pub offer_timeout: Duration,
    /// See [`crate::Limits`].
    pub max_offers_per_announce: usize,
    /// See [`crate::Limits`].
    pub max_torrents_per_connection: usize,
    /// See [`crate::Limits`].
    pub max_announces_per_minute: u32,
    /// See [`crate::Limits`].
    pub max_failures_per_minute: u32,
    /// See [`crate::Limits`].
    pub max_pending_offers_per_peer: usize,
}

impl From<&Config> for SwarmConfig {
    fn from(c: &Config) -> Self {
        Self {
            announce_interval: Duration::from_secs(c.announce_interval_secs),
            peer_timeout: Duration::from_secs(c.peer_timeout_secs),
            offer_timeout: Duration::from_secs(c.offer_timeout_secs),
            max_offers_per_announce: c.limits.max_offers_per_announce,
            max_torrents_per_connection: c.limits.max_torrents_per_connection,
            max_announces_per_minute: c.limits.max_announces_per_minute,
            max_failures_per_minute: c.limits.max_failures_per_minute,
            max_pending_offers_per_peer: c.limits.max_pending_offers_per_peer,
        }
    }
}

const MINUTE: Duration = Duration::from_secs(60);

/// Per-connection bookkeeping.
#[derive(Debug)]
struct Conn {
    /// `(torrent, peer id)` memberships, bounded by `max_torrents_per_connection`.
    joined: Vec<(InfoHash, PeerId)>,
    /// Start of the current one-minute window of the rate and failure limits.
    window_start: Millis,
    requests: u32,
    failures: u32,
}

/// All swarms. See the module documentation.
#[derive(Debug)]
pub struct Swarms {
    config: SwarmConfig,
    rng: SmallRng,
    torrents: HashMap<InfoHash, Torrent>,
    conns: HashMap<ConnId, Conn>,
    counters: Counters,
}

/// Peer counts at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SwarmTotals {
    /// Torrents with at least one peer.
    pub swarms: u64,
    /// Peers.
    pub peers: u64,
    /// Seeders.
    pub seeders: u64,
    /// Connections known to the state.
    pub connections: u64,
}

/// A protocol failure: which counter, and the text of the `failure reason`.
struct Failure(ErrorKind, String);

impl Swarms {
    /// An empty state; `seed` drives the choice of offer recipients.
    pub fn new(config: SwarmConfig, seed: u64) -> Self {
        Self {
            config,
            rng: SmallRng::seed_from_u64(seed),
            torrents: HashMap::new(),
            conns: HashMap::new(),
            counters: Counters::default(),
        }
    }

    /// Counters since creation.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Counts a failure detected outside the state (by the server).
    pub fn count_error(&mut self, kind: ErrorKind) {
        self.counters.error(kind);
    }

    /// Current totals (walks the torrents: O(swarms)).
    pub fn totals(&self) -> SwarmTotals {
        let mut t = SwarmTotals {
            swarms: self.torrents.len() as u64,
            connections: self.conns.len() as u64,
            ..SwarmTotals::default()
        };
        for torrent in self.torrents.values() {
            t.seeders += torrent.seeders.len() as u64;
            t.peers += (torrent.seeders.len() + torrent.leechers.len()) as u64;
        }
        t
    }

    /// Registers a new connection.
    pub fn connect(&mut self, conn: ConnId, now: Millis) {
        self.conns.entry(conn).or_insert_with(|| Conn {
            joined: Vec::new(),
            window_start: now,
            requests: 0,
            failures: 0,
        });
    }

    /// The connection is gone: it leaves every swarm it joined (like a `stopped` for each).
    pub fn disconnect(&mut self, conn: ConnId) {
        let Some(state) = self.conns.remove(&conn) else {
            return;
        };
        for (info_hash, peer_id) in state.joined {
            self.remove_peer(&info_hash, &peer_id);
        }
    }

    /// Handles one text frame: decodes it (with the server's size limit) and dispatches it.
    pub fn handle_text(
        &mut self,
        conn: ConnId,
        now: Millis,
        text: &str,
        max_len: usize,
        out: &mut Vec<Out>,
    ) {
        let decoded = if text.len() > max_len {
            Err(DecodeError::TooLarge {
                len: text.len(),
                max: max_len,
            })
        } else {
            InMessage::from_json(text)
        };
        self.handle_message(conn, now, decoded, out);
    }

    /// Handles one decoded message (the server decodes outside its lock).
    pub fn handle_message(
        &mut self,
        conn: ConnId,
        now: Millis,
        message: Result<InMessage, DecodeError>,
        out: &mut Vec<Out>,
    ) {
        self.connect(conn, now);
        let (action, info_hash, result) = match message {
            Err(err) => {
                let failure = Failure(ErrorKind::of_decode_error(&err), err.to_string());
                (None, None, Err(failure))
            }
            Ok(InMessage::Announce(a)) => {
                let hash = a.info_hash;
                let r = self
                    .rate_check(conn, now)
                    .and_then(|()| self.announce(conn, now, a, out));
                (Some(ErrorAction::Announce), Some(hash), r)
            }
            Ok(InMessage::Answer(a)) => {
                let hash = a.info_hash;
                (
                    Some(ErrorAction::Announce),
                    Some(hash),
                    self.answer(conn, now, a, out),
                )
            }
            Ok(InMessage::Scrape(s)) => {
                let r = self
                    .rate_check(conn, now)
                    .map(|()| self.scrape(conn, s, out));
                (Some(ErrorAction::Scrape), None, r)
            }
        };
        if let Err(Failure(kind, reason)) = result {
            self.fail(conn, now, kind, reason, action, info_hash, out);
        }
    }

    /// Answers a frame that is not a message at all (e.g. binary) with a `failure reason`,
    /// counting it against the connection's failure limit like any other failure.
    pub fn reject(
        &mut self,
        conn: ConnId,
        now: Millis,
        kind: ErrorKind,
        reason: String,
        out: &mut Vec<Out>,
    ) {
        self.connect(conn, now);
        self.fail(conn, now, kind, reason, None, None, out);
    }

    /// Drops peers that stopped announcing and offers nobody answered.
    pub fn clean(&mut self, now: Millis) {
        let conns = &mut self.conns;
        self.torrents.retain(|info_hash, torrent| {
            for list in [&mut torrent.seeders, &mut torrent.leechers] {
                for gone in list.remove_where(|p| p.expires <= now) {
                    if let Some(c) = conns.get_mut(&gone.conn) {
                        c.joined.retain(|(h, p)| !(h == info_hash && *p == gone.id));
                    }
                }
                for peer in &mut list.peers {
                    peer.offers.retain(|o| o.expires > now);
                }
            }
            !torrent.is_empty()
        });
    }

    /// Starts a new one-minute window if the old one is over, then counts one request.
    fn rate_check(&mut self, conn: ConnId, now: Millis) -> Result<(), Failure> {
        let Some(c) = self.conns.get_mut(&conn) else {
            return Ok(());
        };
        roll_window(c, now);
        if c.requests >= self.config.max_announces_per_minute {
            return Err(Failure(
                ErrorKind::RateLimited,
                format!(
                    "too many requests: at most {} announces and scrapes per minute",
                    self.config.max_announces_per_minute
                ),
            ));
        }
        c.requests += 1;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn fail(
        &mut self,
        conn: ConnId,
        now: Millis,
        kind: ErrorKind,
        reason: String,
        action: Option<ErrorAction>,
        info_hash: Option<InfoHash>,
        out: &mut Vec<Out>,
    ) {
        self.counters.error(kind);
        let error = OutError {
            failure_reason: reason,
            action,
            info_hash,
        };
        out.push(Out::Send(conn, OutMessage::Error(error)));
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        roll_window(c, now);
        c.failures += 1;
        if c.failures > self.config.max_failures_per_minute {
            self.counters.closed_for_abuse += 1;
            self.disconnect(conn);
            out.push(Out::Close(conn));
        }
    }

    fn announce(
        &mut self,
        conn: ConnId,
        now: Millis,
        a: InAnnounce,
        out: &mut Vec<Out>,
    ) -> Result<(), Failure> {
        self.counters.announces += 1;
        if a.event == Some(AnnounceEvent::Stopped) {
            if self.owner(&a.info_hash, &a.peer_id) == Some(conn) {
                self.remove_peer(&a.info_hash, &a.peer_id);
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.joined
                        .retain(|(h, p)| !(*h == a.info_hash && *p == a.peer_id));
                }
            }
            self.respond(conn, &a.info_hash, out);
            return Ok(());
        }
        let expires = now.saturating_add(self.config.peer_timeout);
        let completed = a.event == Some(AnnounceEvent::Completed);
        let says_seeder = (a.left == Some(0) || completed).then_some(true);
        match self.owner(&a.info_hash, &a.peer_id) {
            Some(owner) if owner != conn => {
                return Err(Failure(
                    ErrorKind::PeerIdInUse,
                    "peer_id is in use by another connection in this swarm".to_owned(),
                ));
            }
            Some(_) => self.refresh_peer(&a.info_hash, &a.peer_id, expires, says_seeder, a.left),
            None => self.join(conn, &a, expires, says_seeder.unwrap_or(false))?,
        }
        let torrent = self.torrents.entry(a.info_hash).or_default();
        if completed {
            torrent.downloaded += 1;
        }
        self.respond(conn, &a.info_hash, out);
        if let Some(offers) = a.offers {
            self.relay_offers(now, &a.info_hash, &a.peer_id, offers, out);
        }
        Ok(())
    }

    /// The connection that holds `peer_id` in that swarm.
    fn owner(&self, info_hash: &InfoHash, peer_id: &PeerId) -> Option<ConnId> {
        Some(self.torrents.get(info_hash)?.find(peer_id)?.conn)
    }

    fn join(
        &mut self,
        conn: ConnId,
        a: &InAnnounce,
        expires: Millis,
        seeder: bool,
    ) -> Result<(), Failure> {
        let max = self.config.max_torrents_per_connection;
        let c = self
            .conns
            .get_mut(&conn)
            .ok_or_else(|| Failure(ErrorKind::MalformedJson, "connection is closing".to_owned()))?;
        if c.joined.len() >= max {
            return Err(Failure(
                ErrorKind::TooManyTorrents,
                format!("too many torrents on this connection: at most {max}"),
            ));
        }
        c.joined.push((a.info_hash, a.peer_id));
        let peer = Peer {
            id: a.peer_id,
            conn,
            expires,
            offers: Vec::new(),
        };
        let torrent = self.torrents.entry(a.info_hash).or_default();
        if seeder {
            torrent.seeders.push(peer);
        } else {
            torrent.leechers.push(peer);
        }
        Ok(())
    }

    /// Extends a known peer's life and moves it between the lists if its status changed.
    /// `left: None` (size unknown yet) keeps the current status.
    fn refresh_peer(
        &mut self,
        info_hash: &InfoHash,
        peer_id: &PeerId,
        expires: Millis,
        says_seeder: Option<bool>,
        left: Option<u64>,
    ) {
        let Some(torrent) = self.torrents.get_mut(info_hash) else {
            return;
        };
        let Some((peer, is_seeder)) = torrent.find_mut(peer_id) else {
            return;
        };
        peer.expires = expires;
        let wants_seeder = says_seeder.unwrap_or(if left.is_some() { false } else { is_seeder });
        if wants_seeder != is_seeder {
            if let Some(peer) = torrent.remove(peer_id) {
                if wants_seeder {
                    torrent.seeders.push(peer);
                } else {
                    torrent.leechers.push(peer);
                }
            }
        }
    }

    fn remove_peer(&mut self, info_hash: &InfoHash, peer_id: &PeerId) {
        if let Some(torrent) = self.torrents.get_mut(info_hash) {
            torrent.remove(peer_id);
            if torrent.is_empty() {
                self.torrents.remove(info_hash);
            }
        }
    }

    fn respond(&mut self, conn: ConnId, info_hash: &InfoHash, out: &mut Vec<Out>) {
        let (complete, incomplete) = self.torrents.get(info_hash).map_or((0, 0), |t| {
            (t.seeders.len() as u64, t.leechers.len() as u64)
        });
        let response = OutAnnounceResponse {
            info_hash: *info_hash,
            complete: Some(complete),
            incomplete: Some(incomplete),
            interval: Some(self.config.announce_interval.as_secs()),
            min_interval: None,
            tracker_id: None,
            warning_message: None,
        };
        out.push(Out::Send(conn, OutMessage::AnnounceResponse(response)));
    }

    fn scrape(&mut self, conn: ConnId, s: InScrape, out: &mut Vec<Out>) {
        self.counters.scrapes += 1;
        let files = s
            .info_hashes
            .as_slice()
            .iter()
            .map(|hash| {
                let stats = self
                    .torrents
                    .get(hash)
                    .map_or_else(ScrapeStats::default, |t| ScrapeStats {
                        complete: t.seeders.len() as u64,
                        incomplete: t.leechers.len() as u64,
                        downloaded: t.downloaded,
                    });
                (*hash, stats)
            })
            .collect();
        let response = OutScrapeResponse {
            files,
            min_request_interval: Some(self.config.announce_interval.as_secs()),
        };
        out.push(Out::Send(conn, OutMessage::ScrapeResponse(response)));
    }
}

fn roll_window(c: &mut Conn, now: Millis) {
    if now.saturating_duration_since(c.window_start) >= MINUTE {
        c.window_start = now;
        c.requests = 0;
        c.failures = 0;
    }
}
