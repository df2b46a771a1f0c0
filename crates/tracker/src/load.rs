//! A load generator for WebTorrent WebSocket trackers, in the spirit of aquatic's ws load test.
//!
//! `connections` sockets each announce in a loop: a random torrent out of `torrents` (skewed:
//! torrent `⌊torrents · u^skew⌋` for uniform `u`, so a few torrents are very popular), as a
//! seeder with probability `seeder_share`, carrying `offers_per_announce` offers with a
//! WebTorrent-sized SDP. Each socket waits for the announce response (or a failure) before its
//! next announce, and answers a share of the offers relayed to it. Every frame received counts as
//! a response. With `reconnect_after`, sockets close and reopen after that many announces
//! (churn), which is how the tracker's memory under churn is measured.
//!
//! Works against any tracker speaking `ws://` (ours, bittorrent-tracker, aquatic_ws without TLS).

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use rand::{rngs::SmallRng, Rng, SeedableRng};
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::{connect_async, tungstenite::Message};
use tracker_proto::{
    AnnounceEvent, Id20, InAnnounce, InAnswer, InOffer, OutMessage, SessionDescription,
};

/// What load to generate.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Tracker URL, `ws://host:port/`.
    pub url: String,
    /// Sockets kept open.
    pub connections: usize,
    /// Distinct info hashes.
    pub torrents: usize,
    /// Popularity skew exponent (1 = uniform; larger = more skewed).
    pub skew: f64,
    /// Offers attached to each announce.
    pub offers_per_announce: usize,
    /// Share of announces made as a seeder (`left: 0`), 0..=1.
    pub seeder_share: f64,
    /// Share of relayed offers answered, 0..=1.
    pub answer_share: f64,
    /// Seconds of load before measuring (connections open during it).
    pub warmup_secs: u64,
    /// Seconds measured.
    pub duration_secs: u64,
    /// Reconnect each socket after this many announces (0 = never).
    pub reconnect_after: u64,
    /// Tracker process id, to sample its memory from `/proc`.
    pub tracker_pid: Option<u32>,
    /// Seed of every random choice.
    pub seed: u64,
}

impl Default for LoadConfig {
    fn default() -> Self {
        Self {
            url: "ws://127.0.0.1:8000/".to_owned(),
            connections: 1000,
            torrents: 10_000,
            skew: 3.0,
            offers_per_announce: 5,
            seeder_share: 0.2,
            answer_share: 0.5,
            warmup_secs: 5,
            duration_secs: 20,
            reconnect_after: 0,
            tracker_pid: None,
            seed: 1,
        }
    }
}

#[derive(Default)]
struct Counters {
    open: AtomicU64,
    connect_failures: AtomicU64,
    reconnects: AtomicU64,
    announces: AtomicU64,
    responses: AtomicU64,
    announce_responses: AtomicU64,
    offers: AtomicU64,
    answers: AtomicU64,
    failures: AtomicU64,
}

/// One per-second observation.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Seconds since start.
    pub t: u64,
    /// Sockets open.
    pub open: u64,
    /// Responses received during that second.
    pub responses: u64,
    /// Tracker resident memory, KiB.
    pub rss_kib: Option<u64>,
}

/// The outcome of a run (rates over the measured window only).
#[derive(Debug, Clone)]
pub struct Report {
    /// Responses (all frames received) per second.
    pub responses_per_sec: f64,
    /// Announces sent per second.
    pub announces_per_sec: f64,
    /// Announce responses per second.
    pub announce_responses_per_sec: f64,
    /// Relayed offers received per second.
    pub offers_per_sec: f64,
    /// Relayed answers received per second.
    pub answers_per_sec: f64,
    /// `failure reason` replies per second.
    pub failures_per_sec: f64,
    /// Sockets open at the end.
    pub open_at_end: u64,
    /// Failed connection attempts in total.
    pub connect_failures: u64,
    /// Reconnections (churn) in total.
    pub reconnects: u64,
    /// Tracker memory at the end and its peak (`VmRSS`, `VmHWM`), KiB.
    pub rss_kib: Option<(u64, u64)>,
    /// Per-second samples.
    pub samples: Vec<Sample>,
}

/// Why the load run could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A value is out of range.
    #[error("invalid load config: {0}")]
    Invalid(&'static str),
}

/// Reads `VmRSS` and `VmHWM` (KiB) of a process.
pub fn process_memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Runs the load and reports.
pub async fn run(config: LoadConfig) -> Result<Report, LoadError> {
    if config.connections == 0 || config.torrents == 0 || config.duration_secs == 0 {
        return Err(LoadError::Invalid(
            "connections, torrents and duration must be positive",
        ));
    }
    if !(0.0..=1.0).contains(&config.seeder_share) || !(0.0..=1.0).contains(&config.answer_share) {
        return Err(LoadError::Invalid("shares must be within 0..=1"));
    }
    let config = Arc::new(config);
    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    // Sockets open first and start announcing together, so that the handshakes of thousands of
    // sockets do not compete with the traffic of the first ones (at most 60 s of ramp-up).
    let (go_tx, go_rx) = watch::channel(false);
    // Open sockets a few hundred at a time, so the tracker's accept backlog never overflows.
    let gate = Arc::new(Semaphore::new(256));
    let mut tasks = Vec::with_capacity(config.connections);
    for i in 0..config.connections {
        let task = connection(
            Arc::clone(&config),
            Arc::clone(&counters),
            stop_rx.clone(),
            Arc::clone(&gate),
            go_rx.clone(),
            i as u64,
        );
        tasks.push(tokio::spawn(task));
    }
    let ramp = Instant::now();
    while counters.open.load(Ordering::Relaxed) < config.connections as u64
        && ramp.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = go_tx.send(true);
    let start = Instant::now();
    let mut samples = Vec::new();
    let mut last = 0;
    let mut at_warmup = None;
    let total = config.warmup_secs + config.duration_secs;
    for t in 1..=total {
        tokio::time::sleep_until((start + Duration::from_secs(t)).into()).await;
        let responses = counters.responses.load(Ordering::Relaxed);
        samples.push(Sample {
            t,
            open: counters.open.load(Ordering::Relaxed),
            responses: responses - last,
            rss_kib: config.tracker_pid.and_then(process_memory_kib).map(|m| m.0),
        });
        last = responses;
        if t == config.warmup_secs {
            at_warmup = Some((Instant::now(), snapshot(&counters)));
        }
    }
    let end = snapshot(&counters);
    let (t0, begin) = at_warmup.unwrap_or((start, [0; 6]));
    let secs = t0.elapsed().as_secs_f64().max(1e-9);
    let rate = |i: usize| (end[i] - begin[i]) as f64 / secs;
    let report = Report {
        responses_per_sec: rate(0),
        announces_per_sec: rate(1),
        announce_responses_per_sec: rate(2),
        offers_per_sec: rate(3),
        answers_per_sec: rate(4),
        failures_per_sec: rate(5),
        open_at_end: counters.open.load(Ordering::Relaxed),
        connect_failures: counters.connect_failures.load(Ordering::Relaxed),
        reconnects: counters.reconnects.load(Ordering::Relaxed),
        rss_kib: config.tracker_pid.and_then(process_memory_kib),
        samples,
    };
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
    }
    Ok(report)
}

fn snapshot(c: &Counters) -> [u64; 6] {
    [
        c.responses.load(Ordering::Relaxed),
        c.announces.load(Ordering::Relaxed),
        c.announce_responses.load(Ordering::Relaxed),
        c.offers.load(Ordering::Relaxed),
        c.answers.load(Ordering::Relaxed),
        c.failures.load(Ordering::Relaxed),
    ]
}

/// A fake SDP about the size of a Chromium data-channel offer with host candidates.
pub(crate) fn fake_sdp(kind: &str) -> String {
    let mut sdp = format!(
        "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na={kind}\r\n"
    );
    while sdp.len() < 600 {
        sdp.push_str("a=candidate:1 1 udp 2113937151 192.168.1.20 54321 typ host\r\n");
    }
    sdp
}

enum Frame {
    /// The announce got its response (or failure).
    Done,
    More,
}

async fn connection(
    config: Arc<LoadConfig>,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
    gate: Arc<Semaphore>,
    mut go: watch::Receiver<bool>,
    index: u64,
) {
    let mut rng = SmallRng::seed_from_u64(config.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let offer_sdp = fake_sdp("offer");
    let answer_sdp = fake_sdp("answer");
    let mut first = true;
    while !*stop.borrow() {
        let socket = {
            let Ok(_permit) = gate.acquire().await else {
                return;
            };
            tokio::time::timeout(Duration::from_secs(10), connect_async(config.url.as_str())).await
        };
        let Ok(Ok((mut ws, _))) = socket else {
            counters.connect_failures.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        if !first {
            counters.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        first = false;
        counters.open.fetch_add(1, Ordering::Relaxed);
        let mut peer_id = *b"-SL0001-000000000000";
        rng.fill(&mut peer_id[8..]);
        let peer_id = Id20(peer_id);
        let mut sent = 0u64;
        if go.wait_for(|go| *go).await.is_err() {
            return;
        }
        'socket: while !*stop.borrow() {
            if config.reconnect_after > 0 && sent >= config.reconnect_after {
                break;
            }
            let hash = pick_torrent(&mut rng, config.torrents, config.skew);
            let seeder = rng.random_bool(config.seeder_share);
            let offers = (0..config.offers_per_announce)
                .map(|_| InOffer {
                    offer_id: Id20(rng.random()),
                    offer: SessionDescription::offer(offer_sdp.clone()),
                })
                .collect();
            let announce = InAnnounce {
                info_hash: hash,
                peer_id,
                numwant: Some(config.offers_per_announce as u64),
                uploaded: Some(0),
                downloaded: Some(0),
                left: Some(if seeder { 0 } else { 1_000_000 }),
                event: (sent == 0).then_some(AnnounceEvent::Started),
                tracker_id: None,
                offers: Some(offers),
            };
            let text = tracker_proto::InMessage::Announce(announce).to_json();
            if ws.send(Message::text(text)).await.is_err() {
                break;
            }
            sent += 1;
            counters.announces.fetch_add(1, Ordering::Relaxed);
            loop {
                let frame = tokio::select! {
                    _ = stop.changed() => break 'socket,
                    frame = tokio::time::timeout(Duration::from_secs(30), ws.next()) => frame,
                };
                let text = match frame {
                    Ok(Some(Ok(Message::Text(text)))) => text,
                    Ok(Some(Ok(_))) => continue,
                    // A silent tracker: send the next announce anyway.
                    Err(_) => break,
                    Ok(None | Some(Err(_))) => break 'socket,
                };
                counters.responses.fetch_add(1, Ordering::Relaxed);
                let reply = classify(&counters, &text, &mut rng, config.answer_share);
                if let Some((offer_id, to, info_hash)) = reply {
                    let answer = InAnswer {
                        info_hash,
                        peer_id,
                        to_peer_id: to,
                        answer: SessionDescription::answer(answer_sdp.clone()),
                        offer_id,
                        tracker_id: None,
                    };
                    let text = tracker_proto::InMessage::Answer(answer).to_json();
                    if ws.send(Message::text(text)).await.is_err() {
                        break 'socket;
                    }
                }
                if matches!(frame_kind(&text), Frame::Done) {
                    break;
                }
            }
        }
        counters.open.fetch_sub(1, Ordering::Relaxed);
        let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
    }
}

fn frame_kind(text: &str) -> Frame {
    if text.contains("\"interval\"") || text.contains("\"failure reason\"") {
        Frame::Done
    } else {
        Frame::More
    }
}

/// Counts a frame by kind; for an offer we decide to answer, returns what the answer needs.
fn classify(
    counters: &Counters,
    text: &str,
    rng: &mut SmallRng,
    answer_share: f64,
) -> Option<(Id20, Id20, Id20)> {
    if text.contains("\"failure reason\"") {
        counters.failures.fetch_add(1, Ordering::Relaxed);
    } else if text.contains("\"offer\":{") {
        counters.offers.fetch_add(1, Ordering::Relaxed);
        if rng.random_bool(answer_share) {
            if let Ok(OutMessage::Offer(offer)) = OutMessage::from_json(text) {
                return Some((offer.offer_id, offer.peer_id, offer.info_hash));
            }
        }
    } else if text.contains("\"answer\":{") {
        counters.answers.fetch_add(1, Ordering::Relaxed);
    } else if text.contains("\"interval\"") {
        counters.announce_responses.fetch_add(1, Ordering::Relaxed);
    }
    None
}

/// Torrent `⌊n · u^skew⌋`: with skew 3, the top 0.1% of torrents get 10% of announces.
pub(crate) fn pick_torrent(rng: &mut SmallRng, n: usize, skew: f64) -> Id20 {
    let u: f64 = rng.random();
    let i = ((n as f64) * u.powf(skew.max(0.0))) as u64;
    let i = i.min(n as u64 - 1);
    let mut bytes = [0u8; 20];
    bytes[..8].copy_from_slice(&i.to_be_bytes());
    bytes[8..12].copy_from_slice(b"load");
    Id20(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skewed_choice_stays_in_range_and_favours_low_indices() {
        let mut rng = SmallRng::seed_from_u64(1);
        let mut low = 0;
        for _ in 0..10_000 {
            let id = pick_torrent(&mut rng, 1000, 3.0);
            let i = u64::from_be_bytes(id.0[..8].try_into().unwrap());
            assert!(i < 1000);
            if i < 10 {
                low += 1;
            }
        }
        // P(i < 10) = 0.01^(1/3) ≈ 0.215
        assert!((1500..2800).contains(&low), "{low}");
        assert!(fake_sdp("offer").len() >= 600);
    }
}
