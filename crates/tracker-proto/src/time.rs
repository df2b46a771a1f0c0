//! The crate's clock type: monotonic milliseconds chosen by the driver.

use core::{ops::Add, time::Duration};

/// A point in time: milliseconds since an origin the driver picks (any monotonic clock).
///
/// The crate never reads a clock. In the browser pass `performance.now()` rounded down; natively
/// pass `Instant::now() - start` in milliseconds; in tests pass virtual time. Only differences
/// between two `Millis` of the same driver matter. A millisecond is finer than any timer of the
/// protocol (the shortest is seconds), and a plain integer works the same on wasm32 and native
/// (`std::time::Instant` panics in `wasm32-unknown-unknown`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    /// The origin.
    pub const ZERO: Self = Self(0);

    /// `secs` seconds after the origin.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// Milliseconds since the origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// `self + d`, saturating at `u64::MAX` milliseconds.
    pub fn saturating_add(self, d: Duration) -> Self {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self(self.0.saturating_add(ms))
    }

    /// `self - earlier`, or zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Millis {
    type Output = Self;

    /// Saturating, like [`Millis::saturating_add`].
    fn add(self, d: Duration) -> Self {
        self.saturating_add(d)
    }
}
