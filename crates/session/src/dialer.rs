//! Peer addresses to dial (from HTTP and UDP trackers, or handed in): a bounded book of them,
//! which are connected, and when a failed one may be tried again. While a reader waits and no
//! peer is open, every known address is dialled again (at most every [`HURRY_EVERY_MS`]): a
//! stream must not wait out a retry timer meant for idle torrents (a seeder that closed our
//! first connection is otherwise tried again only after [`REDIAL_AFTER_OPEN_MS`]).

use std::net::SocketAddr;
use vecmap::{VecMap, VecSet};

use swarm::{Millis, PeerKey, PieceHasher, Storage};

use crate::{peers::Stage, platform::Platform, Session};

/// Most addresses remembered per torrent; more are ignored until some are dropped.
pub(crate) const MAX_KNOWN_ADDRS: usize = 2000;
/// Most addresses remembered as never to be dialled again (our own: our listen port can be
/// listed under loopback, LAN and public addresses; banned peers'); more are simply forgotten
/// like any address.
const MAX_SHUNNED_ADDRS: usize = 64;
/// An address that failed this many times in a row is forgotten.
const MAX_FAILS: u32 = 6;
/// First wait before an address that failed is dialled again (doubled per failure: 5 s to
/// 80 s, about 2.5 minutes in all before it is forgotten).
const RETRY_BASE_MS: u64 = 5_000;
/// A peer that was connected and went away (or was closed by the engine) waits this long.
const REDIAL_AFTER_OPEN_MS: u64 = 300_000;
/// While a reader starves (no open peer), known addresses are made due again this often.
pub(crate) const HURRY_EVERY_MS: u64 = 5_000;

#[derive(Debug)]
struct Known {
    retry_at: Millis,
    fails: u32,
    /// The connection dialled to it, while there is one.
    peer: Option<PeerKey>,
}

/// The addresses of one torrent.
#[derive(Debug, Default)]
pub(crate) struct AddrBook {
    known: VecMap<SocketAddr, Known>,
    dialled: VecMap<PeerKey, SocketAddr>,
    /// When [`AddrBook::hurry`] last made every address due.
    hurried_at: Option<Millis>,
    /// Addresses never to be dialled again, though trackers and PEX list them again and again:
    /// ourselves, and peers banned for sending data that failed its hash.
    shunned: VecSet<SocketAddr>,
}

impl AddrBook {
    /// Remembers new addresses (known ones keep their state); returns how many were new.
    pub(crate) fn add(
        &mut self,
        addrs: impl IntoIterator<Item = SocketAddr>,
        now: Millis,
    ) -> usize {
        let mut added = 0;
        for addr in addrs {
            if self.known.len() >= MAX_KNOWN_ADDRS {
                break;
            }
            if self.shunned.contains(&addr) {
                continue;
            }
            self.known.entry(addr).or_insert_with(|| {
                added += 1;
                Known {
                    retry_at: now,
                    fails: 0,
                    peer: None,
                }
            });
        }
        added
    }

    /// Up to `n` addresses due for a dial at `now`, oldest retry time first.
    fn due(&self, now: Millis, n: usize) -> Vec<SocketAddr> {
        let mut due: Vec<(Millis, SocketAddr)> = self
            .known
            .iter()
            .filter(|(_, k)| k.peer.is_none() && k.retry_at <= now)
            .map(|(a, k)| (k.retry_at, *a))
            .collect();
        vecmap::sort(&mut due);
        due.into_iter().take(n).map(|(_, a)| a).collect()
    }

    fn dialling(&mut self, addr: SocketAddr, peer: PeerKey) {
        if let Some(k) = self.known.get_mut(&addr) {
            k.peer = Some(peer);
            self.dialled.insert(peer, addr);
        }
    }

    /// Connection `peer` ended; `opened` if it ever opened. Its address waits before the next
    /// dial (longer after each failure) and is forgotten after [`MAX_FAILS`].
    pub(crate) fn released(&mut self, peer: PeerKey, opened: bool, now: Millis) {
        let Some(addr) = self.dialled.remove(&peer) else {
            return;
        };
        let Some(k) = self.known.get_mut(&addr) else {
            return;
        };
        k.peer = None;
        if opened {
            k.fails = 0;
            k.retry_at = now.plus(REDIAL_AFTER_OPEN_MS);
            return;
        }
        k.fails += 1;
        if k.fails >= MAX_FAILS {
            self.known.remove(&addr);
            return;
        }
        k.retry_at = now.plus(RETRY_BASE_MS << (k.fails - 1));
    }

    /// Connection `peer` reached ourselves or was banned: its address is forgotten and never
    /// taken in again (a starving reader's [`AddrBook::hurry`] would otherwise redial it every
    /// few seconds).
    pub(crate) fn shun(&mut self, peer: PeerKey) {
        let Some(addr) = self.dialled.get(&peer).copied() else {
            return;
        };
        self.known.remove(&addr);
        if self.shunned.len() < MAX_SHUNNED_ADDRS {
            self.shunned.insert(addr);
        }
    }

    /// Makes every address not being dialled due at `now` (a reader starves), unless that was
    /// done less than [`HURRY_EVERY_MS`] ago; failures still count toward forgetting one.
    pub(crate) fn hurry(&mut self, now: Millis) {
        if self
            .hurried_at
            .is_some_and(|t| now < t.plus(HURRY_EVERY_MS))
        {
            return;
        }
        self.hurried_at = Some(now);
        for k in self.known.values_mut().filter(|k| k.peer.is_none()) {
            k.retry_at = k.retry_at.min(now);
        }
    }

    /// When [`AddrBook::hurry`] may next make addresses due.
    pub(crate) fn next_hurry(&self) -> Option<Millis> {
        self.hurried_at.map(|t| t.plus(HURRY_EVERY_MS))
    }

    /// When the next address becomes due (if none is connected to it).
    pub(crate) fn next_due(&self) -> Option<Millis> {
        self.known
            .values()
            .filter(|k| k.peer.is_none())
            .map(|k| k.retry_at)
            .min()
    }

    /// The address connection `peer` was dialled to.
    pub(crate) fn dialled_addr(&self, peer: PeerKey) -> Option<SocketAddr> {
        self.dialled.get(&peer).copied()
    }

    /// Addresses remembered.
    pub(crate) fn len(&self) -> usize {
        self.known.len()
    }
}

impl<S: Storage, H: PieceHasher> Session<S, H> {
    /// Dials due addresses into the free slots.
    pub(crate) fn dial_due(&mut self, platform: &mut impl Platform) {
        if self.is_stopped() {
            return;
        }
        if self.starving() {
            self.peers.addrs.hurry(self.now);
        }
        let free = self.peers.free(self.cfg.max_peers, usize::MAX);
        for addr in self.peers.addrs.due(self.now, free) {
            let peer = self.peers.add(Stage::Connecting, self.now);
            self.peers.addrs.dialling(addr, peer);
            platform.dial(peer, addr);
        }
    }

    /// When a dial may become due: only while a slot is free (a slot freeing up is an event,
    /// which dials anyway).
    pub(crate) fn next_dial_at(&self) -> Option<Millis> {
        if self.is_stopped() || self.peers.free(self.cfg.max_peers, 1) == 0 {
            return None;
        }
        let due = self.peers.addrs.next_due();
        match (self.starving(), self.peers.addrs.next_hurry()) {
            (true, Some(hurry)) if self.peers.addrs.len() > 0 => {
                Some(due.map_or(hurry, |d| d.min(hurry)))
            }
            _ => due,
        }
    }

    /// A reader waits for bytes and no peer is open to send them.
    fn starving(&self) -> bool {
        !self.readers.is_empty() && self.peers.open() == 0 && !self.engine.is_complete()
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn failed_addresses_wait_longer_each_time_and_are_forgotten() {
        let mut book = AddrBook::default();
        let a: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        assert_eq!(book.add([a, a], Millis(0)), 1);
        let mut now = Millis(0);
        for fail in 0..MAX_FAILS {
            assert_eq!(book.due(now, 5), vec![a], "failure {fail}");
            book.dialling(a, PeerKey(u64::from(fail)));
            assert!(book.due(now, 5).is_empty(), "connected: not due");
            book.released(PeerKey(u64::from(fail)), false, now);
            if fail + 1 < MAX_FAILS {
                let wait = RETRY_BASE_MS << fail;
                assert_eq!(book.next_due(), Some(now.plus(wait)));
                now = now.plus(wait);
            }
        }
        assert_eq!(book.len(), 0);
    }

    #[test]
    fn hurrying_makes_waiting_addresses_due_at_most_every_few_seconds() {
        let mut book = AddrBook::default();
        let a: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        book.add([a], Millis(0));
        book.dialling(a, PeerKey(1));
        book.released(PeerKey(1), true, Millis(1_000));
        assert!(
            book.due(Millis(2_000), 5).is_empty(),
            "an idle torrent waits"
        );
        book.hurry(Millis(2_000));
        assert_eq!(
            book.due(Millis(2_000), 5),
            vec![a],
            "a starving reader does not"
        );
        book.dialling(a, PeerKey(2));
        book.released(PeerKey(2), false, Millis(2_500));
        book.hurry(Millis(3_000));
        assert!(
            book.due(Millis(3_000), 5).is_empty(),
            "not again within HURRY_EVERY_MS"
        );
        assert_eq!(book.next_hurry(), Some(Millis(2_000 + HURRY_EVERY_MS)));
        book.hurry(Millis(2_000 + HURRY_EVERY_MS));
        assert_eq!(book.due(Millis(2_000 + HURRY_EVERY_MS), 5), vec![a]);
    }

    #[test]
    fn a_shunned_address_is_never_dialled_again_even_when_hurried() {
        let mut book = AddrBook::default();
        let a: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        book.add([a], Millis(0));
        book.dialling(a, PeerKey(1));
        book.shun(PeerKey(1));
        book.released(PeerKey(1), true, Millis(1_000));
        assert_eq!(
            book.add([a], Millis(2_000)),
            0,
            "listed again: not taken in"
        );
        book.hurry(Millis(60_000));
        assert!(book.due(Millis(60_000), 5).is_empty());
        assert_eq!(book.next_due(), None);
    }

    #[test]
    fn the_book_is_bounded() {
        let mut book = AddrBook::default();
        let many = (0..MAX_KNOWN_ADDRS + 10)
            .map(|i| SocketAddr::from(([10, 0, (i >> 8) as u8, i as u8], 1000 + (i as u16))));
        assert_eq!(book.add(many, Millis(0)), MAX_KNOWN_ADDRS);
    }
}
