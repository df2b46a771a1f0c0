//! The mainline DHT (BEP 5) for gateway torrents, through the `mainline` crate (which runs its
//! node on a thread of its own). One node serves every torrent: each torrent's lookup task asks
//! it for peers (`get_peers`) and announces the gateway's TCP peer port (`announce_peer`) on a
//! schedule, and hands the addresses to the torrent's session as [`session::Event::PeerAddrs`],
//! the same way tracker and magnet addresses arrive. The node is built off the async runtime
//! (resolving the default bootstrap routers may block) and torrents wait for it.

use std::{
    net::{Ipv4Addr, SocketAddr},
    time::Duration,
};

use futures_util::StreamExt as _;
use mainline::{async_dht::AsyncDht, Dht, Id};
use metainfo::InfoHash;
use tokio::sync::watch;

use super::net::Events;

/// Waits between lookups of one torrent: soon again while a swarm is young (peers announce
/// themselves over the first minutes), then every [`LOOKUP_EVERY`] (announced peers expire
/// after about 30 minutes on most nodes, so this also renews our announce).
const FIRST_WAITS: [Duration; 4] = [
    Duration::from_secs(15),
    Duration::from_secs(30),
    Duration::from_secs(60),
    Duration::from_secs(120),
];
const LOOKUP_EVERY: Duration = Duration::from_secs(300);
/// Most addresses taken from one lookup (the session's address book is bounded too).
const MAX_PEERS_PER_LOOKUP: usize = 500;

/// How the gateway's DHT node is set up.
#[derive(Debug, Clone)]
pub(crate) struct DhtConfig {
    /// UDP address of the node; port 0 picks a free port.
    pub(crate) listen: SocketAddr,
    /// `host:port` nodes to join the network through; empty means the crate's default
    /// routers (router.bittorrent.com and others).
    pub(crate) bootstrap: Vec<String>,
}

/// The gateway's DHT node, once it is built (or `None` for good, when it could not be).
#[derive(Clone)]
pub(crate) struct DhtNode {
    node: watch::Receiver<Option<Option<AsyncDht>>>,
}

impl DhtNode {
    /// Starts building the node on a blocking thread; returns at once.
    pub(crate) fn start(cfg: DhtConfig) -> Self {
        let (tx, rx) = watch::channel(None);
        tokio::spawn(async move {
            let bootstrap = cfg.bootstrap.clone();
            let built = tokio::task::spawn_blocking(move || build(&cfg)).await;
            let node = match built {
                Ok(Ok(dht)) => {
                    let dht = dht.as_async();
                    let port = dht.info().await.local_addr().port();
                    tracing::info!(port, ?bootstrap, "gateway DHT node running");
                    Some(dht)
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, "the gateway's DHT node could not start; torrents use trackers only");
                    None
                }
                Err(_) => None,
            };
            let _ = tx.send(Some(node));
        });
        Self { node: rx }
    }

    /// The node, once built; `None` if it could not be.
    async fn ready(&mut self) -> Option<AsyncDht> {
        let Ok(state) = self.node.wait_for(Option::is_some).await else {
            return None;
        };
        state.clone().flatten()
    }

    /// Looks `hash` up and announces `own`'s port for it, now and on the schedule, feeding what
    /// it finds (but `own`, which our own announces put there) to the torrent; ends when the
    /// torrent does (its event channel closes).
    pub(crate) async fn serve_torrent(mut self, hash: InfoHash, own: SocketAddr, events: Events) {
        let Some(dht) = self.ready().await else {
            return;
        };
        let Ok(id) = Id::from_bytes(hash.0) else {
            return;
        };
        let mut waits = FIRST_WAITS
            .iter()
            .copied()
            .chain(std::iter::repeat(LOOKUP_EVERY));
        loop {
            let lookup = async {
                let mut found = lookup(&dht, id).await;
                found.retain(|a| !is_own(*a, own));
                tracing::debug!(info_hash = %hash.to_hex(), peers = found.len(), "DHT lookup done");
                if !found.is_empty() {
                    let _ = events.send(session::Event::PeerAddrs { addrs: found });
                }
                if let Err(error) = dht.announce_peer(id, Some(own.port())).await {
                    tracing::debug!(info_hash = %hash.to_hex(), %error, "DHT announce failed");
                }
            };
            tokio::select! {
                () = lookup => {}
                () = events.closed() => return,
            }
            let wait = waits.next().unwrap_or(LOOKUP_EVERY);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = events.closed() => return,
            }
        }
    }
}

/// Whether `addr` is the gateway's own peer listener (as a node on this machine would list it).
fn is_own(addr: SocketAddr, own: SocketAddr) -> bool {
    addr.port() == own.port() && (addr.ip() == own.ip() || addr.ip().is_loopback())
}

/// One `get_peers` lookup: the distinct addresses the closest nodes returned, bounded.
async fn lookup(dht: &AsyncDht, id: Id) -> Vec<SocketAddr> {
    let mut found = Vec::new();
    let mut stream = dht.get_peers(id);
    while let Some(batch) = stream.next().await {
        for addr in batch {
            let addr = SocketAddr::V4(addr);
            if !found.contains(&addr) {
                found.push(addr);
            }
        }
        if found.len() >= MAX_PEERS_PER_LOOKUP {
            found.truncate(MAX_PEERS_PER_LOOKUP);
            break;
        }
    }
    found
}

fn build(cfg: &DhtConfig) -> std::io::Result<Dht> {
    let mut builder = Dht::builder();
    if !cfg.bootstrap.is_empty() {
        builder.bootstrap(&cfg.bootstrap);
    }
    if cfg.listen.port() != 0 {
        builder.port(cfg.listen.port());
    }
    match cfg.listen {
        SocketAddr::V4(v4) => {
            builder.bind_address(*v4.ip());
        }
        // The crate's node is IPv4 only: an IPv6 --listen gets a node on every IPv4 address.
        SocketAddr::V6(_) => {
            builder.bind_address(Ipv4Addr::UNSPECIFIED);
        }
    }
    builder.build()
}

/// A network of `count` DHT nodes on `bind`, each knowing the others (`shoal dht-node`), for
/// trying the gateway where the public DHT is out of reach; `announce` has its nodes store
/// peers (`info hash`, TCP port) as a BitTorrent client would announce them.
pub(crate) async fn run_nodes(
    count: usize,
    bind: Ipv4Addr,
    announce: &[(InfoHash, u16)],
) -> std::io::Result<mainline::Testnet> {
    let net = tokio::task::spawn_blocking(move || {
        mainline::Testnet::builder(count.max(1))
            .bind_address(bind)
            .build()
    })
    .await
    .map_err(std::io::Error::other)??;
    if let Some(first) = net.nodes.first() {
        let first = first.clone().as_async();
        for (hash, port) in announce {
            let id = Id::from_bytes(hash.0)
                .map_err(|_| std::io::Error::other("an info hash is 20 bytes"))?;
            first
                .announce_peer(id, Some(*port))
                .await
                .map_err(std::io::Error::other)?;
        }
    }
    Ok(net)
}
