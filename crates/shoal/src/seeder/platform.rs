//! The companion as a [`session::Platform`]: peers are connections of the native WebRTC host,
//! the tracker is one WebSocket shared by every seeded torrent, hashing is inline. Results the
//! host gives at once (answers, send failures, digests) are queued and fed after the call.

use std::{
    collections::{BTreeMap, VecDeque},
    ops::Range,
    sync::{atomic::Ordering, Arc},
};

use rtc::{ConnId, DataChannelHost};
use session::{Event, GetId, Notice, Platform, TrackerIdx};
use swarm::{HttpError, Millis, PeerKey, PieceHasher as _};

use super::SeederFigures;

/// The one WebSocket to the tracker, as the sessions see it.
#[derive(Debug, Default)]
pub(super) struct SharedTracker {
    /// The socket is open.
    pub(super) open: bool,
    /// A session asked for the socket while it was closed.
    pub(super) want_connect: bool,
    /// Text frames to send, in order.
    pub(super) outbox: Vec<String>,
}

/// One seeded torrent's side of the platform.
#[derive(Debug, Default)]
pub(super) struct TorrentIo {
    /// Its connections on the host.
    pub(super) conns: BTreeMap<PeerKey, ConnId>,
    /// Results to feed its session.
    pub(super) queue: VecDeque<Event>,
    /// When its session wants [`Event::Timer`].
    pub(super) timer: Option<Millis>,
}

/// What one session's calls act on, borrowed for the length of one call into the session.
pub(super) struct HostPlatform<'a, H> {
    pub(super) host: &'a mut H,
    /// Which torrent (its index in the seeder), for the host-wide connection map.
    pub(super) torrent: usize,
    pub(super) io: &'a mut TorrentIo,
    pub(super) owners: &'a mut BTreeMap<ConnId, (usize, PeerKey)>,
    pub(super) tracker: &'a mut SharedTracker,
    pub(super) figures: &'a Arc<SeederFigures>,
    pub(super) name: &'a str,
}

impl<H: DataChannelHost> Platform for HostPlatform<'_, H> {
    fn tracker_connect(&mut self, tracker: TrackerIdx, _url: &str) {
        if self.tracker.open {
            self.io.queue.push_back(Event::TrackerOpen { tracker });
        } else {
            self.tracker.want_connect = true;
        }
    }

    fn tracker_send(&mut self, _tracker: TrackerIdx, text: String) {
        self.tracker.outbox.push(text);
    }

    fn tracker_close(&mut self, _tracker: TrackerIdx) {
        // The socket is shared: it closes when the seeder stops, after every `stopped`.
    }

    fn create_offer(&mut self, peer: PeerKey) {
        // Sessions here run with `max_offers` 0: browsers offer, the tracker relays to us.
        self.io.queue.push_back(Event::PeerClosed { peer });
    }

    fn answer_offer(&mut self, peer: PeerKey, offer_sdp: &str) {
        match self.host.accept_offer(offer_sdp) {
            Ok((conn, sdp)) => {
                self.io.conns.insert(peer, conn);
                self.owners.insert(conn, (self.torrent, peer));
                self.io.queue.push_back(Event::AnswerMade { peer, sdp });
            }
            Err(error) => {
                self.figures.offers_refused.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%error, "offer refused");
                self.io.queue.push_back(Event::PeerClosed { peer });
            }
        }
    }

    fn apply_answer(&mut self, peer: PeerKey, _answer_sdp: &str) {
        // No offers, so no answers to apply (see `create_offer`).
        self.io.queue.push_back(Event::PeerClosed { peer });
    }

    fn dial(&mut self, peer: PeerKey, _addr: std::net::SocketAddr) {
        // The seeder's sessions have no classic trackers and are handed no addresses.
        self.io.queue.push_back(Event::PeerClosed { peer });
    }

    fn classic_tracker_request(
        &mut self,
        tracker: session::ClassicTrackerIdx,
        _request: session::ClassicRequest,
    ) {
        let reply = Err("the WebRTC seeder announces to WebSocket trackers only".to_owned());
        self.io
            .queue
            .push_back(Event::ClassicTrackerReply { tracker, reply });
    }

    fn send(&mut self, peer: PeerKey, bytes: Vec<u8>) {
        let Some(&conn) = self.io.conns.get(&peer) else {
            return;
        };
        if self.host.send(conn, &bytes).is_err() {
            self.close_peer(peer);
            self.io.queue.push_back(Event::PeerClosed { peer });
        }
    }

    fn close_peer(&mut self, peer: PeerKey) {
        if let Some(conn) = self.io.conns.remove(&peer) {
            self.owners.remove(&conn);
            self.host.close(conn);
        }
    }

    fn http_get(&mut self, get: GetId, _url: &str, _range: Range<u64>) {
        // The engine starts with every piece and has no webseeds (seedable.rs clears them).
        let result = Err(HttpError::Network);
        self.io.queue.push_back(Event::HttpDone { get, result });
    }

    fn http_cancel(&mut self, _get: GetId) {}

    fn hash_piece(&mut self, piece: u32, data: Vec<u8>) {
        let digest = crate::native_sha1::NativeSha1.sha1(&data);
        self.io.queue.push_back(Event::PieceHashed {
            piece,
            digest,
            data,
        });
    }

    // The seeder's engine reads its files through `FileStorage` and never runs with
    // `external_store`; a store request is answered as by a platform without one.
    fn store_write(&mut self, piece: u32, _data: Vec<u8>) {
        let result = Err(swarm::StoreError::Failed);
        self.io
            .queue
            .push_back(Event::PieceStored { piece, result });
    }

    fn store_read(&mut self, piece: u32) {
        let result = Err(swarm::StoreError::Missing);
        self.io
            .queue
            .push_back(Event::PieceLoaded { piece, result });
    }

    fn set_timer(&mut self, at: Option<Millis>) {
        self.io.timer = at;
    }

    fn notice(&mut self, notice: Notice) {
        match notice {
            Notice::PeerOpened(peer) => {
                let conn = self.io.conns.get(&peer).map(|c| c.0);
                tracing::info!(conn, torrent = %self.name, "peer connected over WebRTC");
            }
            Notice::OfferRefused => {
                self.figures.offers_refused.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(torrent = %self.name, "offer refused: torrent at its peer cap");
            }
            Notice::TrackerWarning { text, .. } => {
                tracing::warn!(warning = %text, "tracker warning")
            }
            Notice::PeerGone(_)
            | Notice::ReaderReady(_)
            | Notice::MetadataReady
            | Notice::Complete => {}
        }
    }
}
