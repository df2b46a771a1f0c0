//! Small value types shared by the engine's modules: virtual time, handles, the seeded RNG.

/// A point in time, in milliseconds since an origin the driver chooses (e.g. `performance.now()`
/// at start, or 0 in the simulator). The engine never reads a clock: every input carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Millis(pub u64);

impl Millis {
    /// `self + ms`, saturating.
    pub fn plus(self, ms: u64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self` (0 if `earlier` is later).
    pub fn since(self, earlier: Self) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// The driver's handle for one peer connection (a data channel). Chosen by the driver, unique
/// while the connection lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerKey(pub u64);

/// The driver's handle for one reader (a player reading the torrent's bytes at some position).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReaderId(pub u32);

/// The engine's handle for one HTTP range request to a webseed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HttpRequestId(pub u64);

/// Where a block of a piece came from (kept until the piece verifies, to blame the senders of a
/// piece that fails its hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Source {
    /// A peer connection.
    Peer(PeerKey),
    /// Webseed number `n` in the engine's list.
    Webseed(usize),
}

/// Bytes per requested block (BEP 3 convention; WebTorrent's too). The last block of a piece
/// may be shorter.
pub const BLOCK_LEN: u32 = 16 * 1024;

/// A small deterministic generator (xorshift64*). Randomness is an input: the driver seeds it
/// through [`Config::seed`](crate::Config::seed), so a simulation replays exactly.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        // xorshift must not start at 0; mix the seed so nearby seeds diverge at once.
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}
