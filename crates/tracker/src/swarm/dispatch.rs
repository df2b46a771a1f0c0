//! One connection's message, across the shards: the connection's own limits first, then the
//! shard of the message's info hash (a scrape visits each shard its hashes map to, once). The
//! shards are reached through [`ShardAccess`]: a slice in [`super::Swarms`], one lock per shard in
//! the server. Both run this same code, so the tests of `Swarms` test the server's decisions.

use tracker_proto::{DecodeError, ErrorAction, InMessage, InScrape, InfoHash, Millis};
use tracker_proto::{OutError, OutMessage, OutScrapeResponse, ScrapeStats};

use super::{shard_of, Connection, Failure, Out, Shard, SwarmConfig};
use crate::metrics::ErrorKind;

/// How a connection's message reaches the shards, and where its own replies and counts go.
pub trait ShardAccess {
    /// How many shards there are (at least one).
    fn shard_count(&self) -> usize;

    /// Runs `f` on shard `index`. What `f` pushes into the `Vec` must be delivered (the server
    /// routes it before it lets go of the shard: the recipients are that shard's peers).
    fn with_shard<R>(&mut self, index: usize, f: impl FnOnce(&mut Shard, &mut Vec<Out>) -> R) -> R;

    /// A reply to the connection itself (or its close), decided outside any shard.
    fn to_self(&mut self, out: Out);

    /// Counts something that happened outside any shard.
    fn count(&mut self, tally: Tally);
}

/// What the connection-level code counts (the shards count announces, answers and relays).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    /// A scrape answered.
    Scrape,
    /// A failure answered with a `failure reason`.
    Error(ErrorKind),
    /// The connection was closed for failing too often.
    ClosedForAbuse,
}

/// Handles one decoded message of `connection` (decode outside any lock, then call this).
pub fn handle_message(
    config: &SwarmConfig,
    connection: &mut Connection,
    now: Millis,
    message: Result<InMessage, DecodeError>,
    shards: &mut impl ShardAccess,
) {
    let (action, info_hash, result) = match message {
        Err(err) => {
            let failure = Failure(ErrorKind::of_decode_error(&err), err.to_string());
            (None, None, Err(failure))
        }
        Ok(InMessage::Announce(a)) => {
            let hash = a.info_hash;
            let result = connection.rate_check(now, config).and_then(|()| {
                let index = shard_of(&hash, shards.shard_count());
                shards.with_shard(index, |shard, out| shard.announce(connection, now, a, out))
            });
            (Some(ErrorAction::Announce), Some(hash), result)
        }
        Ok(InMessage::Answer(a)) => {
            let hash = a.info_hash;
            let conn = connection.id();
            let index = shard_of(&hash, shards.shard_count());
            let result = shards.with_shard(index, |shard, out| shard.answer(conn, now, a, out));
            (Some(ErrorAction::Announce), Some(hash), result)
        }
        Ok(InMessage::Scrape(s)) => {
            let result = connection
                .rate_check(now, config)
                .map(|()| scrape(config, connection, s, shards));
            (Some(ErrorAction::Scrape), None, result)
        }
    };
    if let Err(failure) = result {
        fail(config, connection, now, failure, action, info_hash, shards);
    }
}

/// Answers a frame that is not a message at all (e.g. binary) with a `failure reason`,
/// counting it against the connection's failure limit like any other failure.
pub fn reject(
    config: &SwarmConfig,
    connection: &mut Connection,
    now: Millis,
    kind: ErrorKind,
    reason: String,
    shards: &mut impl ShardAccess,
) {
    let failure = Failure(kind, reason);
    fail(config, connection, now, failure, None, None, shards);
}

/// The connection leaves every swarm it joined, in every shard (one visit per shard).
pub fn leave_all(connection: &mut Connection, shards: &mut impl ShardAccess) {
    let conn = connection.id();
    let mut memberships = connection.take_memberships();
    let n = shards.shard_count();
    memberships.sort_unstable_by_key(|(hash, _)| shard_of(hash, n));
    for group in memberships.chunk_by(|(a, _), (b, _)| shard_of(a, n) == shard_of(b, n)) {
        let Some((first, _)) = group.first() else {
            continue;
        };
        shards.with_shard(shard_of(first, n), |shard, _| {
            for (info_hash, peer_id) in group {
                shard.leave(conn, info_hash, peer_id);
            }
        });
    }
}

/// The figures of every scraped hash, in the order asked, each read from its own shard.
fn scrape(
    config: &SwarmConfig,
    connection: &Connection,
    s: InScrape,
    shards: &mut impl ShardAccess,
) {
    shards.count(Tally::Scrape);
    let n = shards.shard_count();
    let hashes = s.info_hashes.as_slice();
    let mut files: Vec<(InfoHash, ScrapeStats)> = hashes
        .iter()
        .map(|hash| (*hash, ScrapeStats::default()))
        .collect();
    let mut visited = Vec::new();
    for hash in hashes {
        let index = shard_of(hash, n);
        if visited.contains(&index) {
            continue;
        }
        visited.push(index);
        shards.with_shard(index, |shard, _| {
            for (hash, stats) in files.iter_mut() {
                if shard_of(hash, n) == index {
                    *stats = shard.scrape_stats(hash);
                }
            }
        });
    }
    let response = OutScrapeResponse {
        files,
        min_request_interval: Some(config.announce_interval.as_secs()),
    };
    let reply = OutMessage::ScrapeResponse(response);
    shards.to_self(Out::Send(connection.id(), reply));
}

fn fail(
    config: &SwarmConfig,
    connection: &mut Connection,
    now: Millis,
    Failure(kind, reason): Failure,
    action: Option<ErrorAction>,
    info_hash: Option<InfoHash>,
    shards: &mut impl ShardAccess,
) {
    shards.count(Tally::Error(kind));
    let error = OutError {
        failure_reason: reason,
        action,
        info_hash,
    };
    shards.to_self(Out::Send(connection.id(), OutMessage::Error(error)));
    if connection.count_failure(now, config) {
        shards.count(Tally::ClosedForAbuse);
        leave_all(connection, shards);
        shards.to_self(Out::Close(connection.id()));
    }
}
