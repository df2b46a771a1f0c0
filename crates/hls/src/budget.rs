//! The time budget of one segment: peers first while the buffer allows, HTTP for the missing
//! remainder before a stall could happen, and prefetching from peers while the buffer is
//! healthy. Pure functions and one small state machine; time is an argument.
//!
//! The segment a player asks for is the next one it needs: it stalls when the media buffered
//! ahead of the playhead runs out, at `now + buffer_ahead`. HTTP at the estimated rate needs
//! `rtt + missing / rate` for what is still missing, so peers may keep the segment until
//! `stall − safety − http_time(missing)`, re-judged as bytes arrive. Before playback starts
//! there is no buffer to protect: connected peers that have the segment get a start-up
//! allowance before HTTP, so the first segments can come from peers too (instead of always from
//! HTTP); peers whose connection is still on its way are not waited for then (HTTP is quicker
//! than a new connection's first segment, and they are open for the next one).
//!
//! Before any byte arrived, what the peers said decides: when none of them has any of the
//! segment (after a short, randomised wait, so that at the live edge one viewer fetches it
//! first and the others take it from that one), HTTP fetches it now; a peer that has it, or
//! one still saying what it has (its connection, handshake or bitfield on the way), keeps it
//! until the deadline. On a loaded machine the first piece can take seconds to come, and
//! judging peers on their first second handed every segment to HTTP while the peer's pieces
//! were on the way.

use swarm::Millis;

/// An estimate of a source's throughput and latency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateEstimate {
    /// Bytes per second.
    pub bytes_per_sec: f64,
    /// Time to first byte, ms.
    pub rtt_ms: u64,
}

impl RateEstimate {
    /// What HTTP is assumed to do before any sample: 500 kB/s after 300 ms (cautious, so the
    /// switch comes early rather than late).
    pub const HTTP_DEFAULT: Self = Self {
        bytes_per_sec: 500_000.0,
        rtt_ms: 300,
    };

    /// Time to fetch `bytes` at this rate, ms.
    pub fn time_ms(&self, bytes: u64) -> u64 {
        let rate = self.bytes_per_sec.max(1.0);
        self.rtt_ms + ((bytes as f64) * 1000.0 / rate).ceil() as u64
    }

    /// Folds in one transfer of `bytes` that took `ms` (first byte after `ttfb_ms`): an
    /// exponentially weighted average, new samples weighing a third.
    pub fn sample(&mut self, bytes: u64, ms: u64, ttfb_ms: u64) {
        if bytes == 0 {
            return;
        }
        let rate = bytes as f64 * 1000.0 / (ms.max(1) as f64);
        self.bytes_per_sec = self.bytes_per_sec * (2.0 / 3.0) + rate / 3.0;
        self.rtt_ms = (self.rtt_ms * 2 + ttfb_ms) / 3;
    }
}

/// The knobs of the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Margin kept between HTTP's estimated finish and the stall, ms.
    pub safety_ms: u64,
    /// Allowance for peers before playback has started, ms (start-up delay we accept for a
    /// peer-first start).
    pub startup_ms: u64,
    /// Buffer ahead of the playhead from which prefetching from peers starts, in segments.
    pub healthy_segments: u64,
    /// Most segments prefetched ahead of the one the player asks for.
    pub max_prefetch: usize,
    /// Peers must have been given this long before their rate is judged, ms.
    pub peer_judge_after_ms: u64,
    /// Links to peers that have not said what they have yet are waited for this long (from
    /// the segment's start) before the segment counts as nobody's, ms.
    pub handshake_ms: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            safety_ms: 1500,
            startup_ms: 1500,
            healthy_segments: 3,
            max_prefetch: 3,
            peer_judge_after_ms: 700,
            handshake_ms: 2000,
        }
    }
}

/// What is known when a segment is asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conditions {
    /// Media buffered ahead of the playhead, ms.
    pub buffer_ahead_ms: u64,
    /// Whether playback is under way (the start-up allowance applies otherwise).
    pub playing: bool,
    /// Bytes of the segment.
    pub length: u64,
    /// Connected peers that have the segment (0 for a segment without a Shoal tag).
    pub peers_with_segment: usize,
    /// Peers of the stream whose connection is still on its way (a viewer that just joined:
    /// its tracker announce or its first connections are not through yet). They may have the
    /// segment, so they get the same chance as connected ones, within the same deadline.
    pub peers_coming: usize,
    /// The HTTP estimate.
    pub http: RateEstimate,
}

/// What the peers asked for a segment said so far, at one poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeerView {
    /// Peers that have a piece of it we lack.
    pub offering: usize,
    /// Peers whose connection, handshake or bitfield has not arrived yet.
    pub unheard: usize,
}

/// Where a segment's bytes come from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// From peers; HTTP takes over the remainder at `http_at` unless they finish first.
    Peers {
        /// When HTTP takes over.
        http_at: Millis,
    },
    /// From HTTP, starting at this byte (a `Range` when not 0).
    Http {
        /// First byte to fetch.
        from: u64,
    },
}

impl Policy {
    /// When playback would stall for want of this segment.
    pub fn stall_at(&self, now: Millis, c: &Conditions) -> Millis {
        let budget = if c.playing {
            c.buffer_ahead_ms
        } else {
            // Nothing plays yet: peers get the start-up allowance, and HTTP after it still
            // its own time and the margin.
            let startup = self.startup_ms + c.http.time_ms(c.length) + self.safety_ms;
            c.buffer_ahead_ms.max(startup)
        };
        now.plus(budget)
    }

    /// Latest time HTTP may start on `missing` bytes and still beat `stall_at` by the margin;
    /// `None` when even starting now is too late (start now).
    pub fn http_deadline(
        &self,
        stall_at: Millis,
        missing: u64,
        http: RateEstimate,
    ) -> Option<Millis> {
        let need = http.time_ms(missing) + self.safety_ms;
        stall_at.0.checked_sub(need).map(Millis)
    }

    /// Where to get a segment asked for at `now`.
    pub fn choose(&self, now: Millis, c: &Conditions) -> Source {
        // Before playback, waiting is start-up delay: a connection still on its way took
        // 0.4–1.0 s to deliver a first segment on loopback against HTTP's 0.2–0.3 s
        // (docs/benchmarks.md), so HTTP takes the first segment and the peers, open by then,
        // the ones after it. Once playing, the buffer decides whether they can be waited for.
        let none_connected_has_it = c.peers_with_segment == 0;
        if none_connected_has_it && (c.peers_coming == 0 || !c.playing) {
            return Source::Http { from: 0 };
        }
        match self.http_deadline(self.stall_at(now, c), c.length, c.http) {
            Some(at) if at > now => Source::Peers { http_at: at },
            _ => Source::Http { from: 0 },
        }
    }

    /// How many segments after the one being played may be fetched from peers ahead of time:
    /// none until the buffer holds [`Policy::healthy_segments`] segments.
    pub fn prefetch_count(&self, buffer_ahead_ms: u64, segment_ms: u64) -> usize {
        let segment_ms = segment_ms.max(1);
        let held = buffer_ahead_ms / segment_ms;
        if held < self.healthy_segments {
            0
        } else {
            usize::try_from(held - self.healthy_segments + 1)
                .unwrap_or(usize::MAX)
                .min(self.max_prefetch)
        }
    }
}

/// One segment's fetch: peers until the budget says HTTP, then HTTP for the remainder.
#[derive(Debug, Clone)]
pub struct SegmentBudget {
    policy: Policy,
    started: Millis,
    stall_at: Millis,
    source: Source,
    /// When the verified length last grew, and to what.
    progress: (Millis, u64),
    /// When the first verified bytes were seen, and how many: the peers' rate is measured
    /// from there. The time before is the connection's and the request's (a viewer that just
    /// joined waits for its first connection), not a measure of how fast the peers send.
    first: Option<(Millis, u64)>,
}

impl SegmentBudget {
    /// Starts a segment asked for at `now`.
    pub fn start(policy: Policy, now: Millis, c: &Conditions) -> Self {
        Self {
            policy,
            started: now,
            stall_at: policy.stall_at(now, c),
            source: policy.choose(now, c),
            progress: (now, 0),
            first: None,
        }
    }

    /// Where bytes come from now.
    pub fn source(&self) -> Source {
        self.source
    }

    /// When playback would stall without this segment.
    pub fn stall_at(&self) -> Millis {
        self.stall_at
    }

    /// Re-judges at `now`, with `verified` bytes of `length` in hand (a piece boundary: the
    /// HTTP remainder starts there) and what the `peers` said. Switches to HTTP when its
    /// deadline came, when no peer has any of the segment (nothing arrived yet), or when the
    /// peers' rate so far would finish after the deadline or they went quiet. Returns the new
    /// source when it changed.
    pub fn poll(
        &mut self,
        now: Millis,
        verified: u64,
        length: u64,
        http: RateEstimate,
        peers: PeerView,
    ) -> Option<Source> {
        let Source::Peers { .. } = self.source else {
            return None;
        };
        let missing = length.saturating_sub(verified);
        if missing == 0 {
            return None;
        }
        let deadline = self.policy.http_deadline(self.stall_at, missing, http);
        if verified > self.progress.1 {
            self.progress = (now, verified);
        }
        if verified > 0 && self.first.is_none() {
            self.first = Some((now, verified));
        }
        // Peers that delivered and then went quiet (a peer gone silent mid-segment) are judged
        // on the quiet alone: the rate so far would keep promising what they no longer send.
        let quiet = verified > 0 && now.since(self.progress.0) >= self.policy.peer_judge_after_ms;
        let elapsed = now.since(self.started);
        let judged = elapsed >= self.policy.peer_judge_after_ms;
        let peers_too_slow = if verified == 0 {
            // Nothing yet: a rate says nothing. Nobody has any of it (and every link said
            // so, or had its time to): someone must fetch it first, so HTTP now.
            let heard = peers.unheard == 0 || elapsed >= self.policy.handshake_ms;
            judged && peers.offering == 0 && heard
        } else {
            let (t0, b0) = self.first.unwrap_or((self.started, 0));
            let since = now.since(t0);
            since >= self.policy.peer_judge_after_ms && {
                let rate = verified.saturating_sub(b0) as f64 * 1000.0 / since.max(1) as f64;
                let finish = now.0 as f64 + missing as f64 * 1000.0 / rate.max(1e-3);
                deadline.is_none_or(|d| finish > d.0 as f64)
            }
        };
        match deadline {
            Some(d) if now < d && !peers_too_slow && !quiet => {
                self.source = Source::Peers { http_at: d };
                None
            }
            _ => {
                self.source = Source::Http { from: verified };
                Some(self.source)
            }
        }
    }

    /// When [`SegmentBudget::poll`] should run next (peers' deadline), if it should.
    pub fn next_check(&self) -> Option<Millis> {
        match self.source {
            Source::Peers { http_at } => Some(http_at),
            Source::Http { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    /// One peer that has the segment.
    const HAS: PeerView = PeerView {
        offering: 1,
        unheard: 0,
    };

    fn cond(buffer: u64, playing: bool, peers: usize) -> Conditions {
        Conditions {
            buffer_ahead_ms: buffer,
            playing,
            length: 500_000,
            peers_with_segment: peers,
            peers_coming: 0,
            http: RateEstimate {
                bytes_per_sec: 1_000_000.0,
                rtt_ms: 100,
            },
        }
    }

    #[test]
    fn peers_gone_quiet_hand_over_to_http() {
        let p = Policy::default();
        let mut b = SegmentBudget::start(p, Millis(0), &cond(20_000, true, 1));
        let http = cond(0, true, 0).http;
        // Three pieces fast, then nothing: the rate so far would still promise an early finish.
        assert_eq!(b.poll(Millis(100), 196_608, 1_000_000, http, HAS), None);
        assert_eq!(
            b.poll(
                Millis(100 + p.peer_judge_after_ms - 1),
                196_608,
                1_000_000,
                http,
                HAS
            ),
            None
        );
        assert_eq!(
            b.poll(
                Millis(100 + p.peer_judge_after_ms),
                196_608,
                1_000_000,
                http,
                HAS
            ),
            Some(Source::Http { from: 196_608 })
        );
    }

    #[test]
    fn no_peers_means_http_at_once() {
        let p = Policy::default();
        assert_eq!(
            p.choose(Millis(0), &cond(20_000, true, 0)),
            Source::Http { from: 0 }
        );
    }

    #[test]
    fn a_healthy_buffer_gives_peers_time() {
        let p = Policy::default();
        // 10 s of buffer, HTTP needs 100 + 500 ms, margin 1.5 s → peers until 7.9 s.
        assert_eq!(
            p.choose(Millis(1000), &cond(10_000, true, 2)),
            Source::Peers {
                http_at: Millis(1000 + 10_000 - 600 - 1500)
            }
        );
    }

    #[test]
    fn a_thin_buffer_goes_to_http() {
        let p = Policy::default();
        assert_eq!(
            p.choose(Millis(0), &cond(1_000, true, 2)),
            Source::Http { from: 0 }
        );
    }

    #[test]
    fn start_up_gives_peers_the_allowance() {
        let p = Policy::default();
        assert_eq!(
            p.choose(Millis(0), &cond(0, false, 1)),
            Source::Peers {
                http_at: Millis(p.startup_ms)
            }
        );
        assert_eq!(
            p.choose(Millis(0), &cond(0, true, 1)),
            Source::Http { from: 0 }
        );
    }

    #[test]
    fn peers_still_connecting_get_the_same_chance() {
        let p = Policy::default();
        // A viewer that just joined: no connection is open yet, one is on its way. Before
        // playback, HTTP at once (waiting would be start-up delay); playing on a healthy
        // buffer, they are waited for within it.
        let starting = Conditions {
            peers_coming: 1,
            ..cond(0, false, 0)
        };
        assert_eq!(p.choose(Millis(0), &starting), Source::Http { from: 0 });
        assert_eq!(
            p.choose(Millis(0), &cond(0, false, 0)),
            Source::Http { from: 0 }
        );
        let coming = Conditions {
            peers_coming: 1,
            ..cond(10_000, true, 0)
        };
        let http_at = match p.choose(Millis(0), &coming) {
            Source::Peers { http_at } => http_at,
            other => panic!("peers on their way get a healthy buffer's time, not {other:?}"),
        };
        assert_eq!(http_at, Millis(10_000 - 600 - p.safety_ms));
        // Playing on a thin buffer, they get nothing HTTP would need.
        let thin = Conditions {
            peers_coming: 1,
            ..cond(1_000, true, 0)
        };
        assert_eq!(p.choose(Millis(0), &thin), Source::Http { from: 0 });
        // Still not heard from at the deadline: HTTP.
        let mut b = SegmentBudget::start(p, Millis(0), &coming);
        let unheard = PeerView {
            offering: 0,
            unheard: 1,
        };
        let http = coming.http;
        assert_eq!(b.poll(Millis(1000), 0, 500_000, http, unheard), None);
        assert_eq!(
            b.poll(http_at, 0, 500_000, http, unheard),
            Some(Source::Http { from: 0 })
        );
    }

    #[test]
    fn nobody_has_it_goes_to_http_after_the_judge_wait() {
        let p = Policy::default();
        let http = cond(0, true, 0).http;
        let mut b = SegmentBudget::start(p, Millis(0), &cond(10_000, true, 1));
        let nobody = PeerView::default();
        let judge = p.peer_judge_after_ms;
        assert_eq!(b.poll(Millis(judge - 1), 0, 500_000, http, nobody), None);
        assert_eq!(
            b.poll(Millis(judge), 0, 500_000, http, nobody),
            Some(Source::Http { from: 0 })
        );
    }

    #[test]
    fn a_peer_that_has_it_or_is_still_saying_keeps_it_until_the_deadline() {
        let p = Policy::default();
        let http = cond(0, true, 0).http;
        // The first piece is slow to come (a loaded machine): no judging on a rate of nothing.
        let mut b = SegmentBudget::start(p, Millis(0), &cond(10_000, true, 1));
        let at = b.next_check().expect("peers have a deadline");
        assert_eq!(b.poll(Millis(3000), 0, 500_000, http, HAS), None);
        assert_eq!(
            b.poll(at, 0, 500_000, http, HAS),
            Some(Source::Http { from: 0 })
        );
        // A link still on its way gets `handshake_ms`, then counts as having nothing.
        let unheard = PeerView {
            offering: 0,
            unheard: 1,
        };
        let mut b = SegmentBudget::start(p, Millis(0), &cond(10_000, true, 1));
        assert_eq!(b.poll(Millis(1000), 0, 500_000, http, unheard), None);
        assert_eq!(
            b.poll(Millis(p.handshake_ms), 0, 500_000, http, unheard),
            Some(Source::Http { from: 0 })
        );
    }

    #[test]
    fn slow_peers_hand_the_remainder_to_http() {
        let p = Policy::default();
        let http = cond(0, true, 0).http;
        let mut b = SegmentBudget::start(p, Millis(0), &cond(10_000, true, 1));
        // Fast enough so far: 200 kB in 1 s → 300 kB left in 1.5 s, well before 7.9 s.
        assert_eq!(b.poll(Millis(1000), 196_608, 500_000, http, HAS), None);
        // Then nothing more: at 5 s the rate projects past the deadline.
        assert_eq!(
            b.poll(Millis(5000), 196_608, 500_000, http, HAS),
            Some(Source::Http { from: 196_608 })
        );
        assert_eq!(b.next_check(), None);
        assert_eq!(
            b.poll(Millis(6000), 196_608, 500_000, http, HAS),
            None,
            "decided once"
        );
    }

    #[test]
    fn the_wait_for_the_first_piece_is_not_the_peers_rate() {
        // A viewer that just joined: its first connection is open but the peer's pieces took
        // 650 ms to start (request, a loaded machine), then they flow fast.
        let p = Policy {
            peer_judge_after_ms: 300,
            ..Policy::default()
        };
        let c = Conditions {
            length: 300_000,
            ..cond(0, false, 1)
        };
        let http = c.http;
        let mut b = SegmentBudget::start(p, Millis(0), &c);
        assert_eq!(b.next_check(), Some(Millis(p.startup_ms)));
        assert_eq!(b.poll(Millis(650), 65_536, 300_000, http, HAS), None);
        assert_eq!(b.poll(Millis(800), 131_072, 300_000, http, HAS), None);
        // 131 kB in the 300 ms since the first piece: the rest by ~1.2 s, before the deadline.
        assert_eq!(b.poll(Millis(950), 196_608, 300_000, http, HAS), None);
        assert!(matches!(b.source(), Source::Peers { .. }));
    }

    #[test]
    fn the_deadline_alone_switches() {
        let p = Policy::default();
        let http = cond(0, true, 0).http;
        let mut b = SegmentBudget::start(p, Millis(0), &cond(10_000, true, 1));
        let at = b.next_check().expect("peers have a deadline");
        assert_eq!(
            b.poll(at, 0, 500_000, http, HAS),
            Some(Source::Http { from: 0 })
        );
    }

    #[test]
    fn prefetch_waits_for_a_healthy_buffer() {
        let p = Policy::default();
        assert_eq!(p.prefetch_count(3_999, 2000), 0);
        assert_eq!(p.prefetch_count(6_000, 2000), 1);
        assert_eq!(p.prefetch_count(60_000, 2000), 3);
        assert_eq!(p.prefetch_count(60_000, 0), 3);
    }

    #[test]
    fn estimates_move_towards_samples() {
        let mut r = RateEstimate::HTTP_DEFAULT;
        for _ in 0..20 {
            r.sample(2_000_000, 1000, 50);
        }
        assert!((r.bytes_per_sec - 2_000_000.0).abs() < 10_000.0);
        assert!(r.rtt_ms < 60);
        assert_eq!(r.time_ms(0), r.rtt_ms);
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod props {
    use proptest::prelude::*;

    use super::*;

    fn conditions() -> impl Strategy<Value = Conditions> {
        (
            0u64..120_000,
            any::<bool>(),
            1u64..20_000_000,
            0usize..5,
            0usize..3,
            1_000f64..50_000_000.0,
            0u64..3000,
        )
            .prop_map(
                |(buffer, playing, length, peers, coming, bps, rtt)| Conditions {
                    buffer_ahead_ms: buffer,
                    playing,
                    length,
                    peers_with_segment: peers,
                    peers_coming: coming,
                    http: RateEstimate {
                        bytes_per_sec: bps,
                        rtt_ms: rtt,
                    },
                },
            )
    }

    proptest! {
        /// Whenever peers are given time, HTTP started at their deadline still finishes
        /// before the stall with the margin (under the estimate).
        #[test]
        fn peers_never_cost_a_stall(now in 0u64..1_000_000, c in conditions()) {
            let p = Policy::default();
            let now = Millis(now);
            if let Source::Peers { http_at } = p.choose(now, &c) {
                prop_assert!(c.peers_with_segment + c.peers_coming > 0);
                prop_assert!(http_at > now);
                let done = http_at.0 + c.http.time_ms(c.length) + p.safety_ms;
                prop_assert!(done <= p.stall_at(now, &c).0);
            }
        }

        /// More buffer never moves the HTTP switch earlier.
        #[test]
        fn more_buffer_more_patience(c in conditions(), extra in 0u64..60_000) {
            let p = Policy::default();
            let more = Conditions { buffer_ahead_ms: c.buffer_ahead_ms + extra, ..c };
            let at = |c: &Conditions| match p.choose(Millis(0), c) {
                Source::Peers { http_at } => Some(http_at),
                Source::Http { .. } => None,
            };
            if let Some(a) = at(&c) {
                prop_assert!(at(&more).is_some_and(|b| b >= a));
            }
        }

        /// Polling never switches back to peers, and an HTTP remainder starts at the bytes
        /// verified so far.
        #[test]
        fn switching_is_one_way(c in conditions(), steps in proptest::collection::vec((1u64..5_000, 0u64..200_000, 0usize..3, 0usize..3), 1..30)) {
            let p = Policy::default();
            let mut b = SegmentBudget::start(p, Millis(0), &c);
            let mut now = 0u64;
            let mut verified = 0u64;
            let mut http = matches!(b.source(), Source::Http { .. });
            for (dt, got, offering, unheard) in steps {
                now += dt;
                verified = (verified + got).min(c.length);
                let view = PeerView { offering, unheard };
                if let Some(Source::Http { from }) = b.poll(Millis(now), verified, c.length, c.http, view) {
                    prop_assert!(!http);
                    prop_assert_eq!(from, verified);
                    http = true;
                }
                prop_assert_eq!(http, matches!(b.source(), Source::Http { .. }));
            }
        }
    }
}
