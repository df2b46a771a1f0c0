//! The gateway: the companion as a peer of ordinary TCP BitTorrent swarms, streaming what it
//! downloads over HTTP. Each torrent is one [`session::Session`] (the engine the browser runs)
//! on the TCP platform (`platform.rs`), in a task of its own (`torrent.rs`); pieces go to disk
//! (`piece_store.rs`); peers come from the torrent's HTTP(S) and UDP trackers, PEX, the mainline
//! DHT (`dht.rs`, one node for every torrent) and a TCP listener shared by every torrent, which
//! reads the start of each handshake to route the connection by info hash. The HTTP side
//! (`routes.rs`) adds, shows, streams and removes.
//!
//! Bounds: at most `max_torrents` torrents and `max_peers_per_torrent` connections each;
//! `per_ip_streams` concurrent streams per client address; an incoming connection that does
//! not send its handshake in time is dropped, and only so many wait for theirs at once
//! (`accept.rs`). A request for bytes or metadata waits
//! while peers are connected (at most `wait_for_peers`) and gives up after `no_peer_grace`
//! without an open peer or a useful byte (`wait.rs`). Optional caps: the bytes all TCP peers
//! move per second (`rate_cap.rs`) and the disk all torrents' pieces take (`disk_cap.rs`).

mod accept;
mod dht;
mod disk_cap;
pub(crate) mod hls;
mod hybrid;
mod net;
mod piece_store;
mod platform;
mod rate_cap;
pub(crate) mod routes;
mod stream_slot;
mod torrent;
mod wait;
mod webseed_routes;

use std::{
    collections::{BTreeMap, HashMap},
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use metainfo::{InfoHash, Magnet, Metainfo};
use session::{Session, SessionConfig};
use swarm::Engine;
use tokio::{net::TcpListener, sync::mpsc};

pub(crate) use self::dht::{run_nodes as run_dht_nodes, DhtConfig};
use crate::native_sha1::NativeSha1;

use self::{
    dht::DhtNode,
    platform::TcpPlatform,
    rate_cap::PeerCaps,
    torrent::{Cmd, Torrent},
};
pub(crate) use self::{hybrid::SeedHandoff, piece_store::PieceStore, stream_slot::StreamSlot};

/// Most requests kept out at one TCP peer (the engine's default, 128, is WebTorrent's). A
/// Transmission seeder answers requests in bursts, once per bandwidth pulse (500 ms), so one
/// peer's rate is at most the requests out per pulse: 128 × 16 KiB every 500 ms is 4 MiB/s,
/// where the gateway stalled (docs/benchmarks.md). 500 is libtorrent's default request
/// queue; a peer's own `reqq` still caps it, and the rate rule (1 s of data) still decides.
const TCP_MAX_PIPELINE: u32 = 500;

/// Settings of the gateway.
#[derive(Debug, Clone)]
pub(crate) struct GatewayConfig {
    /// Where incoming TCP peers connect.
    pub(crate) peer_listen: SocketAddr,
    /// Where pieces are kept, one folder per torrent.
    pub(crate) dir: PathBuf,
    pub(crate) max_torrents: usize,
    pub(crate) max_peers_per_torrent: usize,
    /// Concurrent `/stream` responses per client address.
    pub(crate) per_ip_streams: usize,
    /// How long a stream waits for the metadata or its first bytes before it answers 504.
    pub(crate) wait_for_peers: Duration,
    /// How long a request waits when the torrent has no open peer and no peer sent it a
    /// useful byte: then it answers 503 with `Retry-After` (the torrent keeps looking).
    pub(crate) no_peer_grace: Duration,
    /// HTTP/UDP trackers added to every torrent.
    pub(crate) extra_trackers: Vec<String>,
    /// The mainline DHT node's settings; `None` runs without the DHT.
    pub(crate) dht: Option<DhtConfig>,
    /// Caps on what all TCP peers together download and upload, KiB/s (`None`: no cap).
    pub(crate) max_download_kib: Option<u64>,
    pub(crate) max_upload_kib: Option<u64>,
    /// Cap on the pieces of all torrents together, bytes (`None`: no cap; see `disk_cap.rs`).
    pub(crate) max_disk_bytes: Option<u64>,
    pub(crate) peer_id: [u8; 20],
    /// Where torrents go, from their metadata on, to be seeded over WebRTC too (`None`: no
    /// WebRTC seeder).
    pub(crate) seed_handoff: Option<SeedHandoff>,
    /// The `/hls/` side: where ffmpeg reads from and writes to, how many run at once.
    pub(crate) hls: hls::HlsConfig,
}

/// The gateway's figures for `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct GatewayFigures {
    pub(crate) peers: AtomicU64,
    pub(crate) downloaded: AtomicU64,
    pub(crate) uploaded: AtomicU64,
    pub(crate) streams: AtomicU64,
    pub(crate) streamed: AtomicU64,
    pub(crate) incoming_refused: AtomicU64,
    /// Torrents removed to keep within the disk cap.
    pub(crate) evicted: AtomicU64,
}

/// A running torrent, as the HTTP side holds it.
#[derive(Clone)]
pub(crate) struct Handle {
    pub(crate) cmds: mpsc::UnboundedSender<Cmd>,
    /// Its peers and when one last sent something useful, for the waits (`wait.rs`).
    pub(crate) health: tokio::sync::watch::Receiver<wait::Health>,
    /// Its open responses and last use, for the disk cap (`disk_cap.rs`).
    pub(crate) usage: Arc<disk_cap::Usage>,
}

/// The gateway, shared by the HTTP handlers and the listener.
pub(crate) struct Gateway {
    cfg: GatewayConfig,
    /// The TCP port peers reach us on (announced to trackers).
    port: u16,
    /// The peer listener's address (never dialled: the DHT lists it once we announce).
    own: SocketAddr,
    dht: Option<DhtNode>,
    start: Instant,
    torrents: Mutex<BTreeMap<InfoHash, Handle>>,
    /// Every torrent task started, to wait for at shutdown.
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    streams_per_ip: Mutex<HashMap<IpAddr, usize>>,
    /// Torrents added so far, to name each add's piece folder (see [`Gateway::torrent_dir`]).
    adds: AtomicU64,
    pub(crate) figures: Arc<GatewayFigures>,
    /// HTTP(S) tracker announces and the rate caps, shared by every torrent's sockets.
    net: net::Shared,
    /// `/hls/…`: plans and ffmpeg runs (`hls/`).
    hls: Arc<hls::Hls>,
}

/// Why a torrent could not be added.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AddError {
    #[error("the gateway already runs {0} torrents (its limit); remove one first")]
    Full(usize),
    #[error("cannot make the torrent's folder: {0}")]
    Disk(std::io::Error),
}

impl Gateway {
    /// Binds the peer listener and starts accepting peers.
    pub(crate) async fn start(cfg: GatewayConfig) -> std::io::Result<Arc<Self>> {
        let listener = TcpListener::bind(cfg.peer_listen).await?;
        let own = listener.local_addr()?;
        let port = own.port();
        tracing::info!(port, "gateway accepting BitTorrent peers over TCP");
        let net = net::Shared {
            http: net::tracker_client().map_err(std::io::Error::other)?,
            caps: PeerCaps::from_kib(cfg.max_download_kib, cfg.max_upload_kib),
        };
        let dht = cfg.dht.clone().map(DhtNode::start);
        let hls = hls::Hls::new(cfg.hls.clone());
        let gateway = Arc::new(Self {
            cfg,
            port,
            own,
            dht,
            start: Instant::now(),
            torrents: Mutex::new(BTreeMap::new()),
            tasks: Mutex::new(Vec::new()),
            streams_per_ip: Mutex::new(HashMap::new()),
            adds: AtomicU64::new(0),
            figures: Arc::new(GatewayFigures::default()),
            net,
            hls,
        });
        tokio::spawn(accept::accept_peers(listener, Arc::downgrade(&gateway)));
        if let Some(cap) = gateway.cfg.max_disk_bytes {
            tokio::spawn(disk_cap::watch(Arc::downgrade(&gateway), cap));
        }
        Ok(gateway)
    }

    /// Milliseconds since the gateway started.
    pub(crate) fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn config(&self) -> &GatewayConfig {
        &self.cfg
    }

    /// The `/hls/` side.
    pub(crate) fn hls(&self) -> &hls::Hls {
        &self.hls
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<InfoHash, Handle>> {
        self.torrents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The torrent of `hash`, if it runs.
    pub(crate) fn get(&self, hash: &InfoHash) -> Option<Handle> {
        self.lock().get(hash).cloned()
    }

    /// Every running torrent.
    pub(crate) fn all(&self) -> Vec<(InfoHash, Handle)> {
        self.lock().iter().map(|(h, t)| (*h, t.clone())).collect()
    }

    /// How many torrents run.
    pub(crate) fn count(&self) -> usize {
        self.lock().len()
    }

    /// Stops and forgets a torrent (and deletes its pieces); whether it ran.
    pub(crate) fn remove(&self, hash: &InfoHash) -> bool {
        // The task ends when its command channel closes, and deletes its pieces then.
        self.hls.forget(hash);
        self.lock().remove(hash).is_some()
    }

    /// A new piece folder for `hash`, `HASH.N`: each add has its own. A removed torrent's task
    /// deletes its folder when it has left the swarm, which can be after the same torrent was
    /// added again; with one folder per info hash it deleted the new torrent's, every piece the
    /// new one downloaded then failed to store, and its stream waited out the whole wait.
    fn torrent_dir(&self, hash: &InfoHash) -> PathBuf {
        let n = self.adds.fetch_add(1, Ordering::Relaxed);
        self.cfg.dir.join(format!("{}.{n}", hash.to_hex()))
    }

    /// Adds a torrent by magnet (the metadata comes from peers, BEP 9) or by its metainfo;
    /// returns whether it is new (an info hash already running is left as it is).
    pub(crate) fn add(&self, source: Source) -> Result<(InfoHash, bool), AddError> {
        let (hash, trackers, peers, name) = match &source {
            Source::Magnet(m) => (
                m.info_hash,
                m.trackers.clone(),
                m.peers.clone(),
                m.display_name.clone(),
            ),
            Source::Torrent(meta) => (
                meta.info_hash,
                meta.announce.iter().flatten().cloned().collect(),
                Vec::new(),
                Some(meta.info.name.clone()),
            ),
        };
        let mut torrents = self.lock();
        if torrents.contains_key(&hash) {
            return Ok((hash, false));
        }
        if torrents.len() >= self.cfg.max_torrents {
            return Err(AddError::Full(self.cfg.max_torrents));
        }
        let dir = self.torrent_dir(&hash);
        let store = PieceStore::create(dir.clone()).map_err(AddError::Disk)?;
        let seed = crate::session_seed(&hash);
        let mut engine_cfg = swarm::Config::new(metainfo::PeerId::from(self.cfg.peer_id), seed);
        // TCP peers have addresses worth passing on (BEP 11).
        engine_cfg.pex = true;
        engine_cfg.listen_port = Some(self.port);
        engine_cfg.max_pipeline = TCP_MAX_PIPELINE;
        // No web seeds: the gateway is the HTTP source for others, and reads from peers only.
        let engine = match source {
            Source::Magnet(_) => {
                Engine::from_magnet(engine_cfg, hash, Vec::new(), store, NativeSha1)
            }
            Source::Torrent(mut meta) => {
                meta.url_list.clear();
                Engine::new(engine_cfg, &meta, store, NativeSha1)
            }
        };
        let mut cfg = SessionConfig::new(self.cfg.peer_id, seed);
        cfg.classic_trackers = trackers
            .into_iter()
            .filter(|t| !t.starts_with("ws"))
            .chain(self.cfg.extra_trackers.iter().cloned())
            .collect();
        cfg.listen_port = self.port;
        cfg.max_offers = 0;
        cfg.max_peers = self.cfg.max_peers_per_torrent;
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let (cmds_tx, cmds_rx) = mpsc::unbounded_channel();
        let label = name.unwrap_or_else(|| hash.to_hex());
        let mut platform = TcpPlatform::new(events_tx.clone(), label, self.net.clone());
        let now = swarm::Millis(self.now_ms());
        let session = Session::start(engine, cfg, now, &mut platform);
        let addrs: Vec<SocketAddr> = peers.iter().filter_map(|p| p.parse().ok()).collect();
        if !addrs.is_empty() {
            let _ = events_tx.send(session::Event::PeerAddrs { addrs });
        }
        if let Some(dht) = &self.dht {
            tokio::spawn(dht.clone().serve_torrent(hash, self.own, events_tx.clone()));
        }
        let (health_tx, health) =
            tokio::sync::watch::channel(wait::Health::new(tokio::time::Instant::now()));
        let torrent = Torrent::new(
            session,
            platform,
            self.start,
            Arc::clone(&self.figures),
            dir,
            health_tx,
            self.cfg.seed_handoff.clone(),
        );
        let task = tokio::spawn(torrent.run(events_rx, cmds_rx));
        let mut tasks = self
            .tasks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
        torrents.insert(
            hash,
            Handle {
                cmds: cmds_tx,
                health,
                usage: disk_cap::Usage::new(self.now_ms()),
            },
        );
        tracing::info!(info_hash = %hash.to_hex(), "gateway torrent added");
        Ok((hash, true))
    }

    /// Stops every torrent (each announces `stopped` and deletes its pieces) and waits for them,
    /// at most `within`, plus a moment for the `stopped` announces to leave.
    pub(crate) async fn stop_all(&self, within: Duration) {
        self.lock().clear();
        let tasks = std::mem::take(
            &mut *self
                .tasks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if tasks.is_empty() {
            return;
        }
        let all = futures_util::future::join_all(tasks);
        let _ = tokio::time::timeout(within, all).await;
        // The announces run in tasks of their own (one GET or datagram each, on loopback or
        // nearby): give them a moment before the runtime goes.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// What a torrent is added from.
pub(crate) enum Source {
    Magnet(Magnet),
    Torrent(Box<Metainfo>),
}
