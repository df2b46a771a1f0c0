//! [`Announcer`]: the state machine described (with its transition table) in the module docs.

use std::collections::VecDeque;

use super::{reconnect_delay, AnnouncerConfig, Input, Output, SplitMix64, Stats};
use crate::{
    AnnounceEvent, InAnnounce, InAnswer, InMessage, InOffer, Millis, OfferId, OutAnnounceResponse,
    OutMessage,
};

/// The announce client for one torrent on one tracker. See the [module docs](super) for the
/// behaviour and the [crate docs](crate) for the run loop.
#[derive(Debug)]
pub struct Announcer {
    config: AnnouncerConfig,
    stats: Stats,
    rng: SplitMix64,
    conn: Conn,
    started_sent: bool,
    completed: Completion,
    /// Current periodic interval (initial, then the clamped tracker value).
    interval: core::time::Duration,
    /// When the next periodic announce is due (Connected only).
    next_announce: Option<Millis>,
    /// When the last announce was asked for (for [`Input::WantPeers`]).
    last_announce: Option<Millis>,
    /// The tracker's own `min interval`, clamped, once a response carried one.
    tracker_min_interval: Option<core::time::Duration>,
    /// The offer request in flight (Connected only).
    awaiting: Option<OfferRequest>,
    /// Offers sent and not yet answered, in arrival order (Connected only).
    pending: Vec<PendingOffer>,
    tracker_id: Option<String>,
    retries: u32,
    out: VecDeque<Output>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conn {
    Connecting,
    Connected,
    Backoff { until: Millis },
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Completion {
    NotYet,
    Pending,
    Sent,
}

#[derive(Debug, Clone, Copy)]
struct OfferRequest {
    count: usize,
    event: Option<AnnounceEvent>,
}

#[derive(Debug, Clone, Copy)]
struct PendingOffer {
    offer_id: OfferId,
    expires: Millis,
}

impl Announcer {
    /// A new announcer; its first output is [`Output::Connect`].
    pub fn new(config: AnnouncerConfig) -> Self {
        let mut out = VecDeque::new();
        out.push_back(Output::Connect);
        Self {
            stats: config.stats,
            rng: SplitMix64::new(config.rng_seed),
            interval: config.initial_interval,
            config,
            conn: Conn::Connecting,
            started_sent: false,
            completed: Completion::NotYet,
            next_announce: None,
            last_announce: None,
            tracker_min_interval: None,
            awaiting: None,
            pending: Vec::new(),
            tracker_id: None,
            retries: 0,
            out,
        }
    }

    /// Feeds one input. Drain [`Announcer::poll_output`] afterwards.
    pub fn handle_input(&mut self, now: Millis, input: Input) {
        if self.conn == Conn::Stopped {
            if let Input::OffersReady(offers) = input {
                self.expire_all(offers.iter().map(|o| o.offer_id));
            }
            return;
        }
        match input {
            Input::Connected => {
                if self.conn != Conn::Connected {
                    self.conn = Conn::Connected;
                    let event = (!self.started_sent).then_some(AnnounceEvent::Started);
                    self.request_announce(now, event);
                }
            }
            Input::Disconnected => self.on_disconnected(now),
            Input::Message(msg) => {
                if self.conn == Conn::Connected {
                    self.on_message(now, msg);
                }
            }
            Input::OffersReady(offers) => self.on_offers(now, offers),
            Input::AnswerReady {
                to_peer_id,
                offer_id,
                answer,
            } => {
                if self.conn == Conn::Connected {
                    self.out.push_back(Output::Send(InMessage::Answer(InAnswer {
                        info_hash: self.config.info_hash,
                        peer_id: self.config.peer_id,
                        to_peer_id,
                        answer,
                        offer_id,
                        tracker_id: self.tracker_id.clone(),
                    })));
                }
            }
            Input::Stats(stats) => self.stats = stats,
            Input::WantPeers => {
                if self.conn == Conn::Connected {
                    let gap = self
                        .tracker_min_interval
                        .map_or(self.config.min_interval, |t| {
                            t.max(self.config.min_interval)
                        });
                    let earliest = self.last_announce.map_or(now, |at| (at + gap).max(now));
                    if self.next_announce.is_none_or(|at| at > earliest) {
                        self.next_announce = Some(earliest);
                    }
                }
            }
            Input::Completed => {
                if self.completed == Completion::NotYet {
                    self.completed = Completion::Pending;
                }
                self.flush_completed();
            }
            Input::Stop => {
                if self.conn == Conn::Connected {
                    let numwant = Some(self.config.numwant);
                    self.send_announce(Some(AnnounceEvent::Stopped), numwant, None);
                }
                self.awaiting = None;
                self.expire_pending();
                self.next_announce = None;
                self.conn = Conn::Stopped;
            }
        }
    }

    /// Fires the timers that are due at `now` (call it when [`Announcer::poll_timeout`] passed;
    /// calling it early or twice is harmless).
    pub fn handle_timeout(&mut self, now: Millis) {
        match self.conn {
            Conn::Backoff { until } if until <= now => {
                self.conn = Conn::Connecting;
                self.out.push_back(Output::Connect);
            }
            Conn::Connected => {
                let (expired, kept): (Vec<_>, Vec<_>) =
                    self.pending.iter().partition(|p| p.expires <= now);
                self.pending = kept;
                self.expire_all(expired.into_iter().map(|p| p.offer_id));
                if self.next_announce.is_some_and(|at| at <= now) {
                    if self.awaiting.is_some() {
                        // The previous announce still waits for its offers: skip this one.
                        self.next_announce = Some(now + self.interval);
                    } else {
                        self.request_announce(now, None);
                    }
                }
            }
            _ => {}
        }
    }

    /// The next output, or `None` when drained.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// When [`Announcer::handle_timeout`] must be called next; `None` = only on input.
    pub fn poll_timeout(&self) -> Option<Millis> {
        match self.conn {
            Conn::Backoff { until } => Some(until),
            Conn::Connected => {
                let expiry = self.pending.iter().map(|p| p.expires).min();
                match (self.next_announce, expiry) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            Conn::Connecting | Conn::Stopped => None,
        }
    }

    /// Whether [`Input::Stop`] was handled (nothing more will be emitted).
    pub fn is_stopped(&self) -> bool {
        self.conn == Conn::Stopped
    }

    /// Whether the socket is believed open.
    pub fn is_connected(&self) -> bool {
        self.conn == Conn::Connected
    }

    /// The current periodic interval.
    pub fn interval(&self) -> core::time::Duration {
        self.interval
    }

    /// Consecutive reconnect attempts since the last announce response.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// The `tracker id` the tracker gave us, if any.
    pub fn tracker_id(&self) -> Option<&str> {
        self.tracker_id.as_deref()
    }

    /// Offers sent and still waiting for an answer.
    pub fn pending_offers(&self) -> impl Iterator<Item = &OfferId> {
        self.pending.iter().map(|p| &p.offer_id)
    }

    /// The configuration.
    pub fn config(&self) -> &AnnouncerConfig {
        &self.config
    }

    /// Arms the periodic timer and asks for offers (or sends at once when none are wanted).
    fn request_announce(&mut self, now: Millis, event: Option<AnnounceEvent>) {
        self.next_announce = Some(now + self.interval);
        self.last_announce = Some(now);
        let count = self.config.offers_per_announce();
        if count == 0 {
            let numwant = Some(self.config.numwant);
            self.send_announce(event, numwant, None);
        } else {
            self.awaiting = Some(OfferRequest { count, event });
            self.out.push_back(Output::NeedOffers(count));
        }
    }

    fn on_offers(&mut self, now: Millis, mut offers: Vec<InOffer>) {
        let (Conn::Connected, Some(request)) = (self.conn, self.awaiting.take()) else {
            self.expire_all(offers.iter().map(|o| o.offer_id));
            return;
        };
        if offers.len() > request.count {
            let extra = offers.split_off(request.count);
            self.expire_all(extra.iter().map(|o| o.offer_id));
        }
        let expires = now + self.config.offer_timeout;
        self.pending.extend(offers.iter().map(|o| PendingOffer {
            offer_id: o.offer_id,
            expires,
        }));
        let numwant = u64::try_from(request.count).ok();
        self.send_announce(request.event, numwant, Some(offers));
    }

    fn send_announce(
        &mut self,
        event: Option<AnnounceEvent>,
        numwant: Option<u64>,
        offers: Option<Vec<InOffer>>,
    ) {
        self.out
            .push_back(Output::Send(InMessage::Announce(InAnnounce {
                info_hash: self.config.info_hash,
                peer_id: self.config.peer_id,
                numwant,
                uploaded: Some(self.stats.uploaded),
                downloaded: Some(self.stats.downloaded),
                left: self.stats.left,
                event,
                tracker_id: self.tracker_id.clone(),
                offers,
            })));
        if event == Some(AnnounceEvent::Started) {
            self.started_sent = true;
            self.flush_completed();
        }
    }

    /// Sends `completed` if it is pending and allowed now (Connected, after `started`).
    fn flush_completed(&mut self) {
        if self.completed == Completion::Pending
            && self.conn == Conn::Connected
            && self.started_sent
        {
            self.completed = Completion::Sent;
            let numwant = Some(self.config.numwant);
            self.send_announce(Some(AnnounceEvent::Completed), numwant, None);
        }
    }

    fn on_disconnected(&mut self, now: Millis) {
        if !matches!(self.conn, Conn::Connected | Conn::Connecting) {
            return;
        }
        self.awaiting = None;
        self.next_announce = None;
        self.expire_pending();
        let delay = reconnect_delay(self.retries, self.rng.next_u64(), &self.config);
        self.retries = self.retries.saturating_add(1);
        self.conn = Conn::Backoff { until: now + delay };
    }

    fn on_message(&mut self, now: Millis, msg: OutMessage) {
        if msg.info_hash().is_some_and(|h| *h != self.config.info_hash) {
            return;
        }
        match msg {
            OutMessage::AnnounceResponse(resp) => self.on_announce_response(now, resp),
            OutMessage::Offer(offer) => {
                if offer.peer_id != self.config.peer_id {
                    self.out.push_back(Output::RelayedOffer {
                        peer_id: offer.peer_id,
                        offer_id: offer.offer_id,
                        offer: offer.offer,
                    });
                }
            }
            OutMessage::Answer(answer) => {
                if answer.peer_id == self.config.peer_id {
                    return;
                }
                if let Some(i) = self
                    .pending
                    .iter()
                    .position(|p| p.offer_id == answer.offer_id)
                {
                    self.pending.remove(i);
                    self.out.push_back(Output::RelayedAnswer {
                        peer_id: answer.peer_id,
                        offer_id: answer.offer_id,
                        answer: answer.answer,
                    });
                }
            }
            OutMessage::ScrapeResponse(scrape) => {
                if let Some(stats) = scrape.stats_for(&self.config.info_hash) {
                    self.out.push_back(Output::Swarm {
                        complete: Some(stats.complete),
                        incomplete: Some(stats.incomplete),
                    });
                }
            }
            OutMessage::Error(err) => self.out.push_back(Output::Warning(err.failure_reason)),
        }
    }

    fn on_announce_response(&mut self, now: Millis, resp: OutAnnounceResponse) {
        self.retries = 0;
        let secs = match (resp.interval, resp.min_interval) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if let Some(secs) = resp.min_interval {
            self.tracker_min_interval = Some(self.config.clamp_interval(secs));
        }
        if let Some(secs) = secs {
            self.interval = self.config.clamp_interval(secs);
            self.next_announce = Some(now + self.interval);
        }
        if let Some(id) = resp.tracker_id.filter(|id| !id.is_empty()) {
            self.tracker_id = Some(id);
        }
        if resp.complete.is_some() || resp.incomplete.is_some() {
            self.out.push_back(Output::Swarm {
                complete: resp.complete,
                incomplete: resp.incomplete,
            });
        }
        if let Some(text) = resp.warning_message {
            self.out.push_back(Output::Warning(text));
        }
    }

    fn expire_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.expire_all(pending.into_iter().map(|p| p.offer_id));
    }

    fn expire_all(&mut self, ids: impl IntoIterator<Item = OfferId>) {
        self.out.extend(ids.into_iter().map(Output::ExpireOffer));
    }
}
