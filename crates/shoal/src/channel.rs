//! Live channels: the broadcaster. A channel turns a source (ffmpeg's test pattern, a media
//! file looped in real time, an `rtmp://`/`srt://` URL listened on, or an HLS playlist another
//! encoder writes) into an HLS live stream whose every segment peers can verify: each segment
//! is published only once complete, with its per-segment torrent beside it and its hashes in
//! the playlist (`#EXT-X-SHOAL` tags, docs/hls.md), seeded over the companion's WebRTC peer,
//! and served over HTTP with the right caching.
//!
//! One file a concept: `spec.rs` (what the command line asks for), `encoder.rs` (the ffmpeg
//! command), `input_playlist.rs` (reading the encoder's playlist), `segment_torrent.rs` (a
//! segment's torrent), `playlist.rs` (Shoal's playlist and its tags), `publisher.rs` (the
//! live and DVR windows and the numbering, no I/O), `saved.rs` (what outlives a run),
//! `runner.rs` (one channel's task), `registry.rs` (what the HTTP side reads), `routes.rs`
//! (the HTTP routes), `addon.rs` (the channels in the Stremio add-on), `metrics.rs`.
//!
//! [`start`] is the one entry point for `shoal serve --channel` and `shoal broadcast`.

pub(crate) mod addon;
pub(crate) mod encoder;
mod input_playlist;
mod metrics;
mod object_origin;
mod playlist;
mod publisher;
mod registry;
mod routes;
mod runner;
mod saved;
mod segment_torrent;
mod spec;

use std::{path::PathBuf, sync::Arc};

use tokio::{
    sync::{mpsc, watch},
    task::JoinHandle,
};

pub(crate) use self::{
    addon::LiveAddon,
    metrics::prometheus as metrics_text,
    registry::Channels,
    routes::{router, ChannelRoutes},
    runner::Outcome,
    spec::{given_name, split_duplicates, ChannelSpec, SpecError},
};
use self::{publisher::WindowConfig, registry::Channel, runner::Setup};

/// The options every channel of a process shares (`shoal serve` and `shoal broadcast`).
#[derive(clap::Args, Debug, Clone)]
pub struct ChannelOptions {
    /// Folder for the channels' segments and saved numbering (one sub-folder per channel;
    /// default $XDG_CACHE_HOME/shoal/channels or ~/.cache/shoal/channels).
    #[arg(long, env = "SHOAL_CHANNELS_DIR")]
    pub(crate) channels_dir: Option<PathBuf>,
    /// Seconds of media per HLS segment.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub(crate) segment_seconds: u32,
    /// Segments the live playlist lists.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(2..=1000))]
    pub(crate) live_segments: u32,
    /// Seconds of media a segment is still kept (served and seeded) after it leaves the live
    /// playlist, before it is deleted.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u32).range(0..=86400))]
    pub(crate) dvr_seconds: u32,
    /// Also publish to object storage, s3://BUCKET/PREFIX (endpoint and credentials from the
    /// AWS_* environment variables); the segments' web seeds and the listed playlist URL
    /// point there.
    #[arg(long, value_name = "s3://BUCKET/PREFIX")]
    pub(crate) origin: Option<String>,
    /// Where clients reach --origin's PREFIX over HTTP (a CDN; default: the endpoint's
    /// path-style URL).
    #[arg(long, requires = "origin")]
    pub(crate) origin_public_url: Option<String>,
}

impl ChannelOptions {
    fn window(&self) -> WindowConfig {
        WindowConfig {
            live_segments: self.live_segments as usize,
            dvr_seconds: f64::from(self.dvr_seconds),
            segment_seconds: u64::from(self.segment_seconds),
        }
    }

    /// `--channels-dir`, or the default beside the torrent cache, or `.shoal-channels`.
    fn folder(&self) -> PathBuf {
        self.channels_dir.clone().unwrap_or_else(|| {
            crate::process::default_cache_dir()
                .and_then(|torrents| torrents.parent().map(|p| p.join("channels")))
                .unwrap_or_else(|| PathBuf::from(".shoal-channels"))
        })
    }
}

/// Where the channels are reached.
#[derive(Debug, Clone)]
pub(crate) struct Reach {
    /// This server as clients reach it, without a trailing slash.
    pub(crate) base_url: String,
    pub(crate) tracker_url: String,
    /// This process's peer id (its seeder announces with it).
    pub(crate) peer_id: [u8; 20],
}

/// The started channels.
pub(crate) struct Started {
    pub(crate) channels: Arc<Channels>,
    pub(crate) tasks: Vec<JoinHandle<Outcome>>,
}

/// Starts one task per channel. A channel that cannot run (ffmpeg missing, its folder not
/// writable, its encoder failing) is listed as ended with the reason and logged, and so is
/// each of `rejected` (channels given wrongly: the name as given, and why); the others and the
/// rest of the process go on.
pub(crate) fn start(
    specs: Vec<ChannelSpec>,
    rejected: Vec<(String, SpecError)>,
    opts: &ChannelOptions,
    reach: &Reach,
    seeds: Option<mpsc::UnboundedSender<crate::seeder::SeederChange>>,
    stop: &watch::Receiver<bool>,
) -> Started {
    let ffmpeg = if specs.iter().any(|s| s.source.needs_ffmpeg()) {
        encoder::find_ffmpeg().map_err(|e| e.to_string())
    } else {
        Err(String::new())
    };
    let folder = opts.folder();
    let origin = open_origin(opts).map(|o| o.map(Arc::new));
    let mut setups = Vec::new();
    let mut list = Vec::new();
    for spec in specs {
        let dir = folder.join(&spec.name);
        let setup = Setup {
            dir,
            base_url: reach.base_url.clone(),
            trackers: vec![reach.tracker_url.clone()],
            window: opts.window(),
            ffmpeg: ffmpeg.as_ref().ok().cloned(),
            peer_id: reach.peer_id,
            origin: origin.as_ref().ok().cloned().flatten(),
            spec,
        };
        let title = format!("{} ({})", setup.spec.name, setup.spec.source.describe());
        let mut channel = Channel::new(&setup.spec.name, title, setup.public_dir());
        channel.public_playlist = setup
            .origin
            .as_ref()
            .map(|o| o.url(&setup.spec.name, routes::PLAYLIST_FILE));
        let channel = Arc::new(channel);
        if let Err(why) = &origin {
            tracing::error!(channel = %setup.spec.name, "channel failed: {why}");
            channel.fail(why.clone());
            list.push(channel);
            continue;
        }
        if setup.spec.source.needs_ffmpeg() {
            if let Err(why) = &ffmpeg {
                tracing::error!(channel = %setup.spec.name, "channel failed: {why}");
                channel.fail(why.clone());
                list.push(channel);
                continue;
            }
        }
        list.push(Arc::clone(&channel));
        setups.push((setup, channel));
    }
    for (name, error) in rejected {
        tracing::error!("channel not started: {error}");
        let channel = Channel::new(&name, name.clone(), PathBuf::new());
        channel.fail(error.to_string());
        list.push(Arc::new(channel));
    }
    let channels = Arc::new(Channels {
        list,
        figures: registry::ChannelFigures::default(),
    });
    let tasks = setups
        .into_iter()
        .map(|(setup, channel)| {
            tracing::info!(
                channel = %setup.spec.name,
                playlist = %routes::playlist_url(&reach.base_url, &setup.spec.name),
                "channel starting"
            );
            tokio::spawn(runner::run(
                setup,
                channel,
                Arc::clone(&channels),
                seeds.clone(),
                stop.clone(),
            ))
        })
        .collect();
    Started { channels, tasks }
}

/// `--origin`'s object store, or why it cannot be opened.
fn open_origin(opts: &ChannelOptions) -> Result<Option<object_origin::ObjectOrigin>, String> {
    opts.origin
        .as_deref()
        .map(|url| object_origin::ObjectOrigin::open(url, opts.origin_public_url.as_deref()))
        .transpose()
        .map_err(|e| e.to_string())
}

/// `--origin`'s problem, if it has one (for a check before anything starts).
pub(crate) fn check_origin(opts: &ChannelOptions) -> Result<(), String> {
    open_origin(opts).map(|_| ())
}

/// ffmpeg's absence, as an error naming it, when any of `specs` needs it.
pub(crate) fn check_ffmpeg(specs: &[ChannelSpec]) -> Result<(), String> {
    if specs.iter().any(|s| s.source.needs_ffmpeg()) {
        encoder::find_ffmpeg().map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A live channel with nothing published yet, for other modules' tests.
#[cfg(test)]
pub(crate) fn testing_channel(name: &str, dir: &std::path::Path) -> Arc<Channel> {
    Arc::new(Channel::new(name, name.to_owned(), dir.to_path_buf()))
}
