//! `shoal broadcast NAME SOURCE`: one live channel on its own port, without the library and
//! the app: the channel's playlist, segments and torrents over HTTP (`/channels/NAME/...`,
//! `/api/channels`), the WebSocket tracker its viewers announce to (`/announce`), `/metrics`
//! and `/health`. Bad input (a bad name, a missing source, ffmpeg missing) exits with code 2
//! before anything starts; a source that fails before its first segment exits with code 1 and
//! ffmpeg's own words. When the source ends, the ended playlist is served until SIGINT/SIGTERM.

use std::{future::IntoFuture, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{extract::State, http::header, response::IntoResponse, routing::get, Router};
use tokio::{net::TcpListener, sync::watch};

use crate::{
    channel::{self, ChannelOptions, ChannelRoutes, ChannelSpec, Outcome, Reach},
    process::{self, BadInput},
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
    #[command(flatten)]
    channel_options: ChannelOptions,
}

/// Runs `shoal broadcast` until SIGINT or SIGTERM (or until its source fails to start).
pub fn run(args: BroadcastArgs) -> anyhow::Result<()> {
    let spec = ChannelSpec::parse(&args.name, &args.source).map_err(|e| BadInput(e.to_string()))?;
    channel::check_ffmpeg(std::slice::from_ref(&spec)).map_err(BadInput)?;
    process::init_logging();
    process::runtime()?.block_on(broadcast(args, spec))
}

async fn broadcast(args: BroadcastArgs, spec: ChannelSpec) -> anyhow::Result<()> {
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| BadInput(format!("--listen {}: {e}", args.listen)))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let base_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned();
    let tracker_url = format!("{}/announce", base_url.replacen("http", "ws", 1));
    let shutdown = process::shutdown_signal()?;
    let tracker = Arc::new(
        tracker::Embedded::new(tracker::Config::default()).context("starting the tracker")?,
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let reach = Reach {
        base_url: base_url.clone(),
        tracker_url: tracker_url.clone(),
    };
    let name = spec.name.clone();
    let started = channel::start(vec![spec], &args.channel_options, &reach, None, &stop_rx);
    let channels = Arc::clone(&started.channels);
    let app = Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .with_state(Arc::clone(&channels))
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
    let mut task = started.tasks.into_iter().next();
    let failed = tokio::select! {
        () = shutdown => None,
        outcome = async { match task.as_mut() { Some(t) => t.await.ok(), None => std::future::pending().await } } => {
            match outcome {
                Some(Outcome::Failed(why)) => Some(why),
                // Ended: keep serving the ended playlist until asked to stop.
                _ => {
                    task = None;
                    None
                }
            }
        }
    };
    if failed.is_none() && task.is_none() {
        // The source ended; serve on until the signal.
        process::shutdown_signal()?.await;
    }
    tracing::info!("stopping");
    let _ = stop_tx.send(true);
    tracker.shutdown();
    if let Some(task) = task {
        let _ = tokio::time::timeout(HTTP_STOP_TIMEOUT, task).await;
    }
    let _ = tokio::time::timeout(HTTP_STOP_TIMEOUT, server).await;
    match failed {
        Some(why) => Err(anyhow::anyhow!("channel {name}: {why}")),
        None => Ok(()),
    }
}

async fn metrics(State(channels): State<Arc<channel::Channels>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        channel::metrics_text(&channels),
    )
}
