//! `shoal seed <file>`: make (or load from the cache) a torrent of one file, print its magnet
//! link, and seed it to browsers over WebRTC through a WebSocket tracker until Ctrl-C.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::Context;
use rtc::{HostConfig, Str0mHost};

use crate::{
    seedable::{prepare, MakeOptions},
    seeder::{self, SeederConfig, SeederFigures},
    serve::init_logging,
    tracker_cmd::early_shutdown_signal,
    BadInput,
};

#[derive(clap::Args)]
pub(crate) struct SeedArgs {
    /// The file to seed.
    path: PathBuf,
    /// WebSocket tracker to announce to.
    #[arg(long, default_value = "ws://127.0.0.1:8000/")]
    tracker: String,
    /// Web seed URLs to list in the torrent (`url-list`) and the magnet (`ws=`).
    #[arg(long)]
    webseed: Vec<String>,
    /// UDP address browsers connect to over WebRTC (a concrete IP: it is sent to them).
    #[arg(long, default_value = "127.0.0.1:0")]
    webrtc_listen: SocketAddr,
    /// Most peers at once.
    #[arg(long, default_value_t = 50)]
    max_peers: usize,
    /// Where made torrents are cached (keyed by path, size and modification time).
    #[arg(long, env = "SHOAL_CACHE")]
    cache_dir: Option<PathBuf>,
}

pub(crate) fn run(args: &SeedArgs) -> anyhow::Result<()> {
    if !args.path.is_file() {
        return Err(BadInput(format!("{}: not a file", args.path.display())).into());
    }
    init_logging();
    let peer_id = new_peer_id();
    let path = std::fs::canonicalize(&args.path)
        .with_context(|| format!("resolving {}", args.path.display()))?;
    let opts = MakeOptions {
        trackers: vec![args.tracker.clone()],
        webseeds: args.webseed.clone(),
        cache_dir: args.cache_dir.clone().or_else(default_cache_dir),
    };
    let seedable = prepare(&path, &opts, peer_id)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let shutdown = early_shutdown_signal().context("installing signal handlers")?;
        let host = Str0mHost::bind(
            args.webrtc_listen,
            HostConfig::default().with_max_connections(args.max_peers),
        )
        .await
        .map_err(|e| BadInput(format!("--webrtc-listen {}: {e}", args.webrtc_listen)))?;
        tracing::info!(udp = %host.local_addr(), "WebRTC peer ready");
        println!("{}", seedable.magnet(true));
        let cfg = SeederConfig {
            tracker_url: args.tracker.clone(),
            peer_id,
            max_peers_per_torrent: args.max_peers,
        };
        seeder::run(
            cfg,
            host,
            vec![seedable],
            Arc::new(SeederFigures::default()),
            shutdown,
        )
        .await;
        Ok(())
    })
}

/// `~/.cache/shoal/torrents` (or `$XDG_CACHE_HOME/shoal/torrents`).
pub(crate) fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("shoal").join("torrents"))
}

/// An Azureus-style peer id, `-SH0001-` and 12 random characters. The randomness is std's
/// per-process hash keys (from the OS), which is plenty for an id that only has to be unique.
pub(crate) fn new_peer_id() -> [u8; 20] {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut id = *b"-SH0001-000000000000";
    let state = std::collections::hash_map::RandomState::new();
    for (i, b) in id[8..].iter_mut().enumerate() {
        let mut h = state.build_hasher();
        h.write_usize(i);
        let pick = usize::try_from(h.finish() % ALPHABET.len() as u64).unwrap_or(0);
        *b = ALPHABET.get(pick).copied().unwrap_or(b'0');
    }
    id
}
