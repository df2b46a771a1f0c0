//! How long an HTTP request waits for a torrent's bytes or metadata. Each torrent publishes its
//! [`Health`] (open peers, when a peer last sent something useful) on a watch channel; a request
//! waits while peers are connected or sent something lately, and gives up early with
//! [`GaveUp::NoPeers`] (the routes answer 503 with `Retry-After`) when the torrent has had no
//! open peer and no useful byte for the gateway's grace. Without that, a web seed client (the
//! app adds the companion for any torrent with few WebRTC peers) waited the whole
//! `wait_for_peers` (60 s) for a torrent the companion could not find either.

use std::{future::Future, time::Duration};

use tokio::{sync::watch, time::Instant};

/// What a torrent's task publishes for the waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Health {
    /// Open peer connections now.
    pub(crate) open_peers: u64,
    /// When a peer last sent piece or metadata bytes; the torrent's start until one does.
    pub(crate) last_useful: Instant,
}

impl Health {
    pub(crate) fn new(now: Instant) -> Self {
        Self {
            open_peers: 0,
            last_useful: now,
        }
    }
}

/// Why a wait ended without its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GaveUp {
    /// No open peer and nothing useful from one for the grace: not worth waiting for.
    NoPeers { open_peers: u64 },
    /// Peers are (or were lately) there, but the answer did not come within the whole wait.
    Timeout,
    /// The torrent went away.
    Removed,
}

/// Waits for `answer` at most `wait`, and gives up sooner when `health` shows no open peer and
/// no useful byte for `grace` (at once when that is already so). The answer wins a tie:
/// before giving up, `flushed` is awaited (a round trip to the torrent's task, which has then
/// answered whatever it could answer at once, such as bytes already on disk).
pub(crate) async fn wait_for<T, F: Future<Output = ()>>(
    answer: impl Future<Output = Option<T>>,
    mut health: watch::Receiver<Health>,
    (wait, grace): (Duration, Duration),
    flushed: impl FnOnce() -> F,
) -> Result<T, GaveUp> {
    let end = Instant::now() + wait;
    tokio::pin!(answer);
    let mut flushed = Some(flushed);
    loop {
        let h = *health.borrow_and_update();
        let quiet_until = h.last_useful + grace;
        let now = Instant::now();
        if h.open_peers == 0 && now >= quiet_until {
            // Last look, once the task has seen the request.
            if let Some(flushed) = flushed.take() {
                tokio::select! {
                    biased;
                    v = &mut answer => return v.ok_or(GaveUp::Removed),
                    () = flushed() => {}
                }
            }
            return match futures_util::FutureExt::now_or_never(&mut answer) {
                Some(Some(v)) => Ok(v),
                Some(None) => Err(GaveUp::Removed),
                None => Err(GaveUp::NoPeers {
                    open_peers: h.open_peers,
                }),
            };
        }
        if now >= end {
            return Err(GaveUp::Timeout);
        }
        // Wake at the end of the quiet spell (if no peer is open), or at the end of the wait.
        let wake = if h.open_peers == 0 {
            quiet_until.min(end)
        } else {
            end
        };
        tokio::select! {
            biased;
            v = &mut answer => return v.ok_or(GaveUp::Removed),
            changed = health.changed() => {
                if changed.is_err() {
                    // The torrent's task ended: its answer will not come.
                    return Err(GaveUp::Removed);
                }
            }
            () = tokio::time::sleep_until(wake) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(60);
    const GRACE: Duration = Duration::from_secs(5);

    /// No task to wait for: the answers here are plain futures.
    async fn no_flush() {}

    /// An answer that comes after `after` (never with `None`).
    async fn answer_after(after: Option<Duration>) -> Option<u32> {
        match after {
            Some(d) => {
                tokio::time::sleep(d).await;
                Some(7)
            }
            None => std::future::pending().await,
        }
    }

    // Time is tokio's paused clock: these runs are exact and instant, not timed.

    #[tokio::test(start_paused = true)]
    async fn a_torrent_without_peers_gives_up_after_the_grace_not_the_whole_wait() {
        let start = Instant::now();
        let (_tx, rx) = watch::channel(Health::new(start));
        let got = wait_for(answer_after(None), rx, (WAIT, GRACE), no_flush).await;
        assert_eq!(got, Err(GaveUp::NoPeers { open_peers: 0 }));
        assert_eq!(Instant::now() - start, GRACE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_torrent_quiet_for_long_answers_at_once_unless_the_bytes_are_there() {
        let (_tx, rx) = watch::channel(Health::new(Instant::now()));
        tokio::time::advance(Duration::from_secs(600)).await;
        let start = Instant::now();
        let got = wait_for(answer_after(None), rx.clone(), (WAIT, GRACE), no_flush).await;
        assert_eq!(got, Err(GaveUp::NoPeers { open_peers: 0 }));
        assert_eq!(Instant::now(), start);
        let got = wait_for(std::future::ready(Some(3)), rx, (WAIT, GRACE), no_flush).await;
        assert_eq!(got, Ok(3), "pieces on disk are served without peers");
    }

    #[tokio::test(start_paused = true)]
    async fn what_the_task_answers_at_once_is_taken_even_when_quiet() {
        // A quiet torrent whose file list or bytes on disk are there: the task answers when it
        // gets to the command, which the flush waits for.
        let (_tx, rx) = watch::channel(Health::new(Instant::now()));
        tokio::time::advance(Duration::from_secs(600)).await;
        let (reply, answer) = tokio::sync::oneshot::channel();
        let flushed = || async move {
            tokio::task::yield_now().await;
            let _ = reply.send(11);
        };
        let got = wait_for(async { answer.await.ok() }, rx, (WAIT, GRACE), flushed).await;
        assert_eq!(got, Ok(11));
    }

    #[tokio::test(start_paused = true)]
    async fn with_a_peer_connected_the_request_waits_for_its_bytes() {
        let start = Instant::now();
        let (tx, rx) = watch::channel(Health::new(start));
        tx.send_modify(|h| h.open_peers = 1);
        let got = wait_for(
            answer_after(Some(Duration::from_secs(40))),
            rx,
            (WAIT, GRACE),
            no_flush,
        )
        .await;
        assert_eq!(got, Ok(7));
        assert_eq!(Instant::now() - start, Duration::from_secs(40));
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_sends_nothing_ends_in_the_whole_wait() {
        let start = Instant::now();
        let (tx, rx) = watch::channel(Health::new(start));
        tx.send_modify(|h| h.open_peers = 2);
        let got = wait_for(answer_after(None), rx, (WAIT, GRACE), no_flush).await;
        assert_eq!(got, Err(GaveUp::Timeout));
        assert_eq!(Instant::now() - start, WAIT);
    }

    #[tokio::test(start_paused = true)]
    async fn when_the_last_peer_leaves_the_grace_runs_from_its_last_useful_byte() {
        let start = Instant::now();
        let (tx, rx) = watch::channel(Health::new(start));
        tx.send_modify(|h| h.open_peers = 1);
        let waiting = tokio::spawn(wait_for(answer_after(None), rx, (WAIT, GRACE), no_flush));
        tokio::time::sleep(Duration::from_secs(10)).await;
        tx.send_modify(|h| h.last_useful = Instant::now());
        tokio::time::sleep(Duration::from_secs(2)).await;
        tx.send_modify(|h| h.open_peers = 0);
        let got = waiting.await.expect("task");
        assert_eq!(got, Err(GaveUp::NoPeers { open_peers: 0 }));
        assert_eq!(Instant::now() - start, Duration::from_secs(15));
    }

    #[tokio::test(start_paused = true)]
    async fn connections_that_open_and_end_at_once_do_not_hold_the_request() {
        // The benchmark's failure: every connection to the seeder ended right after its
        // handshake, so no byte came; the request gives up at the grace, not at the wait.
        let start = Instant::now();
        let (tx, rx) = watch::channel(Health::new(start));
        let waiting = tokio::spawn(async move {
            let got = wait_for(answer_after(None), rx, (WAIT, GRACE), no_flush).await;
            (got, Instant::now())
        });
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            tx.send_modify(|h| h.open_peers = 1);
            tx.send_modify(|h| h.open_peers = 0);
        }
        let (got, ended) = waiting.await.expect("task");
        assert_eq!(got, Err(GaveUp::NoPeers { open_peers: 0 }));
        assert_eq!(ended - start, GRACE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_removed_torrent_ends_the_wait() {
        let (tx, rx) = watch::channel(Health::new(Instant::now()));
        tx.send_modify(|h| h.open_peers = 1);
        let waiting = tokio::spawn(wait_for(answer_after(None), rx, (WAIT, GRACE), no_flush));
        tokio::time::sleep(Duration::from_secs(1)).await;
        drop(tx);
        assert_eq!(waiting.await.expect("task"), Err(GaveUp::Removed));
    }
}
