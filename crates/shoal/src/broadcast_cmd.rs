//! `shoal broadcast NAME SOURCE`: one live channel on its own port, without the library and
//! the app: the channel's playlist, segments and torrents over HTTP (`/channels/NAME/...`,
//! `/api/channels`), the WebSocket tracker its viewers announce to (`/announce`), `/metrics`
//! and `/health`. Bad input (a bad name, a missing source, ffmpeg missing) exits with code 2
//! before anything starts; a source that fails before its first segment exits with code 1 and
//! ffmpeg's own words. When the source ends, the ended playlist is served until SIGINT/SIGTERM.

use std::{
    future::IntoFuture,
    net::SocketAddr,
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use anyhow::Context;
use axum::{extract::State, http::header, response::IntoResponse, routing::get, Router};
use tokio::sync::watch;

use crate::{
    channel::{self, ChannelOptions, ChannelRoutes, ChannelSpec, Outcome, Reach},
    process::{self, BadInput},
    seeder::{self, SeederConfig, SeederFigures},
};

/// How long open HTTP connections get at shutdown to finish.
const HTTP_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// `shoal broadcast` options.
#[derive(clap::Args)]
pub struct BroadcastArgs {
    /// The channel's name (letters, digits, '-', '_', '.'): /channels/NAME/index.m3u8.
    name: String,
    /// `testsrc`, a media file (looped in real time), an rtmp:// or srt:// URL to listen on,
    /// or an HLS folder or .m3u8 file another encoder writes (watched instead of encoding).
    source: String,
    /// Address to listen on (the channel, the tracker at /announce, /api/channels, /metrics).
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Public base URL of this server, used in the segments' web seed URLs (default
    /// http://LISTEN).
    #[arg(long)]
    public_url: Option<String>,
    /// Do not seed the segments over WebRTC (viewers still share them with each other).
    #[arg(long)]
    no_webrtc: bool,
    /// UDP address browsers connect to over WebRTC (a concrete IP: it is sent to them).
    #[arg(long, default_value = "127.0.0.1:0")]
    webrtc_listen: SocketAddr,
    /// Most WebRTC peers at once, over all segments.
    #[arg(long, default_value_t = 200)]
    max_peers: usize,
    /// Most WebRTC peers per segment.
    #[arg(long, default_value_t = 30)]
    max_peers_per_torrent: usize,
    #[command(flatten)]
    channel_options: ChannelOptions,
}

/// Runs `shoal broadcast` until SIGINT or SIGTERM (or until its source fails to start).
pub fn run(args: BroadcastArgs) -> anyhow::Result<()> {
    let spec = ChannelSpec::parse(&args.name, &args.source).map_err(|e| BadInput(e.to_string()))?;
    channel::check_ffmpeg(std::slice::from_ref(&spec)).map_err(BadInput)?;
    channel::check_origin(&args.channel_options).map_err(BadInput)?;
    process::init_logging();
    process::runtime()?.block_on(broadcast(args, spec))
}

async fn broadcast(args: BroadcastArgs, spec: ChannelSpec) -> anyhow::Result<()> {
    let crate::serve::Bound {
        listener,
        base_url,
        tracker_url,
        ..
    } = crate::serve::bind(args.listen, args.public_url.as_deref())
        .await
        .map_err(|e| BadInput(format!("--listen {}: {e:#}", args.listen)))?;
    let shutdown = process::shutdown_signal()?;
    let tracker = Arc::new(
        tracker::Embedded::new(tracker::Config::default()).context("starting the tracker")?,
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let peer_id = process::new_peer_id();
    let figures = Arc::new(SeederFigures::default());
    let (seeds, seeder) = if args.no_webrtc {
        (None, None)
    } else {
        let host = seeder::bind_host(args.webrtc_listen, args.max_peers).await?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let cfg = SeederConfig {
            tracker_url: tracker_url.clone(),
            peer_id,
            max_peers_per_torrent: args.max_peers_per_torrent,
        };
        let mut stopped = stop_rx.clone();
        let task = tokio::spawn(seeder::run(
            cfg,
            host,
            Vec::new(),
            Some(rx),
            Arc::clone(&figures),
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            },
        ));
        (Some(tx), Some(task))
    };
    let reach = Reach {
        base_url: base_url.clone(),
        tracker_url: tracker_url.clone(),
        peer_id,
    };
    let name = spec.name.clone();
    let started = channel::start(
        vec![spec],
        Vec::new(),
        &args.channel_options,
        &reach,
        seeds,
        &stop_rx,
    );
    let channels = Arc::clone(&started.channels);
    let app = Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .with_state((
            Arc::clone(&channels),
            Arc::clone(&figures),
            Arc::clone(&tracker),
        ))
        .merge(channel::router(ChannelRoutes {
            channels: Arc::clone(&channels),
            base_url: base_url.clone().into(),
        }));
    let http = crate::one_port::split(listener, Arc::clone(&tracker), stop_rx.clone());
    let mut stopped = stop_rx.clone();
    let server = tokio::spawn(
        axum::serve(
            http,
            app.into_make_service_with_connect_info::<crate::one_port::PeerAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|s| *s).await;
        })
        .into_future(),
    );
    println!("Broadcasting {name}: {base_url}/channels/{name}/index.m3u8 (tracker {tracker_url}; Ctrl-C stops it)");
    // The channel's task: until it finishes, or the signal comes first.
    let mut task = started.tasks.into_iter().next();
    let mut failed = None;
    match task.as_mut() {
        Some(running) => {
            let finished = tokio::select! {
                () = shutdown => false,
                outcome = running => {
                    if let Ok(Outcome::Failed(why)) = outcome {
                        failed = Some(why);
                    }
                    true
                }
            };
            if finished {
                task = None;
                if failed.is_none() {
                    // The source ended: serve the ended playlist until the signal.
                    process::shutdown_signal()?.await;
                }
            }
        }
        None => shutdown.await,
    }
    tracing::info!("stopping");
    let _ = stop_tx.send(true);
    tracker.shutdown();
    if let Some(task) = task {
        let _ = tokio::time::timeout(HTTP_STOP_TIMEOUT, task).await;
    }
    if let Some(seeder) = seeder {
        // Its sessions announce `stopped` before it returns.
        let _ = tokio::time::timeout(HTTP_STOP_TIMEOUT, seeder).await;
    }
    let _ = tokio::time::timeout(HTTP_STOP_TIMEOUT, server).await;
    match failed {
        Some(why) => Err(anyhow::anyhow!("channel {name}: {why}")),
        None => Ok(()),
    }
}

/// What `/metrics` reads.
type MetricsState = (
    Arc<channel::Channels>,
    Arc<SeederFigures>,
    Arc<tracker::Embedded>,
);

/// `GET /metrics`: the channel's figures, then the embedded tracker's.
async fn metrics(State((channels, figures, tracker)): State<MetricsState>) -> impl IntoResponse {
    let webrtc = figures.uploaded_webrtc_channels.load(Ordering::Relaxed);
    let mut text = channel::metrics_text(&channels, webrtc);
    text.push_str(&tracker.snapshot().to_prometheus());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
