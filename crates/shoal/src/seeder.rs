//! The companion's seeder: one [`session::Session`] per seeded file, all announcing over one
//! WebSocket to the tracker (frames routed to their torrent by info hash) and answering the
//! browsers' relayed offers through one native WebRTC host. The sessions do the driving; this
//! file runs one task that moves events between them, the host, the socket and the clock.
//!
//! Torrents come and go while it runs (a live channel's segments, the gateway's torrents,
//! through [`SeederChange`]): a removed torrent's session is stopped (it announces `stopped`
//! and closes its peers) and its slot is reused; the bytes it sent stay counted. A gateway
//! torrent arrives with its metadata and grows piece by piece as the gateway verifies them.
//!
//! Bounds: at most `max_peers_per_torrent` connections per torrent and the host's cap in total;
//! offers beyond either are refused (not answered). A file that changes on disk leaves the
//! swarm (its pieces are refused from then on).

#[cfg(test)]
mod gateway_tests;
mod platform;
mod torrents;

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
use rtc::{ConnId, DataChannelHost, HostConfig, RtcEvent, Str0mHost};
use session::{Event, TrackerIdx};
use swarm::{Millis, PeerKey};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tracker_proto::OutMessage;

use self::{
    platform::SharedTracker,
    torrents::{Kind, Seeded, Uploaded},
};
use crate::{process::BadInput, seedable::Seedable};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Figures shared with the HTTP side (`/metrics`) and progress lines.
#[derive(Debug, Default)]
pub(crate) struct SeederFigures {
    /// Piece bytes sent over WebRTC (library files and channel segments).
    pub(crate) uploaded_webrtc: AtomicU64,
    /// The part of `uploaded_webrtc` that was live channel segments.
    pub(crate) uploaded_webrtc_channels: AtomicU64,
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

/// A torrent to start or stop seeding while the seeder runs.
pub(crate) enum SeederChange {
    /// Seed a live channel's newly published segment.
    AddChannelSegment(Box<Seedable>),
    /// Seed a torrent the gateway is downloading from TCP peers, from its metadata on: an
    /// upload-only engine over the gateway's piece folder, its pieces following as
    /// [`SeederChange::GatewayPiece`] (see `gateway/hybrid.rs`).
    AddGatewayTorrent(Box<Seedable>),
    /// A piece the gateway verified, read back from its folder and hashed: imported into that
    /// gateway torrent (the engine compares the digest with the torrent's) and announced to
    /// its peers. A piece that does not match is dropped with a warning.
    GatewayPiece {
        hash: InfoHash,
        piece: u32,
        bytes: swarm::HashedPiece,
    },
    /// Stop seeding a channel's segment (it left its channel's DVR window).
    Remove(InfoHash),
    /// Stop seeding a gateway torrent (the gateway removed it); a library file of the same
    /// info hash stays.
    RemoveGatewayTorrent(InfoHash),
}

/// Binds the native WebRTC host the seeder answers offers with (`shoal serve` and `shoal seed`
/// alike): at most `max_peers` connections, a bind failure reported against `--webrtc-listen`.
pub(crate) async fn bind_host(
    listen: std::net::SocketAddr,
    max_peers: usize,
) -> Result<Str0mHost, BadInput> {
    let host = Str0mHost::bind(
        listen,
        HostConfig::default().with_max_connections(max_peers),
    )
    .await
    .map_err(|e| BadInput(format!("--webrtc-listen {listen}: {e}")))?;
    tracing::info!(udp = %host.local_addr(), "WebRTC peer ready");
    Ok(host)
}

/// Like [`bind_host`], on libdatachannel (`shoal seed --rtc libdatachannel`).
#[cfg(feature = "libdatachannel")]
pub(crate) fn bind_libdatachannel_host(
    listen: std::net::SocketAddr,
    max_peers: usize,
) -> Result<rtc::LibDataChannelHost, BadInput> {
    let host = rtc::LibDataChannelHost::bind(
        listen,
        HostConfig::default().with_max_connections(max_peers),
    )
    .map_err(|e| BadInput(format!("--webrtc-listen {listen}: {e}")))?;
    tracing::info!(udp = %host.local_addr(), "WebRTC peer ready (libdatachannel)");
    Ok(host)
}

/// Runs the seeder until `shutdown` resolves, then announces `stopped` and returns. `changes`
/// adds and removes torrents while it runs.
pub(crate) async fn run<H: DataChannelHost>(
    cfg: SeederConfig,
    mut host: H,
    files: Vec<Seedable>,
    mut changes: Option<mpsc::UnboundedReceiver<SeederChange>>,
    figures: Arc<SeederFigures>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let start = Instant::now();
    let mut s = Seeder {
        start,
        torrents: Vec::new(),
        owners: BTreeMap::new(),
        tracker: SharedTracker::default(),
        ws: None,
        next_connect: start,
        figures,
        retired: Uploaded::default(),
        cfg,
    };
    for seedable in files {
        s.add(&mut host, seedable, Kind::Library);
    }
    tokio::pin!(shutdown);
    let mut last_upload = 0;
    let mut next_stats = start;
    loop {
        s.settle(&mut host).await;
        let now = Instant::now();
        if s.tracker.want_connect && s.ws.is_none() && now >= s.next_connect {
            s.connect(&mut host).await;
            continue;
        }
        if now >= next_stats {
            next_stats = now + Duration::from_secs(10);
            last_upload = s.report(&mut host, last_upload);
        }
        let wake = s.next_wake().min(next_stats);
        let ws = s.ws.as_mut();
        let frame = async move {
            match ws {
                Some(ws) => ws.next().await,
                None => std::future::pending().await,
            }
        };
        let change = async {
            match changes.as_mut() {
                Some(rx) => rx.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = host.next_event() => s.rtc_event(&mut host, event),
            frame = frame => s.frame(&mut host, frame),
            change = change => match change {
                Some(SeederChange::AddChannelSegment(seedable)) => s.add(&mut host, *seedable, Kind::Channel),
                Some(SeederChange::AddGatewayTorrent(seedable)) => s.add(&mut host, *seedable, Kind::Gateway),
                Some(SeederChange::GatewayPiece { hash, piece, bytes }) => s.import(&mut host, hash, piece, bytes),
                Some(SeederChange::Remove(hash)) => s.remove(&mut host, hash, Kind::Channel),
                Some(SeederChange::RemoveGatewayTorrent(hash)) => s.remove(&mut host, hash, Kind::Gateway),
                // Every sender is gone: nothing more will change.
                None => changes = None,
            },
            () = tokio::time::sleep_until(wake.into()) => s.timers(&mut host),
            () = &mut shutdown => break,
        }
    }
    for t in 0..s.torrents.len() {
        s.with(&mut host, t, |session, p| session.stop(p));
    }
    s.settle(&mut host).await;
    if let Some(mut ws) = s.ws.take() {
        let _ = ws.close(None).await;
    }
}

struct Seeder {
    cfg: SeederConfig,
    start: Instant,
    /// Seeded torrents by slot; a removed torrent leaves `None` (slots are reused), so the
    /// indices in `owners` stay valid.
    torrents: Vec<Option<Seeded>>,
    /// Host connection → (torrent, its key in that torrent's session).
    owners: BTreeMap<ConnId, (usize, PeerKey)>,
    tracker: SharedTracker,
    ws: Option<Ws>,
    next_connect: Instant,
    figures: Arc<SeederFigures>,
    /// Bytes sent by torrents no longer seeded.
    retired: Uploaded,
}

impl Seeder {
    fn now(&self) -> Millis {
        Millis(u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// Feeds the queued results until none is left, then sends the queued frames.
    async fn settle<H: DataChannelHost>(&mut self, host: &mut H) {
        for t in 0..self.torrents.len() {
            while let Some(event) = self
                .torrents
                .get_mut(t)
                .and_then(Option::as_mut)
                .and_then(|s| s.io.queue.pop_front())
            {
                self.feed(host, t, event);
            }
        }
        // After every event: only the two counters, not the whole `stats()` (which copies the
        // piece map and the tracker statuses of every torrent).
        let mut peers = 0;
        let mut uploaded = self.retired;
        for t in self.torrents.iter().flatten() {
            peers += t.session.open_peers() as u64;
            uploaded.add(t.kind, t.session.engine().stats().uploaded);
        }
        self.figures.peers.store(peers, Ordering::Relaxed);
        self.figures
            .uploaded_webrtc
            .store(uploaded.library + uploaded.channels, Ordering::Relaxed);
        self.figures
            .uploaded_webrtc_channels
            .store(uploaded.channels, Ordering::Relaxed);
        for text in std::mem::take(&mut self.tracker.outbox) {
            let failed = match self.ws.as_mut() {
                Some(ws) => ws.send(Message::Text(text.into())).await.is_err(),
                None => false,
            };
            if failed {
                self.connect_failed(host, "sending to the tracker failed");
                break;
            }
        }
    }

    fn next_wake(&self) -> Instant {
        let mut wake = Instant::now() + Duration::from_secs(1);
        for t in self.torrents.iter().flatten() {
            if let Some(at) = t.io.timer {
                wake = wake.min(self.start + Duration::from_millis(at.0));
            }
        }
        if self.tracker.want_connect && self.ws.is_none() {
            wake = wake.min(self.next_connect);
        }
        wake
    }

    fn timers<H: DataChannelHost>(&mut self, host: &mut H) {
        let now = self.now();
        for t in 0..self.torrents.len() {
            let Some(io) = self
                .torrents
                .get_mut(t)
                .and_then(Option::as_mut)
                .map(|s| &mut s.io)
            else {
                continue;
            };
            if io.timer.is_some_and(|at| at <= now) {
                io.timer = None;
                self.feed(host, t, Event::Timer);
            }
        }
    }

    /// Every session's tracker: the shared socket opened or closed.
    fn tell_all<H: DataChannelHost>(&mut self, host: &mut H, event: fn(TrackerIdx) -> Event) {
        for t in 0..self.torrents.len() {
            self.feed(host, t, event(TrackerIdx(0)));
        }
    }

    async fn connect<H: DataChannelHost>(&mut self, host: &mut H) {
        let url = self.cfg.tracker_url.clone();
        let result = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async(url.as_str()),
        )
        .await;
        match result {
            Ok(Ok((ws, _))) => {
                tracing::info!(tracker = %url, "connected to the tracker");
                self.ws = Some(ws);
                self.tracker.open = true;
                self.tracker.want_connect = false;
                self.tell_all(host, |tracker| Event::TrackerOpen { tracker });
            }
            Ok(Err(error)) => self.connect_failed(host, &error.to_string()),
            Err(_) => self.connect_failed(host, "timed out"),
        }
    }

    fn connect_failed<H: DataChannelHost>(&mut self, host: &mut H, why: &str) {
        tracing::warn!(tracker = %self.cfg.tracker_url, "tracker unreachable: {why}");
        self.ws = None;
        self.tracker.open = false;
        self.tracker.want_connect = false;
        // Each announcer schedules its own reconnect (backoff) and asks again.
        self.tell_all(host, |tracker| Event::TrackerClosed { tracker });
    }

    fn frame<H: DataChannelHost>(
        &mut self,
        host: &mut H,
        frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) {
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_)) | Err(_)) | None => {
                self.connect_failed(host, "the tracker closed the connection");
                return;
            }
            Some(Ok(_)) => return,
        };
        let message = match OutMessage::from_json(text.as_str()) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(%error, "the tracker sent a message we cannot read");
                return;
            }
        };
        let tracker = TrackerIdx(0);
        match addressee(&message) {
            Some(hash) => {
                let t = self
                    .torrents
                    .iter()
                    .position(|s| s.as_ref().is_some_and(|s| s.session.info_hash() == hash));
                if let Some(t) = t {
                    let message = Ok(message);
                    self.feed(host, t, Event::TrackerMessage { tracker, message });
                }
            }
            None => {
                for t in 0..self.torrents.len() {
                    let message = Ok(message.clone());
                    self.feed(host, t, Event::TrackerMessage { tracker, message });
                }
            }
        }
    }

    fn rtc_event<H: DataChannelHost>(&mut self, host: &mut H, event: RtcEvent) {
        let conn = match &event {
            RtcEvent::Open(conn) | RtcEvent::Data(conn, _) | RtcEvent::Closed(conn) => *conn,
        };
        let Some(&(t, peer)) = self.owners.get(&conn) else {
            host.close(conn);
            return;
        };
        let event = match event {
            RtcEvent::Open(_) => Event::PeerOpen { peer },
            RtcEvent::Data(_, bytes) => Event::PeerData { peer, bytes },
            RtcEvent::Closed(_) => {
                self.owners.remove(&conn);
                if let Some(s) = self.torrents.get_mut(t).and_then(Option::as_mut) {
                    s.io.conns.remove(&peer);
                }
                Event::PeerClosed { peer }
            }
        };
        self.feed(host, t, event);
    }

    /// Drops files that changed on disk and logs a progress line.
    fn report<H: DataChannelHost>(&mut self, host: &mut H, last_upload: u64) -> u64 {
        for t in 0..self.torrents.len() {
            let Some(s) = self.torrents.get_mut(t).and_then(Option::as_mut) else {
                continue;
            };
            if !s.session.is_stopped() && s.session.engine_mut().storage_mut().is_stale() {
                // The file changed under us: its pieces are refused from now on; leave the
                // swarm instead of advertising pieces we no longer serve.
                tracing::warn!(
                    torrent = %s.name,
                    "no longer seeding: the file changed (restart to re-hash it)"
                );
                self.with(host, t, |session, p| session.stop(p));
            }
        }
        let total = self.figures.uploaded_webrtc.load(Ordering::Relaxed);
        if total != last_upload {
            tracing::info!(
                peers = self.owners.len(),
                "seeding: {:.1} MiB sent to peers",
                total as f64 / f64::from(1u32 << 20)
            );
        }
        total
    }
}

/// The torrent a tracker message is for; `None` for every torrent on the socket (a scrape
/// response or a failure without an info hash: each session picks what concerns it).
fn addressee(message: &OutMessage) -> Option<InfoHash> {
    match message {
        OutMessage::AnnounceResponse(m) => Some(m.info_hash),
        OutMessage::Offer(m) => Some(m.info_hash),
        OutMessage::Answer(m) => Some(m.info_hash),
        OutMessage::Error(m) => m.info_hash,
        OutMessage::ScrapeResponse(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use tracker_proto::{OutAnnounceResponse, OutError, OutOffer, SessionDescription};

    use super::*;

    #[test]
    fn tracker_messages_go_to_their_torrent_and_failures_without_one_to_all() {
        let hash = metainfo::Id20([7; 20]);
        let offer = OutMessage::Offer(OutOffer {
            offer: SessionDescription::offer("v=0".to_owned()),
            offer_id: metainfo::Id20([1; 20]),
            peer_id: metainfo::Id20([2; 20]),
            info_hash: hash,
        });
        assert_eq!(addressee(&offer), Some(hash));
        let response = OutMessage::AnnounceResponse(OutAnnounceResponse {
            info_hash: hash,
            complete: None,
            incomplete: None,
            interval: Some(120),
            min_interval: None,
            tracker_id: None,
            warning_message: None,
        });
        assert_eq!(addressee(&response), Some(hash));
        let text = r#"{"failure reason":"go away"}"#;
        let failure = OutMessage::from_json(text).expect("a failure reason parses");
        assert!(matches!(
            &failure,
            OutMessage::Error(OutError {
                info_hash: None,
                ..
            })
        ));
        assert_eq!(addressee(&failure), None);
    }
}
