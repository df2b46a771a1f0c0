//! `shoal serve`: the browser app, a WebSocket tracker at `/announce`, and a library of media
//! files (over HTTP at `/files`, as `/api/library`, as a Stremio add-on, and seeded over WebRTC),
//! all on one TCP port.
//!
//! [`run`] reads as the set-up, one step each: [`bind`] the port, [`load_library`] (hash each
//! file or take its torrent from the cache, then verify it), [`start_tracker`], [`start_seeder`]
//! (the WebRTC host and the seeder task), build the router (`serve/routes.rs`), then
//! [`run_until_shutdown`]: serve until SIGINT/SIGTERM and stop the parts in turn. The app's
//! static files are in `serve/app_files.rs`, the `/metrics` text in `serve/metrics.rs`, and the
//! split of the port between the tracker and the HTTP app in `one_port.rs`.

mod app_files;
mod health;
mod metrics;
mod routes;

use std::{
    future::{Future, IntoFuture},
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::Context;
use axum::Router;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{
    library::LibraryItem,
    process::{self, BadInput},
    seedable::Seedable,
    seeder::{self, SeederConfig, SeederFigures},
};

/// How long the seeder gets at shutdown to announce `stopped` to the tracker.
const SEEDER_STOP_TIMEOUT: Duration = Duration::from_secs(3);
/// How long open HTTP connections get at shutdown to finish.
const HTTP_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// `shoal serve` options.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (app, tracker at /announce, library at /files, /api, /metrics).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,
    /// The built app (the output of `trunk build`).
    #[arg(long, default_value = "dist", env = "SHOAL_DIST")]
    pub(crate) dist: PathBuf,
    /// Folder of media files to seed (default: the built-in demo in .demo, made by
    /// scripts/make-demo.sh, when it exists).
    #[arg(long, env = "SHOAL_LIBRARY")]
    pub(crate) library: Option<PathBuf>,
    /// Do not list /files/... as a web seed in the torrents and magnets.
    #[arg(long)]
    pub(crate) no_webseed: bool,
    /// Do not seed over WebRTC (the library is still served over HTTP and as a web seed).
    #[arg(long)]
    pub(crate) no_webrtc: bool,
    /// UDP address browsers connect to over WebRTC (a concrete IP: it is sent to them).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub(crate) webrtc_listen: SocketAddr,
    /// Most WebRTC peers at once, over all torrents.
    #[arg(long, default_value_t = 200)]
    pub(crate) max_peers: usize,
    /// Most WebRTC peers per torrent.
    #[arg(long, default_value_t = 30)]
    pub(crate) max_peers_per_torrent: usize,
    /// Public base URL of this server, used in web seed URLs (default http://LISTEN).
    #[arg(long)]
    pub(crate) public_url: Option<String>,
    /// Where made torrents are cached (keyed by path, size and modification time).
    #[arg(long, env = "SHOAL_CACHE")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// A live channel, NAME=SOURCE (repeatable). SOURCE is `testsrc` (a test pattern with a
    /// tone and a clock), a media file (looped in real time), an rtmp:// or srt:// URL to
    /// listen on, or an HLS folder or .m3u8 another encoder writes (watched). Served at
    /// /channels/NAME/index.m3u8, listed at /api/channels.
    #[arg(long = "channel", value_name = "NAME=SOURCE")]
    pub(crate) channels: Vec<String>,
    #[command(flatten)]
    pub(crate) channel_options: crate::channel::ChannelOptions,
    /// Do not run the gateway to TCP BitTorrent swarms (`/api/torrents`, `/stream/HASH/N`).
    #[arg(long)]
    pub(crate) no_gateway: bool,
    /// TCP address the gateway accepts BitTorrent peers on (port 0 picks a free port; default
    /// port 6881 on --listen's address, so a loopback companion opens no public port; a free
    /// port when 6881 is taken).
    #[arg(long)]
    pub(crate) gateway_peer_listen: Option<SocketAddr>,
    /// Where the gateway keeps downloaded pieces (default: the cache folder's `gateway`).
    #[arg(long)]
    pub(crate) gateway_dir: Option<PathBuf>,
    /// Most torrents the gateway runs at once.
    #[arg(long, default_value_t = 20)]
    pub(crate) gateway_max_torrents: usize,
    /// Most TCP peers per gateway torrent.
    #[arg(long, default_value_t = 40)]
    pub(crate) gateway_max_peers: usize,
    /// Most concurrent `/stream` responses per client address.
    #[arg(long, default_value_t = 16)]
    pub(crate) gateway_streams_per_ip: usize,
    /// Seconds a stream waits for the metadata or its first bytes before answering 504.
    #[arg(long, default_value_t = 60)]
    pub(crate) gateway_wait_secs: u64,
    /// Seconds a stream or web seed request waits when its torrent has no open peer and none
    /// sent anything; then it answers 503 with Retry-After (the torrent keeps looking).
    #[arg(long, default_value_t = 10.0)]
    pub(crate) gateway_no_peer_secs: f64,
    /// Cap on what the gateway's TCP peers download in all, KiB/s (default: none).
    #[arg(long, value_name = "KIB_PER_SEC")]
    pub(crate) gateway_max_download_kib: Option<u64>,
    /// Cap on what the gateway's TCP peers upload in all, KiB/s (default: none).
    #[arg(long, value_name = "KIB_PER_SEC")]
    pub(crate) gateway_max_upload_kib: Option<u64>,
    /// Cap on the disk the gateway's pieces take in all, MiB (default: none). Over it, the
    /// least recently streamed torrents that nobody is streaming are removed.
    #[arg(long, value_name = "MIB")]
    pub(crate) gateway_max_disk_mib: Option<u64>,
    /// Most ffmpeg runs of `/hls/HASH/N/…` at once (every file together).
    #[arg(long, default_value_t = 2)]
    pub(crate) gateway_max_transcodes: usize,
    /// How far, in seconds of film, a `/hls/` transcode may run ahead of the furthest segment
    /// its viewers asked for before it is paused; as much is kept on disk behind them.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub(crate) gateway_hls_lead: u64,
    /// An HTTP or UDP tracker added to every gateway torrent (repeatable).
    #[arg(long = "gateway-tracker")]
    pub(crate) gateway_trackers: Vec<String>,
    /// Do not look gateway torrents up in the mainline DHT (BEP 5). The tests set
    /// `SHOAL_NO_DHT=true` so that they never reach the public routers.
    #[arg(long, env = "SHOAL_NO_DHT")]
    pub(crate) no_dht: bool,
    /// UDP address of the gateway's DHT node (default 0.0.0.0:6881, or a free port when 6881
    /// is taken: a DHT node must hear answers from the internet; 127.0.0.1:0 keeps it local).
    #[arg(long)]
    pub(crate) dht_listen: Option<SocketAddr>,
    /// A DHT node (`host:port`) to join the network through (repeatable; default: the usual
    /// public routers, router.bittorrent.com and others).
    #[arg(long = "dht-bootstrap", value_name = "HOST:PORT")]
    pub(crate) dht_bootstrap: Vec<String>,
}

/// Runs `shoal serve` until SIGINT or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    process::init_logging();
    if !args.dist.join("index.html").is_file() {
        return Err(BadInput(format!(
            "no built app in {}: build it with `trunk build --release` (scripts/run.sh does it for you)",
            args.dist.display()
        ))
        .into());
    }
    let library = library_folder(args.library.as_deref())?;
    process::runtime()?.block_on(serve(args, library))
}

/// The steps, in order.
async fn serve(args: ServeArgs, library: Option<PathBuf>) -> anyhow::Result<()> {
    let bound = bind(args.listen, args.public_url.as_deref()).await?;
    let shutdown = process::shutdown_signal()?;
    // One id for this run: the engines and the seeder's announces must agree on it.
    let peer_id = process::new_peer_id();
    let (seedables, items) = load_library(&args, library.clone(), &bound, peer_id).await?;
    let tracker = start_tracker()?;
    let figures = Arc::new(SeederFigures::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    // Channel segments go to the seeder as they are published (none without WebRTC).
    // Gateway torrents go to it too, from their metadata on, then piece by piece (the companion
    // as a hybrid peer).
    let (seeds_tx, seeds_rx) = tokio::sync::mpsc::unbounded_channel();
    let handoff = (!args.no_webrtc && !args.no_gateway)
        .then(|| crate::gateway::SeedHandoff::new(seeds_tx.clone(), peer_id));
    let live = start_channels(&args, &bound, peer_id, seeds_tx, &stop_rx);
    let seed_changes = (!args.channels.is_empty() || handoff.is_some()).then_some(seeds_rx);
    let seeder = start_seeder(
        &args,
        &bound,
        (seedables, seed_changes),
        peer_id,
        &figures,
        stop_rx.clone(),
    )
    .await?;
    let gateway = start_gateway(&args, peer_id, bound.addr, handoff).await?;
    let gateway_for_stop = gateway.clone();
    // Step 5.
    let app = routes::router(
        routes::Companion {
            items: Arc::new(items),
            tracker: Arc::clone(&tracker),
            figures,
            channels: Arc::clone(&live.channels),
            gateway,
        },
        routes::Places {
            library: library.unwrap_or_default(),
            dist: args.dist.clone(),
            base_url: bound.base_url.clone(),
            tracker_url: bound.tracker_url.clone(),
        },
    );
    tracing::info!(
        "Shoal is serving {} at http://{}/ (tracker {})",
        args.dist.display(),
        bound.addr,
        bound.tracker_url
    );
    println!(
        "Shoal is running: open http://{}/ (Ctrl-C stops it)",
        bound.addr
    );
    let running = Running {
        tracker,
        seeder,
        gateway: gateway_for_stop,
        stop_tx,
        channels: live.tasks,
    };
    run_until_shutdown(bound.listener, app, running, stop_rx, shutdown).await
}

/// `--library`, or the demo folder `.demo` when there is one; `None` seeds nothing.
fn library_folder(library: Option<&Path>) -> anyhow::Result<Option<PathBuf>> {
    let folder = match library {
        Some(dir) if !dir.is_dir() => {
            return Err(BadInput(format!("--library {}: not a folder", dir.display())).into())
        }
        Some(dir) => Some(dir.to_path_buf()),
        None => Some(PathBuf::from(".demo")).filter(|d| d.is_dir()),
    };
    if folder.is_none() {
        tracing::warn!(
            "no --library and no .demo folder (scripts/make-demo.sh makes it): seeding nothing"
        );
    }
    Ok(folder)
}

/// The bound port and the addresses clients reach it at.
pub(crate) struct Bound {
    pub(crate) listener: TcpListener,
    pub(crate) addr: SocketAddr,
    /// `--public-url`, or `http://ADDR`, without a trailing slash.
    pub(crate) base_url: String,
    /// The embedded tracker, `ws://…/announce` (`wss://` behind an https public URL).
    pub(crate) tracker_url: String,
}

/// Step 1: binds `--listen` (port 0 picks a free port) and derives the public URLs from
/// `--public-url` or the bound address (`shoal broadcast` binds the same way).
pub(crate) async fn bind(listen: SocketAddr, public_url: Option<&str>) -> anyhow::Result<Bound> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let base_url = public_url
        .map(str::to_owned)
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned();
    let tracker_url = format!("{}/announce", base_url.replacen("http", "ws", 1));
    Ok(Bound {
        listener,
        addr,
        base_url,
        tracker_url,
    })
}

/// Step 2: a torrent for every media file of the library, verified and ready to seed (on a
/// blocking thread: hashing reads every byte), and the `/api/library` items.
async fn load_library(
    args: &ServeArgs,
    library: Option<PathBuf>,
    bound: &Bound,
    peer_id: [u8; 20],
) -> anyhow::Result<(Vec<Seedable>, Vec<LibraryItem>)> {
    let Some(dir) = library else {
        return Ok((Vec::new(), Vec::new()));
    };
    let base_url = bound.base_url.clone();
    let tracker_url = bound.tracker_url.clone();
    let webseed = !args.no_webseed;
    let cache_dir = args.cache_dir.clone().or_else(process::default_cache_dir);
    let (seedables, items) = tokio::task::spawn_blocking(move || {
        crate::library::load(&dir, &base_url, &tracker_url, webseed, cache_dir, peer_id)
    })
    .await
    .context("hashing the library")?
    .context("reading the library")?;
    tracing::info!(files = items.len(), "library ready");
    Ok((seedables, items))
}

/// Step 3b: the live channels of `--channel`. A channel given wrongly (a bad name, a name
/// given twice, a source that does not exist) is logged and skipped, and one that cannot run
/// (ffmpeg missing, its encoder failing) is listed as ended with the reason: the rest of the
/// companion serves on either way.
fn start_channels(
    args: &ServeArgs,
    bound: &Bound,
    peer_id: [u8; 20],
    seeds: tokio::sync::mpsc::UnboundedSender<seeder::SeederChange>,
    stop: &watch::Receiver<bool>,
) -> crate::channel::Started {
    let mut specs = Vec::new();
    let mut rejected = Vec::new();
    for text in &args.channels {
        match crate::channel::ChannelSpec::parse_pair(text) {
            Ok(spec) => specs.push(spec),
            Err(error) => rejected.push((crate::channel::given_name(text).to_owned(), error)),
        }
    }
    let (specs, duplicates) = crate::channel::split_duplicates(specs);
    for error in duplicates {
        if let crate::channel::SpecError::Duplicate { name } = &error {
            rejected.push((name.clone(), error.clone()));
        }
    }
    let reach = crate::channel::Reach {
        base_url: bound.base_url.clone(),
        tracker_url: bound.tracker_url.clone(),
        peer_id,
    };
    let seeds = (!args.no_webrtc).then_some(seeds);
    crate::channel::start(specs, rejected, &args.channel_options, &reach, seeds, stop)
}

/// Step 3: the WebSocket tracker, embedded: it serves the connections `one_port` hands it.
fn start_tracker() -> anyhow::Result<Arc<tracker::Embedded>> {
    let tracker =
        tracker::Embedded::new(tracker::Config::default()).context("starting the tracker")?;
    Ok(Arc::new(tracker))
}

/// Step 4: the WebRTC host and the seeder task, announcing every file (and every channel
/// segment and complete gateway torrent, as `changes` brings them) to our own tracker; `None`
/// with `--no-webrtc`, or with an empty library, no channel and no gateway. The task stops when `stop` turns true.
async fn start_seeder(
    args: &ServeArgs,
    bound: &Bound,
    (seedables, changes): (
        Vec<Seedable>,
        Option<tokio::sync::mpsc::UnboundedReceiver<seeder::SeederChange>>,
    ),
    peer_id: [u8; 20],
    figures: &Arc<SeederFigures>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Option<JoinHandle<()>>> {
    if args.no_webrtc || (seedables.is_empty() && changes.is_none()) {
        return Ok(None);
    }
    let host = seeder::bind_host(args.webrtc_listen, args.max_peers).await?;
    let cfg = SeederConfig {
        tracker_url: bound.tracker_url.clone(),
        peer_id,
        max_peers_per_torrent: args.max_peers_per_torrent,
    };
    Ok(Some(tokio::spawn(seeder::run(
        cfg,
        host,
        seedables,
        changes,
        Arc::clone(figures),
        stopped(stop),
    ))))
}

/// Step 4b: the gateway to TCP swarms (its peer listener and its torrents' tasks); `None` with
/// `--no-gateway`.
async fn start_gateway(
    args: &ServeArgs,
    peer_id: [u8; 20],
    bound: SocketAddr,
    seed_handoff: Option<crate::gateway::SeedHandoff>,
) -> anyhow::Result<Option<Arc<crate::gateway::Gateway>>> {
    if args.no_gateway {
        return Ok(None);
    }
    let dir = match &args.gateway_dir {
        Some(dir) => dir.clone(),
        None => args
            .cache_dir
            .clone()
            .or_else(process::default_cache_dir)
            .unwrap_or_else(std::env::temp_dir)
            .join("gateway"),
    };
    // ffprobe and ffmpeg read the gateway's own /stream URLs over loopback.
    let local = match bound.ip() {
        ip if ip.is_unspecified() && ip.is_ipv6() => {
            SocketAddr::from(([0u16, 0, 0, 0, 0, 0, 0, 1], bound.port()))
        }
        ip if ip.is_unspecified() => SocketAddr::from(([127, 0, 0, 1], bound.port())),
        _ => bound,
    };
    let hls = crate::gateway::hls::HlsConfig {
        local_base: format!("http://{local}"),
        max_transcodes: args.gateway_max_transcodes.max(1),
        dir: dir.join("hls"),
        lead_segments: crate::gateway::hls::HlsConfig::lead_for(args.gateway_hls_lead),
    };
    let cfg = crate::gateway::GatewayConfig {
        hls,
        peer_listen: args
            .gateway_peer_listen
            .unwrap_or_else(|| SocketAddr::new(args.listen.ip(), 6881)),
        dir,
        max_torrents: args.gateway_max_torrents,
        max_peers_per_torrent: args.gateway_max_peers,
        per_ip_streams: args.gateway_streams_per_ip,
        wait_for_peers: Duration::from_secs(args.gateway_wait_secs),
        no_peer_grace: Duration::try_from_secs_f64(args.gateway_no_peer_secs)
            .map_err(|e| BadInput(format!("--gateway-no-peer-secs: {e}")))?,
        extra_trackers: args.gateway_trackers.clone(),
        max_download_kib: args.gateway_max_download_kib,
        max_upload_kib: args.gateway_max_upload_kib,
        max_disk_bytes: args.gateway_max_disk_mib.map(|m| m.saturating_mul(1 << 20)),
        dht: (!args.no_dht).then(|| crate::gateway::DhtConfig {
            listen: args
                .dht_listen
                .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
            bootstrap: args.dht_bootstrap.clone(),
        }),
        peer_id,
        seed_handoff,
    };
    let gateway = match (
        crate::gateway::Gateway::start(cfg.clone()).await,
        args.gateway_peer_listen,
    ) {
        (Ok(g), _) => g,
        (Err(e), Some(listen)) => {
            return Err(BadInput(format!("--gateway-peer-listen {listen}: {e}")).into())
        }
        // The usual port is taken (another client, another companion): any free port does,
        // since trackers are told which one.
        (Err(e), None) => {
            tracing::warn!("gateway: port 6881 unavailable ({e}); using a free port");
            let cfg = crate::gateway::GatewayConfig {
                peer_listen: SocketAddr::new(args.listen.ip(), 0),
                ..cfg
            };
            crate::gateway::Gateway::start(cfg)
                .await
                .context("binding the gateway's peer port")?
        }
    };
    Ok(Some(gateway))
}

/// The parts that must be stopped at shutdown.
struct Running {
    tracker: Arc<tracker::Embedded>,
    seeder: Option<JoinHandle<()>>,
    gateway: Option<Arc<crate::gateway::Gateway>>,
    stop_tx: watch::Sender<bool>,
    /// The channels' tasks (they stop their encoders when `stop` turns true).
    channels: Vec<JoinHandle<crate::channel::Outcome>>,
}

/// Step 6: splits the port between the tracker and `app`, serves until `shutdown`, then stops
/// accepting, closes the tracker, lets the seeder announce `stopped` and open HTTP responses
/// finish (each within a bound), and returns.
async fn run_until_shutdown(
    listener: TcpListener,
    app: Router,
    running: Running,
    stop: watch::Receiver<bool>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let http = crate::one_port::split(listener, Arc::clone(&running.tracker), stop.clone());
    let server = tokio::spawn(
        axum::serve(
            http,
            app.into_make_service_with_connect_info::<crate::one_port::PeerAddr>(),
        )
        .with_graceful_shutdown(stopped(stop))
        .into_future(),
    );
    shutdown.await;
    tracing::info!("stopping");
    let _ = running.stop_tx.send(true);
    running.tracker.shutdown();
    for channel in running.channels {
        let _ = tokio::time::timeout(SEEDER_STOP_TIMEOUT, channel).await;
    }
    let gateway_stopped = async {
        if let Some(g) = running.gateway {
            g.stop_all(SEEDER_STOP_TIMEOUT).await;
        }
    };
    let seeder_stopped = async {
        if let Some(seeder) = running.seeder {
            let _ = tokio::time::timeout(SEEDER_STOP_TIMEOUT, seeder).await;
        }
    };
    tokio::join!(gateway_stopped, seeder_stopped);
    match tokio::time::timeout(HTTP_STOP_TIMEOUT, server).await {
        Ok(Ok(result)) => result.context("serving HTTP")?,
        Ok(Err(error)) => tracing::error!(%error, "the HTTP server failed"),
        Err(_) => tracing::warn!("some HTTP connections did not finish in time"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves once `stop` turns true (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
