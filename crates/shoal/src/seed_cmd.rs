//! `shoal seed <file>`: make (or load from the cache) a torrent of one file, print its magnet
//! link, and seed it to browsers over WebRTC through a WebSocket tracker until SIGINT or
//! SIGTERM. One regular file only: a folder is refused (bad input); `shoal serve --library`
//! seeds every media file of a folder.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use anyhow::Context;

use crate::{
    process::{self, BadInput},
    seedable::{prepare, MakeOptions},
    seeder::{self, SeederConfig, SeederFigures},
};

/// `shoal seed` options.
#[derive(clap::Args)]
pub struct SeedArgs {
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
    /// The WebRTC stack the seeder answers with (the same seeder and wire either way).
    #[arg(long, value_enum, default_value_t = RtcStack::Str0m)]
    rtc: RtcStack,
}

/// A native WebRTC stack behind `rtc::DataChannelHost`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum RtcStack {
    /// str0m (sans-IO, pure Rust SCTP): the default.
    Str0m,
    /// libdatachannel with usrsctp (only in builds with the `libdatachannel` feature).
    #[cfg(feature = "libdatachannel")]
    Libdatachannel,
}

/// Runs `shoal seed` until SIGINT or SIGTERM.
pub fn run(args: &SeedArgs) -> anyhow::Result<()> {
    if !args.path.is_file() {
        return Err(BadInput(format!("{}: not a file", args.path.display())).into());
    }
    process::init_logging();
    let peer_id = process::new_peer_id();
    let path = std::fs::canonicalize(&args.path)
        .with_context(|| format!("resolving {}", args.path.display()))?;
    let opts = MakeOptions {
        trackers: vec![args.tracker.clone()],
        webseeds: args.webseed.clone(),
        cache_dir: args.cache_dir.clone().or_else(process::default_cache_dir),
    };
    let seedable = prepare(&path, &opts, peer_id)?;
    process::runtime()?.block_on(async move {
        let shutdown = process::shutdown_signal()?;
        let cfg = SeederConfig {
            tracker_url: args.tracker.clone(),
            peer_id,
            max_peers_per_torrent: args.max_peers,
        };
        let figures = Arc::new(SeederFigures::default());
        match args.rtc {
            RtcStack::Str0m => {
                let host = seeder::bind_host(args.webrtc_listen, args.max_peers).await?;
                println!("{}", seedable.magnet(true));
                seeder::run(cfg, host, vec![seedable], None, figures, shutdown).await;
            }
            #[cfg(feature = "libdatachannel")]
            RtcStack::Libdatachannel => {
                let host = seeder::bind_libdatachannel_host(args.webrtc_listen, args.max_peers)?;
                println!("{}", seedable.magnet(true));
                seeder::run(cfg, host, vec![seedable], None, figures, shutdown).await;
            }
        }
        Ok(())
    })
}
