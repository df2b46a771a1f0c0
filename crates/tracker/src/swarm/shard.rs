//! One shard: the swarms of the info hashes that map to it ([`shard_of`]), with its own seeded
//! rng and counters. Everything a message does to a swarm happens inside the swarm's shard: the
//! announce response, the relayed offers (their recipients are peers of the same swarm) and
//! the routed answer. A shard knows connections only as the [`ConnId`] of each peer.

use std::collections::HashMap;

use rand::{rngs::SmallRng, SeedableRng};
use tracker_proto::{
    AnnounceEvent, InAnnounce, InfoHash, Millis, OutAnnounceResponse, OutMessage, PeerId,
    ScrapeStats,
};

use super::{
    peers::{Peer, Torrent},
    ConnId, Connection, Failure, Out, SwarmConfig, SwarmTotals,
};
use crate::metrics::{Counters, ErrorKind};

/// Which of `shards` shards holds `info_hash`'s swarm. Info hashes are SHA-1 or SHA-256
/// digests, so their first bytes are already uniform; a client that picks hashes to crowd one
/// shard only makes that shard as busy as an unsharded tracker would be.
pub fn shard_of(info_hash: &InfoHash, shards: usize) -> usize {
    let mut head = [0u8; 8];
    head.copy_from_slice(&info_hash.0[..8]);
    let n = u64::try_from(shards.max(1)).unwrap_or(u64::MAX);
    usize::try_from(u64::from_le_bytes(head) % n).unwrap_or(0)
}

/// The swarms of one shard. See the module documentation.
#[derive(Debug)]
pub struct Shard {
    pub(super) config: SwarmConfig,
    pub(super) rng: SmallRng,
    pub(super) torrents: HashMap<InfoHash, Torrent>,
    pub(super) counters: Counters,
}

impl Shard {
    /// An empty shard; `seed` drives its choice of offer recipients.
    pub fn new(config: SwarmConfig, seed: u64) -> Self {
        Self {
            config,
            rng: SmallRng::seed_from_u64(seed),
            torrents: HashMap::new(),
            counters: Counters::default(),
        }
    }

    /// Announces, answers and relays counted by this shard (failures are counted by the caller).
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Swarms, peers and seeders now (walks the torrents: O(swarms)); `connections` is 0.
    pub fn totals(&self) -> SwarmTotals {
        let mut t = SwarmTotals {
            swarms: self.torrents.len() as u64,
            ..SwarmTotals::default()
        };
        for torrent in self.torrents.values() {
            t.seeders += torrent.seeders.len() as u64;
            t.peers += (torrent.seeders.len() + torrent.leechers.len()) as u64;
        }
        t
    }

    /// Drops peers that stopped announcing and offers nobody answered. Their connections forget
    /// the memberships by the same expiry rule (see [`Connection`]).
    pub fn clean(&mut self, now: Millis) {
        self.torrents.retain(|_, torrent| {
            for list in [&mut torrent.seeders, &mut torrent.leechers] {
                list.remove_where(|p| p.expires <= now);
                for peer in &mut list.peers {
                    peer.offers.retain(|o| o.expires > now);
                }
            }
            !torrent.is_empty()
        });
    }

    /// Removes `conn`'s peer `peer_id` from the swarm, if that connection still holds it.
    pub fn leave(&mut self, conn: ConnId, info_hash: &InfoHash, peer_id: &PeerId) {
        if self.owner(info_hash, peer_id) == Some(conn) {
            self.remove_peer(info_hash, peer_id);
        }
    }

    /// The scrape figures of one swarm (zeros for an unknown one).
    pub fn scrape_stats(&self, info_hash: &InfoHash) -> ScrapeStats {
        self.torrents
            .get(info_hash)
            .map_or_else(ScrapeStats::default, |t| ScrapeStats {
                complete: t.seeders.len() as u64,
                incomplete: t.leechers.len() as u64,
                downloaded: t.downloaded,
            })
    }

    /// An announce (already admitted by the connection's rate limit).
    pub(super) fn announce(
        &mut self,
        connection: &mut Connection,
        now: Millis,
        a: InAnnounce,
        out: &mut Vec<Out>,
    ) -> Result<(), Failure> {
        let conn = connection.id();
        self.counters.announces += 1;
        if a.event == Some(AnnounceEvent::Stopped) {
            if self.owner(&a.info_hash, &a.peer_id) == Some(conn) {
                self.remove_peer(&a.info_hash, &a.peer_id);
                connection.left(&a.info_hash, &a.peer_id);
            }
            self.respond(conn, &a.info_hash, out);
            return Ok(());
        }
        let expires = now.saturating_add(self.config.peer_timeout);
        let completed = a.event == Some(AnnounceEvent::Completed);
        let says_seeder = (a.left == Some(0) || completed).then_some(true);
        let found = self
            .torrents
            .get(&a.info_hash)
            .and_then(|t| t.find(&a.peer_id))
            .map(|p| (p.conn, p.expires <= now));
        match found {
            Some((owner, false)) if owner != conn => {
                return Err(Failure(
                    ErrorKind::PeerIdInUse,
                    "peer_id is in use by another connection in this swarm".to_owned(),
                ));
            }
            Some((_, false)) => {
                self.refresh_peer(&a.info_hash, &a.peer_id, expires, says_seeder, a.left);
            }
            expired_or_absent => {
                // An expired peer is gone even if no sweep has removed it yet: the connection
                // forgot it by the same rule, so it joins again (within its torrent limit).
                connection.make_room(now, self.config.max_torrents_per_connection)?;
                if expired_or_absent.is_some() {
                    self.remove_peer(&a.info_hash, &a.peer_id);
                }
                self.join(conn, &a, expires, says_seeder.unwrap_or(false));
            }
        }
        connection.joined(a.info_hash, a.peer_id, expires);
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

    fn join(&mut self, conn: ConnId, a: &InAnnounce, expires: Millis, seeder: bool) {
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

    fn respond(&self, conn: ConnId, info_hash: &InfoHash, out: &mut Vec<Out>) {
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
}
