//! `shoal tracker` (the WebSocket tracker server) and `shoal tracker-load` (its load generator).

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use tracker::{load::LoadConfig, Config, TrackerError};

use crate::process::{self, BadInput};

/// `shoal tracker` options.
#[derive(clap::Args)]
pub struct TrackerArgs {
    /// TOML configuration file (every key optional; see docs/tracker.md).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on (overrides the file's `listen`; default 0.0.0.0:8000).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Worker threads (overrides the file's `workers`; default: one per available core).
    #[arg(long)]
    workers: Option<usize>,
    /// Print the default configuration as TOML and exit.
    #[arg(long)]
    print_config: bool,
}

/// Runs `shoal tracker` until SIGINT or SIGTERM.
pub fn run(args: &TrackerArgs) -> anyhow::Result<()> {
    if args.print_config {
        print!("{}", Config::default_toml());
        return Ok(());
    }
    let mut config = match &args.config {
        Some(path) => Config::load(path).map_err(|e| BadInput(e.to_string()))?,
        None => Config::default(),
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(workers) = args.workers {
        config.workers = workers;
    }
    config.validate().map_err(|e| BadInput(e.to_string()))?;
    process::init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.worker_threads())
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let bound = listener.local_addr().context("reading the bound address")?;
        // Install the handlers before announcing readiness: a SIGTERM right after the line
        // below must stop the tracker gracefully, not kill it.
        let shutdown = process::shutdown_signal()?;
        let scheme = if config.tls_cert.is_some() { "wss" } else { "ws" };
        println!("Shoal tracker is running: {scheme}://{bound}/ (stats: /stats, /metrics; Ctrl-C stops it)");
        match tracker::serve(config, listener, shutdown).await {
            Ok(()) => Ok(()),
            Err(err @ (TrackerError::Config(_) | TrackerError::Tls(_))) => {
                Err(BadInput(err.to_string()).into())
            }
            Err(err) => Err(anyhow::Error::new(err)),
        }
    })
}

/// `shoal tracker-load` options.
#[derive(clap::Args)]
pub struct LoadArgs {
    /// Tracker URL.
    #[arg(long, default_value = "ws://127.0.0.1:8000/")]
    url: String,
    /// Sockets kept open.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Distinct torrents.
    #[arg(long, default_value_t = 10_000)]
    torrents: usize,
    /// Popularity skew exponent (1 = uniform).
    #[arg(long, default_value_t = 3.0)]
    skew: f64,
    /// Offers per announce.
    #[arg(long, default_value_t = 5)]
    offers: usize,
    /// Share of announces made as a seeder.
    #[arg(long, default_value_t = 0.2)]
    seeder_share: f64,
    /// Share of relayed offers answered.
    #[arg(long, default_value_t = 0.5)]
    answer_share: f64,
    /// Seconds before measuring.
    #[arg(long, default_value_t = 5)]
    warmup: u64,
    /// Seconds measured.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Reconnect each socket after this many announces (0 = never): churn.
    #[arg(long, default_value_t = 0)]
    reconnect_after: u64,
    /// The tracker's process id, to report its memory.
    #[arg(long)]
    pid: Option<u32>,
    /// Seed of the random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Runs `shoal tracker-load` and prints its figures.
pub fn load(args: &LoadArgs) -> anyhow::Result<()> {
    let config = LoadConfig {
        url: args.url.clone(),
        connections: args.connections,
        torrents: args.torrents,
        skew: args.skew,
        offers_per_announce: args.offers,
        seeder_share: args.seeder_share,
        answer_share: args.answer_share,
        warmup_secs: args.warmup,
        duration_secs: args.duration,
        reconnect_after: args.reconnect_after,
        tracker_pid: args.pid,
        seed: args.seed,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let report = runtime
        .block_on(tracker::load::run(config))
        .map_err(|e| BadInput(e.to_string()))?;
    for s in &report.samples {
        let rss = s
            .rss_kib
            .map_or_else(String::new, |k| format!(" rss={k}KiB"));
        println!("t={}s open={} responses={}{rss}", s.t, s.open, s.responses);
    }
    let (rss, peak) = report.rss_kib.unwrap_or((0, 0));
    println!(
        "RESULT responses_per_sec={:.0} announces_per_sec={:.0} announce_responses_per_sec={:.0} \
         offers_per_sec={:.0} answers_per_sec={:.0} failures_per_sec={:.0} open={} \
         connect_failures={} reconnects={} tracker_rss_kib={rss} tracker_peak_rss_kib={peak}",
        report.responses_per_sec,
        report.announces_per_sec,
        report.announce_responses_per_sec,
        report.offers_per_sec,
        report.answers_per_sec,
        report.failures_per_sec,
        report.open_at_end,
        report.connect_failures,
        report.reconnects,
    );
    Ok(())
}
