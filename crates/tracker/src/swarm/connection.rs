//! One connection's own bookkeeping: its swarm memberships (in whichever shards they live) and
//! its per-minute budgets. Whoever handles the connection's messages owns it (in the server, the
//! connection's task; no lock), so the per-connection limits hold however the swarms are sharded.

use std::collections::HashMap;

use tracker_proto::{InfoHash, Millis, PeerId};

use super::{ConnId, Failure, SwarmConfig, MINUTE};
use crate::metrics::ErrorKind;

/// A connection's bookkeeping. See the module documentation.
#[derive(Debug)]
pub struct Connection {
    id: ConnId,
    /// `(torrent, peer id)` memberships and when each expires unless announced again (the same
    /// instant the shard's peer expires). At most `max_torrents_per_connection` entries.
    pub(crate) joined: HashMap<(InfoHash, PeerId), Millis>,
    /// Start of the current one-minute window of the rate and failure limits.
    window_start: Millis,
    requests: u32,
    failures: u32,
}

impl Connection {
    /// A new connection, its budgets starting now.
    pub fn new(id: ConnId, now: Millis) -> Self {
        Self {
            id,
            joined: HashMap::new(),
            window_start: now,
            requests: 0,
            failures: 0,
        }
    }

    /// The server's id for it.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// Memberships held, counting those expired but not yet swept.
    pub fn memberships(&self) -> usize {
        self.joined.len()
    }

    /// Counts one announce or scrape against `max_announces_per_minute`.
    pub(super) fn rate_check(&mut self, now: Millis, config: &SwarmConfig) -> Result<(), Failure> {
        self.roll_window(now);
        if self.requests >= config.max_announces_per_minute {
            return Err(Failure(
                ErrorKind::RateLimited,
                format!(
                    "too many requests: at most {} announces and scrapes per minute",
                    config.max_announces_per_minute
                ),
            ));
        }
        self.requests += 1;
        Ok(())
    }

    /// Counts one failure; true when the connection is now over `max_failures_per_minute`.
    pub(super) fn count_failure(&mut self, now: Millis, config: &SwarmConfig) -> bool {
        self.roll_window(now);
        self.failures += 1;
        self.failures > config.max_failures_per_minute
    }

    /// Makes room for one more membership, forgetting expired ones first (their shard drops
    /// them by the same rule); fails when `max` live memberships are held.
    pub(super) fn make_room(&mut self, now: Millis, max: usize) -> Result<(), Failure> {
        if self.joined.len() >= max {
            self.joined.retain(|_, expires| *expires > now);
        }
        if self.joined.len() >= max {
            return Err(Failure(
                ErrorKind::TooManyTorrents,
                format!("too many torrents on this connection: at most {max}"),
            ));
        }
        Ok(())
    }

    /// Records a membership joined or refreshed until `expires`.
    pub(super) fn joined(&mut self, info_hash: InfoHash, peer_id: PeerId, expires: Millis) {
        self.joined.insert((info_hash, peer_id), expires);
    }

    /// Forgets a membership (`stopped`).
    pub(super) fn left(&mut self, info_hash: &InfoHash, peer_id: &PeerId) {
        self.joined.remove(&(*info_hash, *peer_id));
    }

    /// Every membership, emptied (the connection is leaving every swarm).
    pub(super) fn take_memberships(&mut self) -> Vec<(InfoHash, PeerId)> {
        self.joined.drain().map(|(key, _)| key).collect()
    }

    fn roll_window(&mut self, now: Millis) {
        if now.saturating_duration_since(self.window_start) >= MINUTE {
            self.window_start = now;
            self.requests = 0;
            self.failures = 0;
        }
    }
}
