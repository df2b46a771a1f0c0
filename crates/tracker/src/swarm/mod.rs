//! The tracker's whole state, without I/O: swarms, peers, relayed offers and per-connection
//! limits. Messages go in with the time; replies come out as [`Out`] values. Randomness comes
//! from seeded [`SmallRng`](rand::rngs::SmallRng)s, so tests are reproducible.
//!
//! The swarms are split into [`Shard`]s by info hash ([`shard_of`]) so that the server can
//! lock one shard while other threads work in the others. What belongs to one connection rather
//! than one swarm (its memberships, its announce and failure budgets) lives in its
//! [`Connection`], which the connection's own task keeps: per-connection limits hold across
//! shards without a shared lock. [`dispatch`] is the one message handler over both; [`Swarms`]
//! drives it over a plain slice of shards, which is what the tests use.
//!
//! Invariants (checked by the tests in `tests.rs` and `cross_shard_tests.rs`):
//! * A peer is in at most one of its torrent's two lists, and `(info_hash, peer_id)` is in its
//!   connection's `joined` map while the peer is in the torrent (and until it expires).
//! * An offer is relayed to a peer of the same swarm other than its sender; the offers of one
//!   announce go to distinct peers. A seeder's offers go to leechers only (seeders have nothing
//!   to give each other).
//! * An answer is routed only if the offer `(to_peer_id, offer_id)` was relayed to the
//!   answering peer, on this connection, less than `offer_timeout` ago; each offer is answered once.
//! * A torrent with no peers is dropped, so memory follows the number of live peers.

mod connection;
#[cfg(test)]
mod cross_shard_tests;
pub mod dispatch;
mod peers;
mod relay;
mod shard;
#[cfg(test)]
mod tests;

use std::{collections::HashMap, time::Duration};

use tracker_proto::{DecodeError, InMessage, Millis, OutMessage};

pub use self::{
    connection::Connection,
    dispatch::{ShardAccess, Tally},
    shard::{shard_of, Shard},
};
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

impl SwarmTotals {
    /// Adds another shard's totals.
    pub fn add(&mut self, other: Self) {
        self.swarms += other.swarms;
        self.peers += other.peers;
        self.seeders += other.seeders;
        self.connections += other.connections;
    }
}

/// A protocol failure: which counter, and the text of the `failure reason`.
struct Failure(ErrorKind, String);

/// The whole state in one value, for one thread: shards in a `Vec`, connections in a map. It
/// runs the same [`dispatch`] code as the server (which keeps each [`Connection`] in its task
/// and each shard behind its own lock), so its tests check the server's decisions.
#[derive(Debug)]
pub struct Swarms {
    config: SwarmConfig,
    shards: Vec<Shard>,
    conns: HashMap<ConnId, Connection>,
    /// What happened outside the shards (scrapes, failures, abuse closes).
    counters: Counters,
}

impl Swarms {
    /// An empty state with one shard; `seed` drives the choice of offer recipients.
    pub fn new(config: SwarmConfig, seed: u64) -> Self {
        Self::with_shards(config, seed, 1)
    }

    /// An empty state with `shards` shards (at least one), seeded from `seed`.
    pub fn with_shards(config: SwarmConfig, seed: u64, shards: usize) -> Self {
        Self {
            shards: (0..shards.max(1))
                .map(|i| Shard::new(config.clone(), shard_seed(seed, i)))
                .collect(),
            config,
            conns: HashMap::new(),
            counters: Counters::default(),
        }
    }

    /// Counters since creation, summed over the shards.
    pub fn counters(&self) -> Counters {
        let mut sum = self.counters.clone();
        for shard in &self.shards {
            sum.add(shard.counters());
        }
        sum
    }

    /// Current totals (walks the torrents: O(swarms)).
    pub fn totals(&self) -> SwarmTotals {
        let mut t = SwarmTotals {
            connections: self.conns.len() as u64,
            ..SwarmTotals::default()
        };
        for shard in &self.shards {
            t.add(shard.totals());
        }
        t
    }

    /// Registers a new connection.
    pub fn connect(&mut self, conn: ConnId, now: Millis) {
        self.conns
            .entry(conn)
            .or_insert_with(|| Connection::new(conn, now));
    }

    /// The connection is gone: it leaves every swarm it joined (like a `stopped` for each).
    pub fn disconnect(&mut self, conn: ConnId) {
        let Some(mut connection) = self.conns.remove(&conn) else {
            return;
        };
        let mut out = Vec::new();
        dispatch::leave_all(&mut connection, &mut self.local(&mut out).1);
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

    /// Handles one decoded message.
    pub fn handle_message(
        &mut self,
        conn: ConnId,
        now: Millis,
        message: Result<InMessage, DecodeError>,
        out: &mut Vec<Out>,
    ) {
        let mut connection = self.take_connection(conn, now);
        let (config, mut local) = self.local(out);
        dispatch::handle_message(config, &mut connection, now, message, &mut local);
        self.keep_unless_closed(connection, out);
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
        let mut connection = self.take_connection(conn, now);
        let (config, mut local) = self.local(out);
        dispatch::reject(config, &mut connection, now, kind, reason, &mut local);
        self.keep_unless_closed(connection, out);
    }

    /// Drops peers that stopped announcing and offers nobody answered, shard by shard.
    pub fn clean(&mut self, now: Millis) {
        for shard in &mut self.shards {
            shard.clean(now);
        }
    }

    fn take_connection(&mut self, conn: ConnId, now: Millis) -> Connection {
        self.conns
            .remove(&conn)
            .unwrap_or_else(|| Connection::new(conn, now))
    }

    /// Puts the connection back unless the message closed it (it already left every swarm).
    fn keep_unless_closed(&mut self, connection: Connection, out: &[Out]) {
        if !out.contains(&Out::Close(connection.id())) {
            self.conns.insert(connection.id(), connection);
        }
    }

    /// The configuration, and the shards as a [`ShardAccess`] whose outputs go to `out`.
    fn local<'a>(&'a mut self, out: &'a mut Vec<Out>) -> (&'a SwarmConfig, Local<'a>) {
        let local = Local {
            shards: &mut self.shards,
            counters: &mut self.counters,
            out,
        };
        (&self.config, local)
    }
}

/// [`ShardAccess`] over a slice: every output goes to one `Vec`.
struct Local<'a> {
    shards: &'a mut [Shard],
    counters: &'a mut Counters,
    out: &'a mut Vec<Out>,
}

impl ShardAccess for Local<'_> {
    fn shard_count(&self) -> usize {
        self.shards.len()
    }

    fn with_shard<R>(&mut self, index: usize, f: impl FnOnce(&mut Shard, &mut Vec<Out>) -> R) -> R {
        let last = self.shards.len().saturating_sub(1);
        let shard = &mut self.shards[index.min(last)];
        f(shard, self.out)
    }

    fn to_self(&mut self, out: Out) {
        self.out.push(out);
    }

    fn count(&mut self, tally: Tally) {
        self.counters.tally(tally);
    }
}

/// The seed of shard `index`: distinct per shard, and `seed` itself for shard 0.
pub fn shard_seed(seed: u64, index: usize) -> u64 {
    seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}
