//! The gateway's download and upload caps (`--gateway-max-download-kib`,
//! `--gateway-max-upload-kib`): one token bucket per direction, shared by every TCP peer of
//! every torrent. A peer task that moved `n` bytes waits in [`RateCap::spend`] until the bucket
//! covers them; a reader that waits stops reading its socket, so TCP's own flow control slows
//! the sender, and a writer that waits holds the next message back.
//!
//! Written on tokio's clock rather than taken from a rate-limiting crate: the caps are then
//! tested on tokio's paused clock, deterministically, and a wait is a plain `tokio::time`
//! sleep in the peer task that already runs there.

use std::sync::Arc;

use tokio::{sync::Mutex, time::Instant};

/// Bytes the bucket may hold: a quarter second of the rate, at least one read chunk, so a
/// capped peer still moves whole chunks and an idle one does not burst far past the cap.
fn burst_of(bytes_per_sec: u64) -> f64 {
    (bytes_per_sec as f64 / 4.0).max(64.0 * 1024.0)
}

#[derive(Debug)]
struct Bucket {
    /// Bytes that may move now; negative while spenders wait for what they already took.
    tokens: f64,
    last: Instant,
}

/// A shared byte-rate cap; cloning shares it.
#[derive(Debug, Clone)]
pub(crate) struct RateCap {
    bytes_per_sec: u64,
    bucket: Arc<Mutex<Bucket>>,
}

impl RateCap {
    /// A cap of `bytes_per_sec` (at least 1).
    pub(crate) fn new(bytes_per_sec: u64) -> Self {
        let bytes_per_sec = bytes_per_sec.max(1);
        Self {
            bytes_per_sec,
            bucket: Arc::new(Mutex::new(Bucket {
                tokens: burst_of(bytes_per_sec),
                last: Instant::now(),
            })),
        }
    }

    /// Takes `n` bytes from the bucket and waits until the rate has paid for them. Spenders
    /// are served in the order they came: each takes its bytes at once (the bucket may go
    /// below zero) and sleeps off its own debt.
    pub(crate) async fn spend(&self, n: usize) {
        let wait = {
            let mut b = self.bucket.lock().await;
            let now = Instant::now();
            let rate = self.bytes_per_sec as f64;
            let earned = now.duration_since(b.last).as_secs_f64() * rate;
            b.tokens = (b.tokens + earned).min(burst_of(self.bytes_per_sec));
            b.last = now;
            b.tokens -= n as f64;
            (b.tokens < 0.0).then(|| std::time::Duration::from_secs_f64(-b.tokens / rate))
        };
        if let Some(wait) = wait {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The caps every TCP peer of the gateway shares (`None`: that direction is not capped).
#[derive(Debug, Clone, Default)]
pub(crate) struct PeerCaps {
    pub(crate) download: Option<RateCap>,
    pub(crate) upload: Option<RateCap>,
}

impl PeerCaps {
    /// Caps in KiB/s (`None` or 0: none).
    pub(crate) fn from_kib(download: Option<u64>, upload: Option<u64>) -> Self {
        let cap = |kib: Option<u64>| kib.filter(|&k| k > 0).map(|k| RateCap::new(k * 1024));
        Self {
            download: cap(download),
            upload: cap(upload),
        }
    }
}

/// Spends on `cap` if there is one.
pub(crate) async fn spend(cap: Option<&RateCap>, n: usize) {
    if let Some(cap) = cap {
        cap.spend(n).await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const KIB: u64 = 1024;

    /// Virtual seconds `spenders` tasks take to move `each` bytes apiece in 16 KiB steps.
    async fn seconds_to_move(cap: &RateCap, spenders: usize, each: usize) -> f64 {
        let start = Instant::now();
        let tasks: Vec<_> = (0..spenders)
            .map(|_| {
                let cap = cap.clone();
                tokio::spawn(async move {
                    let mut left = each;
                    while left > 0 {
                        let n = left.min(16 * 1024);
                        cap.spend(n).await;
                        left -= n;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("spender");
        }
        start.elapsed().as_secs_f64()
    }

    #[tokio::test(start_paused = true)]
    async fn bytes_move_at_the_cap_after_the_first_burst() {
        let cap = RateCap::new(256 * KIB);
        // 4 MiB at 256 KiB/s: 16 s, less the 64 KiB the full bucket starts with.
        let took = seconds_to_move(&cap, 1, 4 * 1024 * 1024).await;
        assert!((15.7..=15.8).contains(&took), "{took} s");
    }

    #[tokio::test(start_paused = true)]
    async fn every_peer_shares_one_cap() {
        let cap = RateCap::new(256 * KIB);
        // Four peers, 1 MiB each: the same 4 MiB, the same time as one peer alone.
        let took = seconds_to_move(&cap, 4, 1024 * 1024).await;
        assert!((15.7..=15.8).contains(&took), "{took} s");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_cap_saves_up_only_its_burst() {
        let cap = RateCap::new(256 * KIB);
        tokio::time::sleep(Duration::from_secs(60)).await;
        // A minute idle buys 64 KiB, not 15 MiB: 1 MiB still takes about 3.75 s.
        let took = seconds_to_move(&cap, 1, 1024 * 1024).await;
        assert!((3.7..=3.8).contains(&took), "{took} s");
    }
}
