//! The peers' lifecycle: slots (every connection counts from the moment it is started),
//! offers waiting for their SDP or their answer, answers being made, the connect and
//! first-byte deadlines, and telling the engine about connections that open and end.

use std::net::SocketAddr;
use vecmap::VecMap;

use swarm::{Input, Millis, PeerKey, PieceHasher};
use tracker_proto::OfferId;

use crate::{
    config::{CONNECT_TIMEOUT_MS, FIRST_BYTE_TIMEOUT_MS},
    dialer::AddrBook,
    platform::{Notice, Platform, TrackerIdx},
    Session,
};

/// Where a connection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Our offer is being made for tracker `.0`'s next announce.
    Offering(TrackerIdx),
    /// Our offer went out with an announce; nobody answered yet.
    Offered,
    /// We answer a relayed offer; the answer goes back through this tracker.
    Answering {
        tracker: TrackerIdx,
        to_peer_id: metainfo::PeerId,
        offer_id: OfferId,
    },
    /// A remote peer is on the other side (it answered, or we answered it, or it dialled
    /// us); the connection is not open yet.
    Connecting,
    /// Open; `got_data` once anything arrived.
    Open { got_data: bool },
}

#[derive(Debug)]
struct Peer {
    stage: Stage,
    /// When it is closed unless it moved on (open, or got its first byte).
    deadline: Option<Millis>,
    /// The remote end of a connection the platform accepted (TCP), if it said.
    accepted_from: Option<SocketAddr>,
}

/// Every connection of the session, open or not.
#[derive(Debug, Default)]
pub(crate) struct Peers {
    map: VecMap<PeerKey, Peer>,
    next: u64,
    /// Our offers handed to an announcer → their connection.
    pub(crate) by_offer: VecMap<OfferId, PeerKey>,
    /// Addresses to dial, and which connections were dialled to which.
    pub(crate) addrs: AddrBook,
}

impl Peers {
    /// How many of `asked` new connections fit under `max`.
    pub(crate) fn free(&self, max: usize, asked: usize) -> usize {
        asked.min(max.saturating_sub(self.map.len()))
    }

    pub(crate) fn add(&mut self, stage: Stage, now: Millis) -> PeerKey {
        let key = PeerKey(self.next);
        self.next += 1;
        let peer = Peer {
            stage,
            deadline: Some(now.plus(CONNECT_TIMEOUT_MS)),
            accepted_from: None,
        };
        self.map.insert(key, peer);
        key
    }

    pub(crate) fn stage(&self, key: PeerKey) -> Option<&Stage> {
        self.map.get(&key).map(|p| &p.stage)
    }

    pub(crate) fn set_stage(&mut self, key: PeerKey, stage: Stage) {
        if let Some(p) = self.map.get_mut(&key) {
            p.stage = stage;
        }
    }

    /// Our offer went out with an announce: from now on the announcer's offer expiry, not the
    /// connect deadline, decides how long it waits for an answer.
    pub(crate) fn offered(&mut self, key: PeerKey) {
        if let Some(p) = self.map.get_mut(&key) {
            p.stage = Stage::Offered;
            p.deadline = None;
        }
    }

    /// Our offer was answered: the connection has [`CONNECT_TIMEOUT_MS`] from now to open.
    pub(crate) fn answered(&mut self, key: PeerKey, now: Millis) {
        if let Some(p) = self.map.get_mut(&key) {
            p.stage = Stage::Connecting;
            p.deadline = Some(now.plus(CONNECT_TIMEOUT_MS));
        }
    }

    /// Removes a connection and its offer (a dialled address waits before its next dial);
    /// returns the stage it was in.
    pub(crate) fn remove(&mut self, key: PeerKey, now: Millis) -> Option<Stage> {
        self.by_offer.retain(|_, k| *k != key);
        let stage = self.map.remove(&key).map(|p| p.stage);
        let opened = matches!(stage, Some(Stage::Open { got_data: true }));
        self.addrs.released(key, opened, now);
        stage
    }

    /// Marks bytes from `key`; whether it is open (the bytes are for the engine).
    pub(crate) fn got_data(&mut self, key: PeerKey) -> bool {
        match self.map.get_mut(&key) {
            Some(p) => match &mut p.stage {
                Stage::Open { got_data } => {
                    *got_data = true;
                    p.deadline = None;
                    true
                }
                Stage::Offering(_)
                | Stage::Offered
                | Stage::Answering { .. }
                | Stage::Connecting => false,
            },
            None => false,
        }
    }

    pub(crate) fn keys(&self) -> Vec<PeerKey> {
        self.map.keys().copied().collect()
    }

    /// Open connections.
    pub(crate) fn open(&self) -> usize {
        self.map
            .values()
            .filter(|p| matches!(p.stage, Stage::Open { .. }))
            .count()
    }

    /// Connections with a remote peer whose channel is not open yet.
    pub(crate) fn connecting(&self) -> usize {
        self.map
            .values()
            .filter(|p| matches!(p.stage, Stage::Answering { .. } | Stage::Connecting))
            .count()
    }

    pub(crate) fn next_deadline(&self) -> Option<Millis> {
        self.map.values().filter_map(|p| p.deadline).min()
    }

    fn overdue(&self, now: Millis) -> Vec<PeerKey> {
        self.map
            .iter()
            .filter(|(_, p)| p.deadline.is_some_and(|d| d <= now))
            .map(|(k, _)| *k)
            .collect()
    }
}

impl<S: swarm::Storage, H: PieceHasher> Session<S, H> {
    /// An incoming connection the platform accepted without signalling (a TCP listener): a
    /// key for it if a slot is free, else `None` (close it). Feed [`Event::PeerOpen`] next.
    ///
    /// [`Event::PeerOpen`]: crate::Event::PeerOpen
    pub fn accept_peer(&mut self) -> Option<PeerKey> {
        if self.stopped_or_full() {
            return None;
        }
        Some(self.peers.add(Stage::Connecting, self.now))
    }

    /// [`Session::accept_peer`] for a connection from `remote` (a TCP listener knows it): the
    /// engine passes the peer's address on to others (BEP 11) once its handshake names the
    /// port it listens on.
    pub fn accept_peer_from(&mut self, remote: SocketAddr) -> Option<PeerKey> {
        let key = self.accept_peer()?;
        if let Some(p) = self.peers.map.get_mut(&key) {
            p.accepted_from = Some(remote);
        }
        Some(key)
    }

    pub(crate) fn stopped_or_full(&self) -> bool {
        self.is_stopped() || self.peers.free(self.cfg.max_peers, 1) == 0
    }

    pub(crate) fn peer_open(&mut self, peer: PeerKey, platform: &mut impl Platform) {
        let Some(stage) = self.peers.stage(peer) else {
            // Closed here already; the platform's close may have crossed its open.
            platform.close_peer(peer);
            return;
        };
        if matches!(stage, Stage::Open { .. }) {
            return;
        }
        self.peers.by_offer.retain(|_, k| *k != peer);
        self.peers.set_stage(peer, Stage::Open { got_data: false });
        if let Some(p) = self.peers.map.get_mut(&peer) {
            p.deadline = Some(self.now.plus(FIRST_BYTE_TIMEOUT_MS));
        }
        self.engine
            .handle_input(self.now, Input::PeerConnected { peer });
        let address = match self.peers.addrs.dialled_addr(peer) {
            Some(addr) => Some((addr, true)),
            None => self
                .peers
                .map
                .get(&peer)
                .and_then(|p| p.accepted_from)
                .map(|addr| (addr, false)),
        };
        if let Some((addr, dialled)) = address {
            let input = Input::PeerAddress {
                peer,
                addr,
                dialled,
            };
            self.engine.handle_input(self.now, input);
        }
        platform.notice(Notice::PeerOpened(peer));
    }

    /// The platform lost a connection: forget it, and tell the engine if it knew it.
    pub(crate) fn forget_peer(&mut self, peer: PeerKey, platform: &mut impl Platform) {
        let Some(stage) = self.peers.remove(peer, self.now) else {
            return;
        };
        match stage {
            Stage::Open { .. } => {
                self.last_peer_close = Some("the connection closed".to_owned());
                self.engine.handle_input(self.now, Input::PeerGone { peer });
                platform.notice(Notice::PeerGone(peer));
            }
            Stage::Offering(tracker) => self.offer_failed(tracker, peer),
            Stage::Offered | Stage::Answering { .. } | Stage::Connecting => {}
        }
    }

    /// Closes a connection the session gives up on.
    pub(crate) fn close_peer(&mut self, peer: PeerKey, platform: &mut impl Platform) {
        if self.peers.stage(peer).is_some() {
            platform.close_peer(peer);
            self.forget_peer(peer, platform);
        }
    }

    /// Connections that did not open in time, or opened and stayed silent, are closed.
    pub(crate) fn close_overdue_peers(&mut self, platform: &mut impl Platform) {
        for peer in self.peers.overdue(self.now) {
            self.close_peer(peer, platform);
        }
    }
}
