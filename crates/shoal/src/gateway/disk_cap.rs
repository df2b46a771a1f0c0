//! The gateway's disk cap (`--gateway-max-disk-mib`): when the pieces of all torrents together
//! take more than the cap, whole torrents are removed, the least recently streamed first, until
//! the rest fit. A torrent with a response open (a `/stream` or web-seed read) is never removed,
//! so one torrent larger than the cap still plays to its end; the cap is then exceeded, and the
//! log says so. Removing is the same as `DELETE /api/torrents/HASH` (the torrent leaves its
//! swarms and its folder is deleted); a player that asks again adds it again.
//!
//! The decision ([`to_evict`]) is a plain function of each torrent's size, open responses and
//! last use; [`watch`] asks every torrent for its size every [`CHECK_EVERY`].

use std::{
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, Weak,
    },
    time::Duration,
};

use metainfo::InfoHash;

use super::{routes::status_of, Gateway};

/// How often the sizes are added up.
pub(crate) const CHECK_EVERY: Duration = Duration::from_secs(2);

/// How a torrent is being used: open responses and when one last began or ended.
#[derive(Debug, Default)]
pub(crate) struct Usage {
    open: AtomicUsize,
    /// Milliseconds since the gateway started.
    last_ms: AtomicU64,
}

impl Usage {
    /// A torrent added at `now_ms` (being added counts as a use).
    pub(crate) fn new(now_ms: u64) -> Arc<Self> {
        Arc::new(Self {
            open: AtomicUsize::new(0),
            last_ms: AtomicU64::new(now_ms),
        })
    }

    /// A response began; [`Usage::closed`] when it ends.
    pub(crate) fn opened(&self, now_ms: u64) {
        self.open.fetch_add(1, Ordering::Relaxed);
        self.last_ms.fetch_max(now_ms, Ordering::Relaxed);
    }

    pub(crate) fn closed(&self, now_ms: u64) {
        self.open.fetch_sub(1, Ordering::Relaxed);
        self.last_ms.fetch_max(now_ms, Ordering::Relaxed);
    }
}

/// One torrent as the cap sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub(crate) hash: InfoHash,
    pub(crate) bytes: u64,
    pub(crate) open: usize,
    pub(crate) last_ms: u64,
}

/// The torrents to remove so that the rest fit in `cap` bytes: idle ones, least recently used
/// first, as few as needed. Torrents with an open response stay even if the rest do not fit.
pub(crate) fn to_evict(cap: u64, torrents: &[Candidate]) -> Vec<InfoHash> {
    let mut total: u64 = torrents.iter().map(|t| t.bytes).sum();
    let mut idle: Vec<&Candidate> = torrents.iter().filter(|t| t.open == 0).collect();
    idle.sort_by_key(|t| (t.last_ms, t.hash));
    let mut out = Vec::new();
    for t in idle {
        if total <= cap {
            break;
        }
        total -= t.bytes;
        out.push(t.hash);
    }
    out
}

/// Keeps the gateway's torrents within `cap` bytes until the gateway is dropped.
pub(crate) async fn watch(gateway: Weak<Gateway>, cap: u64) {
    let mut over_logged = false;
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        let Some(g) = gateway.upgrade() else {
            return;
        };
        let mut torrents = Vec::new();
        for (hash, handle) in g.all() {
            // A torrent that does not answer in time is left out this round.
            if let Ok(s) = status_of(&handle.cmds).await {
                torrents.push(Candidate {
                    hash,
                    bytes: s.bytes_on_disk,
                    open: handle.usage.open.load(Ordering::Relaxed),
                    last_ms: handle.usage.last_ms.load(Ordering::Relaxed),
                });
            }
        }
        let evict = to_evict(cap, &torrents);
        let mut left: u64 = torrents.iter().map(|t| t.bytes).sum();
        for hash in &evict {
            if g.remove(hash) {
                let bytes = torrents
                    .iter()
                    .find(|t| t.hash == *hash)
                    .map_or(0, |t| t.bytes);
                left = left.saturating_sub(bytes);
                g.figures.evicted.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    torrent = %hash.to_hex(),
                    bytes,
                    cap,
                    "removed the least recently streamed torrent: the gateway's pieces were over its disk cap"
                );
            }
        }
        let over = left > cap;
        if over && !over_logged {
            tracing::warn!(
                bytes = left,
                cap,
                "the gateway's pieces are over its disk cap, and every torrent left is being streamed"
            );
        }
        over_logged = over;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: u8, mib: u64, open: usize, last_ms: u64) -> Candidate {
        Candidate {
            hash: InfoHash::from([n; 20]),
            bytes: mib << 20,
            open,
            last_ms,
        }
    }

    fn hash(n: u8) -> InfoHash {
        InfoHash::from([n; 20])
    }

    #[test]
    fn nothing_goes_while_all_fit() {
        assert!(to_evict(100 << 20, &[t(1, 60, 0, 1), t(2, 40, 0, 2)]).is_empty());
    }

    #[test]
    fn the_least_recently_used_idle_torrents_go_first_and_no_more_than_needed() {
        let all = [
            t(1, 50, 0, 30),
            t(2, 50, 0, 10),
            t(3, 50, 0, 20),
            t(4, 10, 0, 5),
        ];
        // 160 MiB against 100: the oldest (4, 10 MiB) is not enough, then 2 (50 MiB) is.
        assert_eq!(to_evict(100 << 20, &all), vec![hash(4), hash(2)]);
    }

    #[test]
    fn a_torrent_being_streamed_stays_even_over_the_cap() {
        // The oldest is being streamed: the next idle ones go instead.
        let all = [t(1, 80, 1, 1), t(2, 30, 0, 2), t(3, 30, 0, 3)];
        assert_eq!(to_evict(100 << 20, &all), vec![hash(2), hash(3)]);
        // Only streamed torrents left: nothing to remove, however far over.
        assert!(to_evict(10 << 20, &[t(1, 80, 2, 1)]).is_empty());
    }

    #[test]
    fn usage_counts_open_responses_and_keeps_the_latest_time() {
        let u = Usage::new(100);
        u.opened(200);
        u.opened(150);
        assert_eq!(u.open.load(Ordering::Relaxed), 2);
        assert_eq!(u.last_ms.load(Ordering::Relaxed), 200);
        u.closed(300);
        u.closed(250);
        assert_eq!(u.open.load(Ordering::Relaxed), 0);
        assert_eq!(u.last_ms.load(Ordering::Relaxed), 300);
    }
}
