//! Peers that let a segment down are not waited on for the next ones.
//!
//! A peer whose connection stays open but sends nothing (a page frozen by its machine, a tab
//! in the background, a peer that stopped answering) would otherwise get the full wait of
//! every later segment: the budget gives a link that has not said what it has
//! [`Policy::handshake_ms`](crate::Policy) and a peer that has pieces until the HTTP deadline,
//! so each segment came ~2 s late over HTTP. [`PeerWatch`] follows what each peer of one
//! segment sent and, when the segment's peer phase ends, judges each one ([`Turn`]);
//! [`Strikes`] remembers the misses: a peer that missed is benched (not waited on, not
//! counted as having the segment) until it delivers again or its bench time runs out, which
//! doubles with each miss in a row, up to [`Strikes::MAX_MS`].
//!
//! Peers are any ordered key (the driver's peer id). Time is an argument.

use vecmap::VecMap;

use swarm::Millis;

use crate::PeerView;

/// How one segment's peer phase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The whole segment came from peers.
    Complete,
    /// The budget handed the segment (or its remainder) to HTTP.
    HandedOver,
    /// The request ended for another reason (aborted, no peer left): nobody is judged on it.
    Abandoned,
}

/// What one peer did for one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// It sent bytes of the segment (when the segment was handed over: within the last
    /// judging window, so it was still sending).
    Delivered,
    /// It was waited on and let the segment down: its link never said what it has, or it had
    /// pieces and sent none of them lately.
    Missed,
    /// Nothing to judge: it had nothing we lacked, was benched already, or others finished.
    Idle,
}

/// What one peer of a segment said and sent, at one look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeerState {
    /// It said what it has (handshake and bitfield or extension handshake arrived).
    pub heard: bool,
    /// It has a piece of the segment we lack.
    pub offering: bool,
    /// Segment bytes it sent us, in all.
    pub received: u64,
}

#[derive(Debug, Clone, Copy)]
struct Watched {
    state: PeerState,
    /// Whether the segment's budget waits on it (it was not benched when first seen).
    waited: bool,
    /// When its byte count last grew.
    grew: Option<Millis>,
}

/// The peers of one segment, followed while its peer phase lasts.
#[derive(Debug, Clone)]
pub struct PeerWatch<K> {
    peers: VecMap<K, Watched>,
    /// The segment's verified bytes as last seen, and when they last grew.
    verified: (u64, Option<Millis>),
}

impl<K> Default for PeerWatch<K> {
    fn default() -> Self {
        Self {
            peers: VecMap::new(),
            verified: (0, None),
        }
    }
}

impl<K: Ord + Clone> PeerWatch<K> {
    /// Nobody seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Looks at every peer of the segment at `now`, with `verified` bytes of the segment in
    /// hand, and answers what the budget should hear of them: peers benched by `strikes` are
    /// left out (the budget does not wait on them), so with only benched peers the segment
    /// goes to HTTP at once.
    pub fn observe(
        &mut self,
        now: Millis,
        verified: u64,
        peers: impl IntoIterator<Item = (K, PeerState)>,
        strikes: &Strikes<K>,
    ) -> PeerView {
        if verified > self.verified.0 {
            self.verified = (verified, Some(now));
        }
        let mut view = PeerView::default();
        for (key, state) in peers {
            let waited = strikes.waits_on(now, &key);
            let w = self.peers.entry(key).or_insert(Watched {
                state: PeerState::default(),
                waited,
                grew: None,
            });
            if state.received > w.state.received {
                w.grew = Some(now);
            }
            w.state = state;
            if w.waited {
                view.offering += usize::from(state.offering);
                view.unheard += usize::from(!state.heard);
            }
        }
        view
    }

    /// Peers the budget waits on, as last seen: those with the segment or still saying.
    pub fn waited_on(&self) -> usize {
        self.peers.values().filter(|w| w.waited).count()
    }

    /// Judges every peer seen as the segment's peer phase ends at `now` with `outcome`. A
    /// segment handed over counts a peer as delivering only when it sent within the last
    /// `window_ms` and the segment's verified bytes grew in that window too: blocks that
    /// complete no piece (a peer that stalls mid-piece) are no delivery.
    pub fn turns(&self, now: Millis, outcome: Outcome, window_ms: u64) -> Vec<(K, Turn)> {
        let within = |t: Option<Millis>| t.is_some_and(|t| now.since(t) < window_ms);
        let moving = within(self.verified.1);
        self.peers
            .iter()
            .map(|(k, w)| {
                let sent = w.state.received > 0;
                let lately = moving && within(w.grew);
                let turn = match outcome {
                    Outcome::Complete | Outcome::Abandoned if sent => Turn::Delivered,
                    Outcome::Complete | Outcome::Abandoned => Turn::Idle,
                    Outcome::HandedOver if lately => Turn::Delivered,
                    Outcome::HandedOver if !w.waited => Turn::Idle,
                    Outcome::HandedOver if !w.state.heard || w.state.offering => Turn::Missed,
                    // It said it has nothing we lack: the segment is not its yet.
                    Outcome::HandedOver => Turn::Idle,
                };
                (k.clone(), turn)
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy)]
struct Bench {
    until: Millis,
    misses: u32,
}

/// Peers benched for letting a segment down.
#[derive(Debug, Clone)]
pub struct Strikes<K> {
    benched: VecMap<K, Bench>,
}

impl<K> Default for Strikes<K> {
    fn default() -> Self {
        Self {
            benched: VecMap::new(),
        }
    }
}

impl<K: Ord + Clone> Strikes<K> {
    /// Bench time after a first miss, ms (five 2 s segments).
    pub const FIRST_MS: u64 = 10_000;
    /// Longest bench time, ms: a peer gets another chance at least this often.
    pub const MAX_MS: u64 = 60_000;
    /// Most peers remembered (a channel keeps a handful of connections).
    pub const MAX_PEERS: usize = 64;

    /// Nobody benched.
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds in one peer's turn at `now`: a miss benches it (for twice as long as the last
    /// time when it missed again since it last delivered), a delivery clears its record.
    pub fn record(&mut self, now: Millis, peer: K, turn: Turn) {
        match turn {
            Turn::Idle => {}
            Turn::Delivered => {
                self.benched.remove(&peer);
            }
            Turn::Missed => {
                let misses = self.benched.get(&peer).map_or(0, |b| b.misses) + 1;
                let ms = Self::FIRST_MS
                    .saturating_mul(1 << (misses - 1).min(8))
                    .min(Self::MAX_MS);
                self.benched.insert(
                    peer,
                    Bench {
                        until: now.plus(ms),
                        misses,
                    },
                );
                self.forget_oldest();
            }
        }
    }

    /// Whether a segment's budget waits on `peer` at `now`.
    pub fn waits_on(&self, now: Millis, peer: &K) -> bool {
        self.benched.get(peer).is_none_or(|b| now >= b.until)
    }

    /// Peers benched at `now`.
    pub fn benched(&self, now: Millis) -> usize {
        self.benched.values().filter(|b| now < b.until).count()
    }

    /// Keeps the record bounded: the bench that ends first goes.
    fn forget_oldest(&mut self) {
        while self.benched.len() > Self::MAX_PEERS {
            let Some(k) = self
                .benched
                .iter()
                .min_by_key(|(_, b)| b.until)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.benched.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::{Conditions, Policy, RateEstimate, SegmentBudget, Source};

    const SILENT: PeerState = PeerState {
        heard: false,
        offering: false,
        received: 0,
    };

    fn cond(peers: usize) -> Conditions {
        Conditions {
            buffer_ahead_ms: 10_000,
            playing: true,
            length: 500_000,
            peers_with_segment: peers,
            peers_coming: 0,
            http: RateEstimate {
                bytes_per_sec: 1_000_000.0,
                rtt_ms: 100,
            },
        }
    }

    /// One segment's peer phase the way the loader drives it: the budget starts with the
    /// peers it waits on, is polled every 40 ms with what they said, and ends at the hand-over
    /// (or at `until`); the turns go into `strikes`. Answers the source chosen at the start
    /// and when the peer phase ended.
    fn segment(
        strikes: &mut Strikes<u8>,
        start: u64,
        until: u64,
        peers: &[(u8, PeerState)],
    ) -> (Source, Millis) {
        let p = Policy::default();
        let mut watch = PeerWatch::new();
        let now = Millis(start);
        watch.observe(now, 0, peers.iter().copied(), strikes);
        let mut budget = SegmentBudget::start(p, now, &cond(watch.waited_on()));
        let first = budget.source();
        let mut t = start;
        let mut outcome = Outcome::Abandoned;
        if matches!(first, Source::Peers { .. }) {
            while t < until {
                t += 40;
                let view = watch.observe(Millis(t), 0, peers.iter().copied(), strikes);
                let http = cond(0).http;
                if budget.poll(Millis(t), 0, 500_000, http, view).is_some() {
                    outcome = Outcome::HandedOver;
                    break;
                }
            }
        }
        for (k, turn) in watch.turns(Millis(t), outcome, p.peer_judge_after_ms) {
            strikes.record(Millis(t), k, turn);
        }
        (first, Millis(t))
    }

    #[test]
    fn a_silent_peer_costs_one_segment_not_every_one() {
        let mut strikes = Strikes::new();
        let silent = [(7u8, SILENT)];
        // The first segment waits for its link to say what it has, then goes to HTTP.
        let (first, ended) = segment(&mut strikes, 0, 20_000, &silent);
        assert!(matches!(first, Source::Peers { .. }));
        assert!(ended.0 >= Policy::default().handshake_ms);
        // The next ones go to HTTP at once: nobody else is there to wait on.
        let (next, ended2) = segment(&mut strikes, 4_000, 20_000, &silent);
        assert_eq!(next, Source::Http { from: 0 });
        assert_eq!(ended2, Millis(4_000));
        assert_eq!(strikes.benched(Millis(4_000)), 1);
    }

    #[test]
    fn a_benched_peer_gets_another_chance_later_and_waits_longer_after_a_second_miss() {
        let mut strikes = Strikes::new();
        let silent = [(7u8, SILENT)];
        let (_, ended) = segment(&mut strikes, 0, 20_000, &silent);
        let back = ended.0 + Strikes::<u8>::FIRST_MS;
        assert!(!strikes.waits_on(Millis(back - 1), &7));
        assert!(strikes.waits_on(Millis(back), &7));
        // Its second chance: it misses again and is benched twice as long.
        let (again, ended) = segment(&mut strikes, back, back + 20_000, &silent);
        assert!(matches!(again, Source::Peers { .. }));
        let back2 = ended.0 + 2 * Strikes::<u8>::FIRST_MS;
        assert!(!strikes.waits_on(Millis(back2 - 1), &7));
        assert!(strikes.waits_on(Millis(back2), &7));
        // Never more than the longest bench.
        for _ in 0..20 {
            strikes.record(Millis(0), 7, Turn::Missed);
        }
        assert!(strikes.waits_on(Millis(Strikes::<u8>::MAX_MS), &7));
    }

    #[test]
    fn a_peer_that_delivers_again_is_waited_on_again() {
        let mut strikes = Strikes::new();
        strikes.record(Millis(0), 7, Turn::Missed);
        assert!(!strikes.waits_on(Millis(1), &7));
        strikes.record(Millis(1), 7, Turn::Delivered);
        assert!(strikes.waits_on(Millis(1), &7));
        // Its next miss counts as a first one.
        strikes.record(Millis(2), 7, Turn::Missed);
        assert!(strikes.waits_on(Millis(2 + Strikes::<u8>::FIRST_MS), &7));
    }

    #[test]
    fn other_peers_are_still_waited_on() {
        let mut strikes = Strikes::new();
        strikes.record(Millis(0), 7, Turn::Missed);
        let has = PeerState {
            heard: true,
            offering: true,
            received: 0,
        };
        let mut watch = PeerWatch::new();
        let view = watch.observe(Millis(10), 0, [(7u8, has), (8u8, has)], &strikes);
        assert_eq!(view.offering, 1);
        assert_eq!(watch.waited_on(), 1);
    }

    #[test]
    fn who_missed_a_handed_over_segment() {
        let strikes = Strikes::new();
        let mut watch = PeerWatch::new();
        let w = 700;
        let sending = |received| PeerState {
            heard: true,
            offering: true,
            received,
        };
        let nothing = PeerState {
            heard: true,
            offering: false,
            received: 0,
        };
        // 1 sends then stops; 2 keeps sending; 3 has nothing; 4 never says; 5 has and sends
        // nothing.
        let at = |received1, received2| {
            [
                (1u8, sending(received1)),
                (2u8, sending(received2)),
                (3u8, nothing),
                (4u8, SILENT),
                (5u8, sending(0)),
            ]
        };
        watch.observe(Millis(0), 0, at(0, 0), &strikes);
        watch.observe(Millis(100), 65_536, at(65_536, 16_384), &strikes);
        watch.observe(Millis(2_000), 131_072, at(65_536, 65_536), &strikes);
        let turns = watch.turns(Millis(2_100), Outcome::HandedOver, w);
        assert_eq!(
            turns,
            vec![
                (1, Turn::Missed),
                (2, Turn::Delivered),
                (3, Turn::Idle),
                (4, Turn::Missed),
                (5, Turn::Missed),
            ]
        );
        // Finished from peers: those who sent delivered, nobody missed.
        let turns = watch.turns(Millis(2_100), Outcome::Complete, w);
        assert!(turns.iter().all(|(_, t)| *t != Turn::Missed));
        assert_eq!(turns[0], (1, Turn::Delivered));
        assert_eq!(turns[3], (4, Turn::Idle));
    }

    #[test]
    fn blocks_that_complete_no_piece_are_no_delivery() {
        // The e2e test's silent peer: one piece, then half of the next, then nothing. The
        // budget hands over when no piece was verified for its window; the last blocks came
        // later than the last piece, within that window, and must not count.
        let strikes = Strikes::new();
        let mut watch = PeerWatch::new();
        let sent = |received| {
            [(
                1u8,
                PeerState {
                    heard: true,
                    offering: true,
                    received,
                },
            )]
        };
        watch.observe(Millis(0), 0, sent(0), &strikes);
        watch.observe(Millis(100), 65_536, sent(65_536), &strikes);
        watch.observe(Millis(400), 65_536, sent(98_304), &strikes);
        assert_eq!(
            watch.turns(Millis(800), Outcome::HandedOver, 700),
            vec![(1, Turn::Missed)]
        );
        // While pieces still complete, the same peer is delivering.
        watch.observe(Millis(900), 131_072, sent(131_072), &strikes);
        assert_eq!(
            watch.turns(Millis(1_000), Outcome::HandedOver, 700),
            vec![(1, Turn::Delivered)]
        );
    }

    #[test]
    fn the_record_stays_bounded() {
        let mut strikes = Strikes::new();
        for k in 0..200u32 {
            strikes.record(Millis(u64::from(k)), k, Turn::Missed);
        }
        assert_eq!(strikes.benched(Millis(0)), Strikes::<u32>::MAX_PEERS);
        // The newest are kept.
        assert!(!strikes.waits_on(Millis(200), &199));
    }
}
