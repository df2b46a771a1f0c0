//! Peers that closed a segment's data channel lately are not asked for it again at once.
//!
//! A viewer asks its channel peers for a segment by opening a data channel for it; a peer
//! whose playlist does not list the segment yet has no tag to check its pieces against and
//! closes the channel. The loader looks at its segment every few tens of ms, and asking again
//! at every look opened a new data channel each time, each refused (35–275 per page in 30 s
//! for 15 segments on a two-viewer channel, `createDataChannel` then the page's largest native
//! cost; docs/benchmarks.md). [`Refusals`] remembers who closed and when: such a peer may be
//! asked again after [`REASK_MS`], about when its playlist has been refreshed.
//!
//! Peers are any ordered key (the driver's connection key). Time is an argument.

use vecmap::VecMap;

use swarm::Millis;

/// How long a peer that closed a segment's channel is not asked for that segment again, ms.
pub const REASK_MS: u64 = 1000;

/// Who closed one segment's channel, and when.
#[derive(Debug, Clone)]
pub struct Refusals<K> {
    closed: VecMap<K, Millis>,
}

impl<K> Default for Refusals<K> {
    fn default() -> Self {
        Self {
            closed: VecMap::new(),
        }
    }
}

impl<K: Ord + Copy> Refusals<K> {
    /// Nobody has closed anything.
    pub fn new() -> Self {
        Self::default()
    }

    /// `peer` closed the segment's channel at `now`; closings older than [`REASK_MS`] are
    /// forgotten.
    pub fn closed(&mut self, peer: K, now: Millis) {
        self.closed.insert(peer, now);
        self.closed.retain(|_, at| now.since(*at) < REASK_MS);
    }

    /// Whether `peer` may be asked for the segment at `now`.
    pub fn may_ask(&self, peer: K, now: Millis) -> bool {
        self.closed
            .get(&peer)
            .is_none_or(|at| now.since(*at) >= REASK_MS)
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_peer_that_closed_is_asked_again_only_after_the_wait() {
        let mut r = Refusals::new();
        assert!(r.may_ask(1, Millis(0)));
        r.closed(1, Millis(500));
        assert!(!r.may_ask(1, Millis(500)));
        assert!(!r.may_ask(1, Millis(500 + REASK_MS - 1)));
        assert!(r.may_ask(1, Millis(500 + REASK_MS)));
        assert!(r.may_ask(2, Millis(500)), "another peer is asked at once");
        // Closing again starts the wait again.
        r.closed(1, Millis(2000));
        assert!(!r.may_ask(1, Millis(2500)));
        r.closed(2, Millis(2000 + REASK_MS));
        assert!(r.may_ask(1, Millis(2000 + REASK_MS)));
        assert!(!r.may_ask(2, Millis(2000 + REASK_MS)));
    }
}
