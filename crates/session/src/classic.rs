//! The session's HTTP and UDP trackers, one [`tracker_classic::Announcer`] each: the session
//! decides when they announce and with which figures; the platform only does the GET or moves
//! the datagram. The peers they name go to the address book.

use swarm::{Millis, PieceHasher, Storage};
use tracker_classic::{Announcer, Endpoint};

use crate::{
    platform::{ClassicTrackerIdx, Platform},
    stats::TrackerStatus,
    Session,
};

/// One HTTP or UDP tracker of the session.
pub(crate) struct Classic {
    /// `None` when the URL cannot be used (its status says why).
    announcer: Option<Announcer>,
    pub(crate) status: TrackerStatus,
}

impl Classic {
    pub(crate) fn new(
        url: &str,
        info_hash: [u8; 20],
        peer_id: [u8; 20],
        port: u16,
        stats: tracker_classic::Stats,
        rng_seed: u64,
        now: Millis,
    ) -> Self {
        let mut status = TrackerStatus {
            url: url.to_owned(),
            state: "connecting".to_owned(),
            error: None,
            peers_seen: 0,
        };
        let announcer = match Endpoint::parse(url) {
            Ok(endpoint) => Some(Announcer::new(
                endpoint, info_hash, peer_id, port, stats, rng_seed, now.0,
            )),
            Err(e) => {
                status.state = "failed".to_owned();
                status.error = Some(e.to_string());
                None
            }
        };
        Self { announcer, status }
    }
}

impl<S: Storage, H: PieceHasher> Session<S, H> {
    fn classic_stats(&self) -> tracker_classic::Stats {
        let s = self.announce_stats();
        tracker_classic::Stats {
            uploaded: s.uploaded,
            downloaded: s.downloaded,
            left: s.left,
        }
    }

    /// Announcers whose time has come send their request.
    pub(crate) fn run_due_classic(&mut self, platform: &mut impl Platform) {
        let now = self.now;
        let stats = self.classic_stats();
        for (i, c) in self.classic.iter_mut().enumerate() {
            let Some(a) = c.announcer.as_mut() else {
                continue;
            };
            if a.poll_timeout().is_some_and(|at| at <= now.0) {
                a.set_stats(stats);
                if let Some(request) = a.handle_timeout(now.0) {
                    platform.classic_tracker_request(ClassicTrackerIdx(i), request);
                }
            }
        }
    }

    /// When the earliest classic announcer is due.
    pub(crate) fn classic_due_at(&self) -> Option<Millis> {
        self.classic
            .iter()
            .filter_map(|c| c.announcer.as_ref()?.poll_timeout())
            .min()
            .map(Millis)
    }

    pub(crate) fn classic_reply(
        &mut self,
        tracker: ClassicTrackerIdx,
        reply: Result<Vec<u8>, String>,
        platform: &mut impl Platform,
    ) {
        let now = self.now;
        let Some(c) = self.classic.get_mut(tracker.0) else {
            return;
        };
        let Some(a) = c.announcer.as_mut() else {
            return;
        };
        match reply {
            Ok(bytes) => {
                let r = a.handle_reply(now.0, &bytes);
                if r.answered {
                    c.status.state = "answered".to_owned();
                    c.status.peers_seen += r.peers.len();
                }
                c.status.error = r.error.map(|e| format!("the tracker said: {e}"));
                if let Some(request) = r.request {
                    platform.classic_tracker_request(tracker, request);
                }
                self.peers.addrs.add(r.peers, now);
            }
            Err(why) => {
                a.handle_failure(now.0);
                c.status.state = "failed".to_owned();
                c.status.error = Some(why);
            }
        }
    }

    /// The download finished: each announces `completed`.
    pub(crate) fn classic_complete(&mut self) {
        let now = self.now.0;
        for a in self.classic.iter_mut().filter_map(|c| c.announcer.as_mut()) {
            a.completed(now);
        }
    }

    /// Each sends its `stopped` announce (fire and forget).
    pub(crate) fn classic_stop(&mut self, platform: &mut impl Platform) {
        let now = self.now.0;
        let stats = self.classic_stats();
        for (i, c) in self.classic.iter_mut().enumerate() {
            let Some(a) = c.announcer.as_mut() else {
                continue;
            };
            a.set_stats(stats);
            if let Some(request) = a.stop(now) {
                platform.classic_tracker_request(ClassicTrackerIdx(i), request);
            }
        }
    }
}
