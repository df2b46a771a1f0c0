//! The async shell around the swarm state: accept, TLS, HTTP head, WebSocket, and moving messages.
//!
//! One task per connection, on a multi-threaded runtime. The task owns its connection's
//! [`Connection`](crate::swarm::Connection) (memberships, rate and failure budgets) and decodes
//! each message itself; the message then runs in the shard of its info hash under that shard's
//! lock only ([`shards`]), so connections whose torrents live in different shards proceed in
//! parallel. Replies to the sender are written straight to its own socket; messages for other
//! connections go through their bounded queues (`try_send`: a client that does not read loses
//! messages instead of growing our memory).

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, SocketAddr},
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex, PoisonError,
    },
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::{TcpListener, TcpStream},
    sync::watch,
    task::JoinSet,
};
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::{
    tungstenite::{protocol::Role, protocol::WebSocketConfig, Message},
    WebSocketStream,
};
use tracker_proto::{Millis, OutMessage};

use crate::{
    http,
    metrics::{Counters, ErrorKind, SharedCounters, Snapshot},
    swarm::{shard_seed, ConnId, Shard, SwarmTotals, Tally},
    Config, ConfigError, SwarmConfig,
};

use self::shards::Shards;

mod shards;
mod tls;
mod websocket;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrackerError {
    /// Binding or reading the listener failed.
    #[error("tracker I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The certificate or key could not be loaded.
    #[error("TLS setup: {0}")]
    Tls(String),
}

/// What every task shares.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) swarm_config: SwarmConfig,
    pub(crate) ws_config: WebSocketConfig,
    pub(crate) shards: Shards,
    started: Instant,
    next_conn: AtomicU64,
    pub(crate) open_ws: AtomicU64,
    pub(crate) total_ws: AtomicU64,
    /// What connections count outside the shards (scrapes, failures, abuse closes).
    pub(crate) counters: SharedCounters,
    open_tcp: AtomicUsize,
    per_ip: Mutex<HashMap<IpAddr, usize>>,
    pub(crate) stop: watch::Receiver<bool>,
}

impl Shared {
    fn new(config: Config, stop: watch::Receiver<bool>) -> Arc<Self> {
        let seed = config.rng_seed.unwrap_or_else(clock_seed);
        let max_len = config.limits.max_message_size;
        let ws_config = WebSocketConfig::default()
            .read_buffer_size(8 * 1024)
            .write_buffer_size(8 * 1024)
            .max_write_buffer_size(1 << 20)
            .max_message_size(Some(max_len * 4))
            .max_frame_size(Some(max_len * 4));
        let swarm_config = SwarmConfig::from(&config);
        let shards = (0..config.shard_count())
            .map(|i| Shard::new(swarm_config.clone(), shard_seed(seed, i)));
        Arc::new(Self {
            shards: Shards::new(shards),
            swarm_config,
            config,
            ws_config,
            started: Instant::now(),
            next_conn: AtomicU64::new(1),
            open_ws: AtomicU64::new(0),
            total_ws: AtomicU64::new(0),
            counters: SharedCounters::default(),
            open_tcp: AtomicUsize::new(0),
            per_ip: Mutex::new(HashMap::new()),
            stop,
        })
    }

    pub(crate) fn now(&self) -> Millis {
        Millis(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    pub(crate) fn count(&self, kind: ErrorKind) {
        self.counters.tally(Tally::Error(kind));
    }

    pub(crate) fn next_conn(&self) -> ConnId {
        ConnId(self.next_conn.fetch_add(1, Ordering::Relaxed))
    }

    /// Everything `/stats` and `/metrics` report: the shards' figures summed (one shard locked
    /// at a time, so the sum is not one instant's, only close to it).
    pub(crate) fn snapshot(&self) -> Snapshot {
        let mut totals = SwarmTotals::default();
        let mut counters = Counters::default();
        for index in 0..self.shards.len() {
            let slot = self.shards.lock(index);
            totals.add(slot.shard.totals());
            counters.add(slot.shard.counters());
        }
        self.counters.add_to(&mut counters);
        Snapshot {
            connections: self.open_ws.load(Ordering::Relaxed),
            connections_total: self.total_ws.load(Ordering::Relaxed),
            swarms: totals.swarms,
            peers: totals.peers,
            seeders: totals.seeders,
            uptime_secs: self.started.elapsed().as_secs(),
            counters,
        }
    }

    /// Admits a TCP connection if the total and per-IP limits allow it.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Admission> {
        let limits = &self.config.limits;
        if self.open_tcp.fetch_add(1, Ordering::Relaxed) >= limits.max_connections {
            self.open_tcp.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        let mut per_ip = self.per_ip.lock().unwrap_or_else(PoisonError::into_inner);
        let n = per_ip.entry(ip).or_insert(0);
        if *n >= limits.max_connections_per_ip {
            drop(per_ip);
            self.open_tcp.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        *n += 1;
        Some(Admission {
            shared: Arc::clone(self),
            ip,
        })
    }
}

/// Releases a connection's place in the limits when its task ends.
struct Admission {
    shared: Arc<Shared>,
    ip: IpAddr,
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.shared.open_tcp.fetch_sub(1, Ordering::Relaxed);
        let mut per_ip = self
            .shared
            .per_ip
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

/// Serves the tracker on `listener` until `shutdown` completes, then closes every connection
/// (waiting up to 5 s for them to finish).
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), TrackerError> {
    config.validate()?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(tls::acceptor(cert, key)?),
        _ => None,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let shared = Shared::new(config, stop_rx);
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    tracing::info!(addr = %listener.local_addr()?, scheme, "tracker listening");
    let cleaner = tokio::spawn(clean_periodically(Arc::clone(&shared)));
    let mut tasks = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, addr)) => match shared.admit(addr.ip()) {
                    Some(admission) => {
                        let task = connection(Arc::clone(&shared), tcp, addr, tls.clone(), admission);
                        tasks.spawn(task);
                    }
                    None => shared.count(ErrorKind::ConnectionLimit),
                },
                Err(err) => {
                    // Usually out of file descriptors: wait instead of spinning.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Err(err) = done {
                    tracing::error!(%err, "connection task failed");
                }
            }
        }
    }
    tracing::info!(connections = tasks.len(), "shutting down");
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while tasks.join_next().await.is_some() {}
    });
    if drained.await.is_err() {
        tasks.abort_all();
    }
    cleaner.abort();
    tracing::info!("tracker stopped");
    Ok(())
}

/// The tracker inside another server, on that server's port: the host accepts the TCP
/// connections and hands over those meant for the tracker (e.g. `GET /announce`) with
/// [`Embedded::handle_connection`]. Same limits, same protocol, same figures as [`serve`]; no TLS
/// (the host terminates it if it wants).
pub struct Embedded {
    shared: Arc<Shared>,
    stop_tx: watch::Sender<bool>,
    cleaner: tokio::task::JoinHandle<()>,
}

impl Embedded {
    /// Starts the tracker's state and its cleaner task (call inside a Tokio runtime).
    pub fn new(config: Config) -> Result<Self, TrackerError> {
        config.validate()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let shared = Shared::new(config, stop_rx);
        let cleaner = tokio::spawn(clean_periodically(Arc::clone(&shared)));
        Ok(Self {
            shared,
            stop_tx,
            cleaner,
        })
    }

    /// Serves one connection from its first byte: reads the HTTP head itself, then upgrades to
    /// a WebSocket (any path) or answers `/stats`, `/metrics`. Returns when it closes. Refused
    /// at once when over the configured connection limits.
    pub async fn handle_connection<S>(&self, stream: S, addr: SocketAddr)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        match self.shared.admit(addr.ip()) {
            Some(_admission) => handle_stream(Arc::clone(&self.shared), stream, addr).await,
            None => self.shared.count(ErrorKind::ConnectionLimit),
        }
    }

    /// The figures `/stats` and `/metrics` report.
    pub fn snapshot(&self) -> Snapshot {
        self.shared.snapshot()
    }

    /// Closes every tracker connection (they finish their current message first).
    pub fn shutdown(&self) {
        let _ = self.stop_tx.send(true);
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        let _ = self.stop_tx.send(true);
        self.cleaner.abort();
    }
}

fn clock_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

/// Sweeps each shard in turn, holding one shard's lock at a time.
async fn clean_periodically(shared: Arc<Shared>) {
    let period = Duration::from_secs(shared.config.clean_interval_secs);
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        for index in 0..shared.shards.len() {
            let now = shared.now();
            shared.shards.lock(index).shard.clean(now);
        }
    }
}

async fn connection(
    shared: Arc<Shared>,
    tcp: TcpStream,
    addr: SocketAddr,
    tls: Option<TlsAcceptor>,
    _admission: Admission,
) {
    let _ = tcp.set_nodelay(true);
    match tls {
        None => handle_stream(shared, tcp, addr).await,
        Some(acceptor) => {
            let deadline = Duration::from_secs(shared.config.limits.handshake_timeout_secs);
            match tokio::time::timeout(deadline, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => handle_stream(shared, stream, addr).await,
                _ => shared.count(ErrorKind::Handshake),
            }
        }
    }
}

/// Reads the HTTP head, then upgrades to WebSocket or answers a plain request.
async fn handle_stream<S>(shared: Arc<Shared>, mut stream: S, addr: SocketAddr)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let deadline = Duration::from_secs(shared.config.limits.handshake_timeout_secs);
    let head = tokio::time::timeout(deadline, http::read_head(&mut stream)).await;
    let Ok(Ok((request, rest))) = head else {
        shared.count(ErrorKind::Handshake);
        return;
    };
    if let Some(key) = &request.websocket_key {
        if http::accept_websocket(&mut stream, key).await.is_err() {
            shared.count(ErrorKind::Handshake);
            return;
        }
        let ws = WebSocketStream::from_partially_read(
            stream,
            rest,
            Role::Server,
            Some(shared.ws_config),
        )
        .await;
        websocket::run(shared, ws, addr).await;
        return;
    }
    let path = request.path.split('?').next().unwrap_or_default();
    let (status, content_type, body) = match (request.method.as_str(), path) {
        ("GET", "/stats") => ("200 OK", "application/json", shared.snapshot().to_json()),
        ("GET", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4",
            shared.snapshot().to_prometheus(),
        ),
        ("GET", "/") => (
            "200 OK",
            "text/plain; charset=utf-8",
            "Shoal WebTorrent tracker: announce over a WebSocket to this address.\n".to_owned(),
        ),
        _ => ("404 Not Found", "text/plain", "not found\n".to_owned()),
    };
    let _ = http::respond(&mut stream, status, content_type, &body).await;
}

/// Text for our own socket, as a WebSocket message.
pub(crate) fn text_message(message: &OutMessage) -> Message {
    Message::text(message.to_json())
}
