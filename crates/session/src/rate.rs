//! Transfer rates over a sliding window, from cumulative byte counters.

use std::collections::VecDeque;

use swarm::Millis;

/// Window the rate is averaged over, ms.
const WINDOW_MS: u64 = 5_000;

/// Samples of a cumulative counter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rate {
    samples: VecDeque<(Millis, u64)>,
}

impl Rate {
    /// Records the counter's value at `now` (times never go backwards).
    pub(crate) fn sample(&mut self, now: Millis, total: u64) {
        if let Some(last) = self.samples.back_mut() {
            if last.0 == now {
                last.1 = total;
                return;
            }
        }
        self.samples.push_back((now, total));
        while self.samples.len() > 2
            && self
                .samples
                .get(1)
                .is_some_and(|s| now.0.saturating_sub(s.0 .0) >= WINDOW_MS)
        {
            self.samples.pop_front();
        }
    }

    /// Bytes per second over the window ending at `now` (0 when idle for a whole window).
    pub(crate) fn per_second(&self, now: Millis) -> f64 {
        let (Some(first), Some(last)) = (self.samples.front(), self.samples.back()) else {
            return 0.0;
        };
        let span = now.0.saturating_sub(first.0 .0).max(1);
        (last.1 - first.1.min(last.1)) as f64 * 1000.0 / span as f64
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn rate_averages_over_the_window_and_decays() {
        let mut r = Rate::default();
        r.sample(Millis(0), 0);
        r.sample(Millis(1000), 1000);
        r.sample(Millis(2000), 2000);
        assert!((r.per_second(Millis(2000)) - 1000.0).abs() < 1e-9);
        for t in 3..20 {
            r.sample(Millis(t * 1000), 2000);
        }
        assert!(r.per_second(Millis(19_000)) < 1.0);
    }
}
