//! The companion's seeder: one swarm engine per seeded file, one tracker announcer per torrent
//! sharing one WebSocket to the tracker, and one native WebRTC host answering the browsers'
//! relayed offers. Everything runs on one task; the engines and announcers are sans-IO, so this
//! file only moves bytes between them, the socket and the clock.
//!
//! Bounds: at most `max_peers_per_torrent` connections per torrent and the host's cap in total;
//! offers beyond either are refused (not answered). Connections that fail are closed by the
//! host and forgotten here.

use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use metainfo::InfoHash;
use rtc::{ConnId, DataChannelHost, RtcEvent};
use swarm::{Input as EngineInput, Output as EngineOutput, PeerKey};
use tokio_tungstenite::tungstenite::Message;
use tracker_proto::{
    Announcer, AnnouncerConfig, Input as AnnInput, OutMessage, Output as AnnOutput,
    SessionDescription,
};

use crate::seedable::Seedable;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Figures shared with the HTTP side (`/metrics`) and progress lines.
#[derive(Debug, Default)]
pub(crate) struct SeederFigures {
    /// Piece bytes sent over WebRTC.
    pub(crate) uploaded_webrtc: AtomicU64,
    /// Open peer connections.
    pub(crate) peers: AtomicU64,
    /// Offers refused at a cap.
    pub(crate) offers_refused: AtomicU64,
}

/// Seeder settings.
pub(crate) struct SeederConfig {
    pub(crate) tracker_url: String,
    pub(crate) peer_id: [u8; 20],
    pub(crate) max_peers_per_torrent: usize,
}

struct Torrent {
    seedable: Seedable,
    announcer: Announcer,
    peers: usize,
    /// The file changed: the torrent left the swarm.
    dropped: bool,
}

/// Runs the seeder until `shutdown` resolves, then announces `stopped` and returns.
pub(crate) async fn run<H: DataChannelHost>(
    cfg: SeederConfig,
    mut host: H,
    files: Vec<Seedable>,
    figures: Arc<SeederFigures>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let start = Instant::now();
    let mut s = Seeder {
        cfg,
        start,
        torrents: BTreeMap::new(),
        conns: BTreeMap::new(),
        ws: None,
        want_connect: false,
        next_connect: start,
        figures,
    };
    for seedable in files {
        let info_hash = seedable.meta.info_hash;
        let mut config = AnnouncerConfig::new(info_hash, metainfo::PeerId::from(s.cfg.peer_id))
            .with_stats(tracker_proto::Stats {
                uploaded: 0,
                downloaded: 0,
                left: Some(0),
            });
        // A seeder never makes offers: browsers offer, the tracker relays them to us.
        config.max_offers = 0;
        // The reference client's up-to-5-minute jitter suits millions of browsers, not one
        // companion waiting for its (often local) tracker to come back.
        config.reconnect_base = Duration::from_secs(5);
        config.reconnect_jitter = Duration::from_secs(5);
        let announcer = Announcer::new(config);
        s.torrents.insert(
            info_hash,
            Torrent {
                seedable,
                announcer,
                peers: 0,
                dropped: false,
            },
        );
    }
    tokio::pin!(shutdown);
    let mut last_upload = 0;
    let mut next_stats = start;
    loop {
        s.drain(&mut host).await;
        let now = Instant::now();
        if s.want_connect && s.ws.is_none() && now >= s.next_connect {
            s.connect().await;
            continue;
        }
        if now >= next_stats {
            next_stats = now + Duration::from_secs(10);
            last_upload = s.report(last_upload);
        }
        let wake = s.next_wake().min(next_stats);
        let ws = s.ws.as_mut();
        let frame = async move {
            match ws {
                Some(ws) => ws.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = host.next_event() => s.rtc_event(&mut host, event),
            frame = frame => s.frame(frame),
            () = tokio::time::sleep_until(wake.into()) => s.tick(),
            () = &mut shutdown => break,
        }
    }
    let now = s.millis();
    for t in s.torrents.values_mut() {
        t.announcer
            .handle_input(tracker_proto::Millis(now), AnnInput::Stop);
    }
    s.drain(&mut host).await;
    if let Some(mut ws) = s.ws.take() {
        let _ = ws.close(None).await;
    }
}

struct Seeder {
    cfg: SeederConfig,
    start: Instant,
    torrents: BTreeMap<InfoHash, Torrent>,
    conns: BTreeMap<ConnId, InfoHash>,
    ws: Option<Ws>,
    want_connect: bool,
    next_connect: Instant,
    figures: Arc<SeederFigures>,
}

impl Seeder {
    fn millis(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn next_wake(&self) -> Instant {
        let mut wake = Instant::now() + Duration::from_secs(1);
        for t in self.torrents.values() {
            let engine_at = t.seedable.engine.poll_timeout().0;
            wake = wake.min(self.start + Duration::from_millis(engine_at));
            if let Some(at) = t.announcer.poll_timeout() {
                wake = wake.min(self.start + Duration::from_millis(at.0));
            }
        }
        if self.want_connect && self.ws.is_none() {
            wake = wake.min(self.next_connect);
        }
        wake
    }

    async fn connect(&mut self) {
        let url = self.cfg.tracker_url.clone();
        let result = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async(url.as_str()),
        )
        .await;
        let now = tracker_proto::Millis(self.millis());
        match result {
            Ok(Ok((ws, _))) => {
                tracing::info!(tracker = %url, "connected to the tracker");
                self.ws = Some(ws);
                self.want_connect = false;
                for t in self.torrents.values_mut() {
                    t.announcer.handle_input(now, AnnInput::Connected);
                }
            }
            Ok(Err(error)) => self.connect_failed(&error.to_string()),
            Err(_) => self.connect_failed("timed out"),
        }
    }

    fn connect_failed(&mut self, why: &str) {
        tracing::warn!(tracker = %self.cfg.tracker_url, "tracker unreachable: {why}");
        self.ws = None;
        self.want_connect = false;
        let now = tracker_proto::Millis(self.millis());
        // Each announcer schedules its own reconnect (backoff) and asks again with `Connect`.
        for t in self.torrents.values_mut() {
            t.announcer.handle_input(now, AnnInput::Disconnected);
        }
    }

    fn frame(&mut self, frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) {
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_)) | Err(_)) | None => {
                self.connect_failed("the tracker closed the connection");
                return;
            }
            Some(Ok(_)) => return,
        };
        match OutMessage::from_json(text.as_str()) {
            Ok(message) => {
                let now = tracker_proto::Millis(self.millis());
                for t in self.torrents.values_mut() {
                    t.announcer
                        .handle_input(now, AnnInput::Message(message.clone()));
                }
            }
            Err(error) => tracing::warn!(%error, "the tracker sent a message we cannot read"),
        }
    }

    fn tick(&mut self) {
        let now = self.millis();
        for t in self.torrents.values_mut() {
            t.announcer.handle_timeout(tracker_proto::Millis(now));
            t.seedable
                .engine
                .handle_input(swarm::Millis(now), EngineInput::Tick);
        }
    }

    fn rtc_event<H: DataChannelHost>(&mut self, host: &mut H, event: RtcEvent) {
        let now = swarm::Millis(self.millis());
        let (conn, input) = match &event {
            RtcEvent::Open(conn) => (*conn, None),
            RtcEvent::Data(conn, bytes) => (*conn, Some(bytes.as_slice())),
            RtcEvent::Closed(conn) => (*conn, None),
        };
        let Some(info_hash) = self.conns.get(&conn).copied() else {
            host.close(conn);
            return;
        };
        let Some(t) = self.torrents.get_mut(&info_hash) else {
            return;
        };
        let peer = PeerKey(conn.0);
        match (&event, input) {
            (RtcEvent::Open(_), _) => {
                tracing::info!(conn = conn.0, torrent = %t.seedable.meta.info.name, "peer connected over WebRTC");
                self.figures.peers.fetch_add(1, Ordering::Relaxed);
                t.seedable
                    .engine
                    .handle_input(now, EngineInput::PeerConnected { peer });
            }
            (RtcEvent::Data(..), Some(bytes)) => t
                .seedable
                .engine
                .handle_input(now, EngineInput::PeerData { peer, bytes }),
            _ => {
                self.conns.remove(&conn);
                t.peers = t.peers.saturating_sub(1);
                if t.seedable.engine.peer_id_of(peer).is_some() {
                    self.figures.peers.fetch_sub(1, Ordering::Relaxed);
                }
                t.seedable
                    .engine
                    .handle_input(now, EngineInput::PeerGone { peer });
            }
        }
    }

    /// Acts on every pending announcer and engine output.
    async fn drain<H: DataChannelHost>(&mut self, host: &mut H) {
        let now = self.millis();
        let mut to_send = Vec::new();
        let mut gone = Vec::new();
        for (info_hash, t) in &mut self.torrents {
            while let Some(out) = t.announcer.poll_output() {
                match out {
                    AnnOutput::Connect => {
                        if self.ws.is_some() {
                            t.announcer
                                .handle_input(tracker_proto::Millis(now), AnnInput::Connected);
                        } else if !self.want_connect {
                            self.want_connect = true;
                            self.next_connect = Instant::now();
                        }
                    }
                    AnnOutput::Send(message) => to_send.push(message.to_json()),
                    AnnOutput::NeedOffers(_) => t.announcer.handle_input(
                        tracker_proto::Millis(now),
                        AnnInput::OffersReady(Vec::new()),
                    ),
                    AnnOutput::RelayedOffer {
                        peer_id,
                        offer_id,
                        offer,
                    } => {
                        if t.peers >= self.cfg.max_peers_per_torrent {
                            self.figures.offers_refused.fetch_add(1, Ordering::Relaxed);
                            tracing::debug!("offer refused: torrent at its peer cap");
                            continue;
                        }
                        match host.accept_offer(&offer.sdp) {
                            Ok((conn, answer)) => {
                                t.peers += 1;
                                self.conns.insert(conn, *info_hash);
                                t.announcer.handle_input(
                                    tracker_proto::Millis(now),
                                    AnnInput::AnswerReady {
                                        to_peer_id: peer_id,
                                        offer_id,
                                        answer: SessionDescription::answer(answer),
                                    },
                                );
                            }
                            Err(error) => {
                                self.figures.offers_refused.fetch_add(1, Ordering::Relaxed);
                                tracing::debug!(%error, "offer refused");
                            }
                        }
                    }
                    AnnOutput::Warning(warning) => {
                        tracing::warn!(%warning, "tracker warning");
                    }
                    _ => {}
                }
            }
            while let Some(out) = t.seedable.engine.poll_output() {
                match out {
                    EngineOutput::Send { peer, bytes } => {
                        let sent = host.send(ConnId(peer.0), &bytes);
                        if sent.is_err() {
                            gone.push((*info_hash, peer));
                        }
                    }
                    EngineOutput::Close { peer, reason } => {
                        tracing::debug!(?reason, "closing a peer");
                        host.close(ConnId(peer.0));
                        if self.conns.remove(&ConnId(peer.0)).is_some() {
                            t.peers = t.peers.saturating_sub(1);
                            self.figures.peers.fetch_sub(1, Ordering::Relaxed);
                        }
                    }
                    EngineOutput::HttpRequest { id, .. } => {
                        t.seedable.engine.handle_input(
                            swarm::Millis(now),
                            EngineInput::HttpResponse {
                                id,
                                result: Err(swarm::HttpError::Network),
                            },
                        );
                    }
                    _ => {}
                }
            }
        }
        let uploaded = self
            .torrents
            .values()
            .map(|t| t.seedable.engine.stats().uploaded)
            .sum();
        self.figures
            .uploaded_webrtc
            .store(uploaded, Ordering::Relaxed);
        for (info_hash, peer) in gone {
            if let Some(t) = self.torrents.get_mut(&info_hash) {
                t.seedable
                    .engine
                    .handle_input(swarm::Millis(now), EngineInput::PeerGone { peer });
            }
        }
        for text in to_send {
            let failed = match self.ws.as_mut() {
                Some(ws) => ws.send(Message::Text(text.into())).await.is_err(),
                None => false,
            };
            if failed {
                self.connect_failed("sending to the tracker failed");
            }
        }
    }

    /// Logs a progress line and feeds new transfer figures to the announcers.
    fn report(&mut self, last_upload: u64) -> u64 {
        let now = tracker_proto::Millis(self.millis());
        let mut total = 0;
        for t in self.torrents.values_mut() {
            if !t.dropped && t.seedable.engine.storage_mut().is_stale() {
                // The file changed under us: its pieces are refused from now on; leave the
                // swarm instead of advertising pieces we no longer serve.
                tracing::warn!(
                    torrent = %t.seedable.meta.info.name,
                    "no longer seeding: the file changed (restart to re-hash it)"
                );
                t.dropped = true;
                t.announcer.handle_input(now, AnnInput::Stop);
            }
            let stats = t.seedable.engine.stats();
            total += stats.uploaded;
            t.announcer.handle_input(
                now,
                AnnInput::Stats(tracker_proto::Stats {
                    uploaded: stats.uploaded,
                    downloaded: 0,
                    left: Some(0),
                }),
            );
        }
        self.figures.uploaded_webrtc.store(total, Ordering::Relaxed);
        if total != last_upload {
            tracing::info!(
                peers = self.conns.len(),
                "seeding: {:.1} MiB sent to peers",
                total as f64 / f64::from(1u32 << 20)
            );
        }
        total
    }
}
