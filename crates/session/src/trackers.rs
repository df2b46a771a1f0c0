//! The session's trackers, one [`Announcer`] each: acting on its outputs (sockets, offers
//! made in one batch per announce, relayed offers answered within the peer cap, answers
//! applied), feeding it transfer figures, and a status for the UI.

use vecmap::VecSet;

use metainfo::InfoHash;
use swarm::{PeerKey, PieceHasher, Storage};
use tracker_proto::{
    Announcer, AnnouncerConfig, DecodeError, InOffer, Input, OutMessage, Output, SessionDescription,
};

use crate::{
    config::{id20, SessionConfig},
    peers::Stage,
    platform::{Notice, Platform, TrackerIdx},
    stats::TrackerStatus,
    Session,
};

/// One tracker of the session.
pub(crate) struct Tracker {
    announcer: Announcer,
    pub(crate) status: TrackerStatus,
    /// Peers of the swarm by the tracker's last announce answer (`complete + incomplete`,
    /// ourselves included, as trackers count), if one came.
    pub(crate) swarm_size: Option<u64>,
    /// The offers being made for the announce the announcer waits on.
    batch: Option<Batch>,
}

/// Offers asked for by one `NeedOffers`: the announce goes out once all are made or failed.
#[derive(Debug, Default)]
struct Batch {
    waiting: VecSet<PeerKey>,
    made: Vec<InOffer>,
}

impl Tracker {
    pub(crate) fn new(
        url: &str,
        cfg: &SessionConfig,
        info_hash: InfoHash,
        left: Option<u64>,
        rng_seed: u64,
    ) -> Self {
        let mut config = AnnouncerConfig::new(info_hash, metainfo::PeerId::from(cfg.peer_id))
            .with_rng_seed(rng_seed)
            .with_stats(tracker_proto::Stats {
                left,
                ..tracker_proto::Stats::default()
            });
        config.max_offers = cfg.max_offers;
        if let Some(base) = cfg.reconnect_base {
            config.reconnect_base = base;
        }
        if let Some(jitter) = cfg.reconnect_jitter {
            config.reconnect_jitter = jitter;
        }
        Self {
            announcer: Announcer::new(config),
            status: TrackerStatus {
                url: url.to_owned(),
                state: "connecting".to_owned(),
                error: None,
                peers_seen: 0,
            },
            swarm_size: None,
            batch: None,
        }
    }
}

impl<S: Storage, H: PieceHasher> Session<S, H> {
    fn feed_tracker(&mut self, tracker: TrackerIdx, input: Input) {
        let now = self.tracker_now();
        if let Some(t) = self.trackers.get_mut(tracker.0) {
            t.announcer.handle_input(now, input);
        }
    }

    pub(crate) fn tracker_open(&mut self, tracker: TrackerIdx) {
        if let Some(t) = self.trackers.get_mut(tracker.0) {
            t.status.connected();
        }
        self.feed_tracker(tracker, Input::Connected);
    }

    pub(crate) fn tracker_closed(&mut self, tracker: TrackerIdx) {
        if let Some(t) = self.trackers.get_mut(tracker.0) {
            t.status.state = "failed".to_owned();
            t.status.error = Some(format!(
                "the connection to {} closed or could not be opened",
                t.status.url
            ));
        }
        self.feed_tracker(tracker, Input::Disconnected);
    }

    pub(crate) fn tracker_message(
        &mut self,
        tracker: TrackerIdx,
        message: Result<OutMessage, DecodeError>,
    ) {
        match message {
            Ok(message) => self.feed_tracker(tracker, Input::Message(message)),
            Err(e) => {
                if let Some(t) = self.trackers.get_mut(tracker.0) {
                    t.status.state = "connected".to_owned();
                    t.status.error =
                        Some(format!("the tracker sent a message we cannot read: {e}"));
                }
            }
        }
    }

    /// When the earliest announcer timer is due.
    pub(crate) fn trackers_due_at(&self) -> Option<swarm::Millis> {
        self.trackers
            .iter()
            .filter_map(|t| t.announcer.poll_timeout())
            .min()
            .map(|at| swarm::Millis(at.0))
    }

    /// Announcers whose timer is due get fresh figures and their timeout.
    pub(crate) fn run_due_trackers(&mut self) {
        let now = self.tracker_now();
        let stats = self.announce_stats();
        for t in &mut self.trackers {
            if t.announcer.poll_timeout().is_some_and(|at| at <= now) {
                t.announcer.handle_input(now, Input::Stats(stats));
                t.announcer.handle_timeout(now);
            }
        }
    }

    /// Every tracker announces again as early as it allows (the last peer left).
    pub(crate) fn trackers_want_peers(&mut self) {
        let now = self.tracker_now();
        for t in &mut self.trackers {
            t.announcer.handle_input(now, Input::WantPeers);
        }
    }

    /// The download finished: every tracker announces `completed` once, with `left` 0.
    pub(crate) fn trackers_complete(&mut self) {
        let now = self.tracker_now();
        let stats = tracker_proto::Stats {
            left: Some(0),
            ..self.announce_stats()
        };
        for t in &mut self.trackers {
            t.announcer.handle_input(now, Input::Stats(stats));
            t.announcer.handle_input(now, Input::Completed);
        }
    }

    /// Every tracker announces `stopped`, then its socket may close.
    pub(crate) fn stop_trackers(&mut self, platform: &mut impl Platform) {
        let now = self.tracker_now();
        let stats = self.announce_stats();
        for t in &mut self.trackers {
            t.announcer.handle_input(now, Input::Stats(stats));
            t.announcer.handle_input(now, Input::Stop);
        }
        self.drain_trackers(platform);
        for i in 0..self.trackers.len() {
            platform.tracker_close(TrackerIdx(i));
        }
    }

    /// Acts on every announcer output; whether there was any.
    pub(crate) fn drain_trackers(&mut self, platform: &mut impl Platform) -> bool {
        let mut any = false;
        for i in 0..self.trackers.len() {
            let tracker = TrackerIdx(i);
            while let Some(out) = self
                .trackers
                .get_mut(i)
                .and_then(|t| t.announcer.poll_output())
            {
                any = true;
                self.announcer_output(tracker, out, platform);
            }
        }
        any
    }

    fn announcer_output(&mut self, tracker: TrackerIdx, out: Output, platform: &mut impl Platform) {
        let i = tracker.0;
        match out {
            Output::Connect => {
                if let Some(t) = self.trackers.get_mut(i) {
                    t.status.state = "connecting".to_owned();
                    platform.tracker_connect(tracker, &t.status.url);
                }
            }
            Output::Send(message) => platform.tracker_send(tracker, message.to_json()),
            Output::NeedOffers(n) => self.make_offers(tracker, n, platform),
            Output::ExpireOffer(offer_id) => {
                if let Some(peer) = self.peers.by_offer.remove(&offer_id) {
                    self.close_peer(peer, platform);
                }
            }
            Output::RelayedOffer {
                peer_id,
                offer_id,
                offer,
            } => {
                if self.stopped_or_full() {
                    platform.notice(Notice::OfferRefused);
                    return;
                }
                self.seen(tracker);
                let stage = Stage::Answering {
                    tracker,
                    to_peer_id: peer_id,
                    offer_id,
                };
                let peer = self.peers.add(stage, self.now);
                platform.answer_offer(peer, &offer.sdp);
            }
            Output::RelayedAnswer {
                peer_id: _,
                offer_id,
                answer,
            } => {
                if let Some(peer) = self.peers.by_offer.remove(&offer_id) {
                    self.seen(tracker);
                    self.peers.answered(peer, self.now);
                    platform.apply_answer(peer, &answer.sdp);
                }
            }
            Output::Swarm {
                complete,
                incomplete,
            } => {
                if let Some(t) = self.trackers.get_mut(i) {
                    t.status.state = "answered".to_owned();
                    t.swarm_size = Some(
                        complete
                            .unwrap_or(0)
                            .saturating_add(incomplete.unwrap_or(0)),
                    );
                }
            }
            Output::Warning(text) => {
                if let Some(t) = self.trackers.get_mut(i) {
                    t.status.error = Some(format!("the tracker said: {text}"));
                }
                platform.notice(Notice::TrackerWarning { tracker, text });
            }
        }
    }

    fn seen(&mut self, tracker: TrackerIdx) {
        if let Some(t) = self.trackers.get_mut(tracker.0) {
            t.status.peers_seen += 1;
        }
    }

    /// Starts up to `n` offers (within the peer cap) at once: the announce waits for all of
    /// them, so making them one after another would delay it `n` times over.
    fn make_offers(&mut self, tracker: TrackerIdx, n: usize, platform: &mut impl Platform) {
        let n = if self.is_stopped() {
            0
        } else {
            self.peers.free(self.cfg.max_peers, n)
        };
        let mut batch = Batch::default();
        for _ in 0..n {
            let peer = self.peers.add(Stage::Offering(tracker), self.now);
            batch.waiting.insert(peer);
        }
        let keys: Vec<PeerKey> = batch.waiting.iter().copied().collect();
        let Some(t) = self.trackers.get_mut(tracker.0) else {
            return;
        };
        // A batch still being made (the socket closed meanwhile) is handed in with this one.
        if let Some(old) = t.batch.take() {
            batch.waiting.extend(old.waiting);
            batch.made.extend(old.made);
        }
        t.batch = Some(batch);
        for peer in keys {
            platform.create_offer(peer);
        }
        self.finish_batch(tracker);
    }

    pub(crate) fn offer_made(&mut self, peer: PeerKey, sdp: String) {
        let Some(&Stage::Offering(tracker)) = self.peers.stage(peer) else {
            return;
        };
        let offer_id = metainfo::Id20(id20(&mut self.rng));
        self.peers.by_offer.insert(offer_id, peer);
        self.peers.offered(peer);
        if let Some(batch) = self
            .trackers
            .get_mut(tracker.0)
            .and_then(|t| t.batch.as_mut())
        {
            batch.waiting.remove(&peer);
            batch.made.push(InOffer {
                offer_id,
                offer: SessionDescription::offer(sdp),
            });
        }
        self.finish_batch(tracker);
    }

    pub(crate) fn offer_failed(&mut self, tracker: TrackerIdx, peer: PeerKey) {
        if let Some(batch) = self
            .trackers
            .get_mut(tracker.0)
            .and_then(|t| t.batch.as_mut())
        {
            batch.waiting.remove(&peer);
        }
        self.finish_batch(tracker);
    }

    /// Hands the batch's offers to the announcer once none is still being made.
    fn finish_batch(&mut self, tracker: TrackerIdx) {
        let Some(t) = self.trackers.get_mut(tracker.0) else {
            return;
        };
        if t.batch.as_ref().is_some_and(|b| b.waiting.is_empty()) {
            let made = t.batch.take().map(|b| b.made).unwrap_or_default();
            self.feed_tracker(tracker, Input::OffersReady(made));
        }
    }

    pub(crate) fn answer_made(&mut self, peer: PeerKey, sdp: String) {
        let Some(Stage::Answering {
            tracker,
            to_peer_id,
            offer_id,
        }) = self.peers.stage(peer).cloned()
        else {
            return;
        };
        self.peers.set_stage(peer, Stage::Connecting);
        let answer = Input::AnswerReady {
            to_peer_id,
            offer_id,
            answer: SessionDescription::answer(sdp),
        };
        self.feed_tracker(tracker, answer);
    }
}
