//! One channel's task: start the encoder (or find the watched playlist), poll the encoder's
//! playlist, and publish each newly listed (so complete) segment: hash it into its segment
//! torrent, move it into the served folder beside its `.torrent`, add it to the live window,
//! delete what left the DVR window, hand both changes to the seeder, and save where the
//! numbering continues. When the encoder exits or the source ends, the playlist ends
//! (`#EXT-X-ENDLIST`) and the channel says "ended"; a channel that fails before its first
//! segment says why.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use tokio::sync::{mpsc, watch};

use super::{
    encoder::{self, RunningEncoder, ENCODER_PLAYLIST},
    input_playlist::{self, InputPlaylist},
    object_origin::ObjectOrigin,
    publisher::{Publisher, WindowConfig},
    registry::{Channel, ChannelFigures, Channels, Lifecycle},
    saved::{self, Saved},
    segment_torrent,
    spec::{ChannelSpec, Source},
};
use crate::{seedable, seeder::SeederChange};

/// How often the encoder's playlist is read.
const POLL: Duration = Duration::from_millis(250);

/// What a channel needs to run.
#[derive(Debug, Clone)]
pub(crate) struct Setup {
    pub(crate) spec: ChannelSpec,
    /// The channel's folder: `channel.json`, `public/` (served), `encoder/` (ffmpeg's output).
    pub(crate) dir: PathBuf,
    /// This server as clients reach it, without a trailing slash.
    pub(crate) base_url: String,
    /// WebSocket trackers the segments and the channel swarm are announced to.
    pub(crate) trackers: Vec<String>,
    pub(crate) window: WindowConfig,
    /// The ffmpeg to run (sources other than a watched playlist).
    pub(crate) ffmpeg: Option<PathBuf>,
    /// This process's peer id (the seeder's engines use it).
    pub(crate) peer_id: [u8; 20],
    /// `--origin`: the object store segments are uploaded to (their URLs point there).
    pub(crate) origin: Option<Arc<ObjectOrigin>>,
}

impl Setup {
    /// The folder the published files are served from.
    pub(crate) fn public_dir(&self) -> PathBuf {
        self.dir.join("public")
    }
}

/// What a publish leaves to upload to an object store origin.
#[derive(Debug)]
pub(crate) struct Uploads {
    /// The new segment's file name.
    pub(crate) file: String,
    pub(crate) torrent: Vec<u8>,
    /// Files of the segments that left the DVR window.
    pub(crate) expired: Vec<String>,
}

/// How a channel's run finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The source ended or the encoder stopped after publishing.
    Ended,
    /// It could not start, or stopped before its first segment: why.
    Failed(String),
    /// Shutdown.
    Stopped,
}

/// Runs channel `channel` until its source ends or `stop` turns true.
pub(crate) async fn run(
    setup: Setup,
    channel: Arc<Channel>,
    channels: Arc<Channels>,
    seeds: Option<mpsc::UnboundedSender<SeederChange>>,
    mut stop: watch::Receiver<bool>,
) -> Outcome {
    let outcome = match start(&setup, &channel) {
        Ok((mut run, child)) => {
            run.seeds = seeds;
            run.figures = Some(channels);
            run.poll_until_done(child, &mut stop).await
        }
        Err(why) => Outcome::Failed(why),
    };
    match &outcome {
        Outcome::Failed(why) => {
            tracing::error!(channel = %setup.spec.name, "channel failed: {why}");
            channel.fail(why.clone());
        }
        Outcome::Ended => tracing::warn!(channel = %setup.spec.name, "the broadcast ended"),
        Outcome::Stopped => {}
    }
    outcome
}

/// Prepares the folders and the numbering, and starts the encoder.
fn start(setup: &Setup, channel: &Arc<Channel>) -> Result<(Run, Option<RunningEncoder>), String> {
    let public = setup.public_dir();
    let encoder_dir = setup.dir.join("encoder");
    for dir in [&public, &encoder_dir] {
        // A previous run's files are listed nowhere any more.
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    let saved = saved::load(&setup.dir).unwrap_or_else(|| Saved::fresh(&setup.spec.name));
    saved::store(&setup.dir, &saved)
        .map_err(|e| format!("writing {}: {e}", setup.dir.display()))?;
    let swarm = saved
        .swarm_id()
        .ok_or("the saved swarm id is not 40 hex digits")?;
    let publisher = Publisher::new(
        setup.window,
        swarm,
        setup.trackers.clone(),
        saved.continuity,
    );
    let (input, child) = match &setup.spec.source {
        Source::Watch(playlist) => (playlist.clone(), None),
        source => {
            let ffmpeg = setup
                .ffmpeg
                .clone()
                .ok_or_else(|| encoder::EncoderError::Missing.to_string())?;
            let args =
                encoder::arguments(source, &encoder_dir, setup.window.segment_seconds as u32);
            let child = encoder::spawn(&ffmpeg, &args).map_err(|e| e.to_string())?;
            tracing::info!(channel = %setup.spec.name, source = %source.describe(), "encoder started");
            (
                encoder_dir.join(ENCODER_PLAYLIST),
                Some(RunningEncoder::watch(child, &setup.spec.name)),
            )
        }
    };
    let run = Run {
        own_encoder: child.is_some(),
        input,
        next_input: child.is_some().then_some(0),
        restarted: false,
        last_error: None,
        publisher,
        saved,
        setup: setup.clone(),
        channel: Arc::clone(channel),
        seeds: None,
        figures: None,
    };
    run.show();
    Ok((run, child))
}

/// A channel's publishing state.
struct Run {
    setup: Setup,
    channel: Arc<Channel>,
    publisher: Publisher,
    saved: Saved,
    /// The encoder's playlist.
    input: PathBuf,
    /// Our own ffmpeg (segments are moved, not copied).
    own_encoder: bool,
    /// The next encoder sequence number to publish; `None` until the first read of a watched
    /// playlist (which starts at its live window, not its whole history).
    next_input: Option<u64>,
    /// The watched encoder restarted its numbering: the next segment is a discontinuity.
    restarted: bool,
    last_error: Option<String>,
    seeds: Option<mpsc::UnboundedSender<SeederChange>>,
    figures: Option<Arc<Channels>>,
}

impl Run {
    async fn poll_until_done(
        &mut self,
        mut encoder: Option<RunningEncoder>,
        stop: &mut watch::Receiver<bool>,
    ) -> Outcome {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|s| *s) => return Outcome::Stopped,
            }
            // Whether the encoder exited is read before its playlist, so its last segments
            // are published before the end.
            let exited = encoder
                .as_mut()
                .and_then(|e| e.child.try_wait().ok().flatten());
            let ended = match self.read_input().await {
                Some(listing) => {
                    self.publish_new(&listing).await;
                    listing.ended
                }
                None => false,
            };
            if let Some(status) = exited {
                let tail = encoder
                    .as_ref()
                    .map(RunningEncoder::tail)
                    .unwrap_or_default();
                if self.publisher.count() == 0 && !status.success() {
                    return Outcome::Failed(format!(
                        "ffmpeg stopped ({status}) before its first segment: {tail}"
                    ));
                }
                tracing::warn!(channel = %self.setup.spec.name, %status, "the encoder stopped");
                self.end();
                self.upload(Vec::new(), None).await;
                return Outcome::Ended;
            }
            if ended {
                self.end();
                self.upload(Vec::new(), None).await;
                return Outcome::Ended;
            }
        }
    }

    /// The encoder's playlist, when it exists and reads; a bad one is logged once.
    async fn read_input(&mut self) -> Option<InputPlaylist> {
        let text = match tokio::fs::read(&self.input).await {
            Ok(bytes) if bytes.len() > input_playlist::MAX_PLAYLIST_BYTES => {
                self.note_error(format!("{}: larger than 1 MiB", self.input.display()));
                return None;
            }
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(_) => return None,
        };
        match input_playlist::parse(&text) {
            Ok(listing) => {
                self.last_error = None;
                Some(listing)
            }
            Err(error) => {
                self.note_error(format!("{}: {error}", self.input.display()));
                None
            }
        }
    }

    fn note_error(&mut self, error: String) {
        if self.last_error.as_ref() != Some(&error) {
            tracing::warn!(channel = %self.setup.spec.name, "{error}");
            self.last_error = Some(error);
        }
    }

    /// Publishes every listed segment not published yet, in order.
    async fn publish_new(&mut self, listing: &InputPlaylist) {
        let (Some(first), Some(last)) = (listing.segments.first(), listing.segments.last()) else {
            return;
        };
        let next = match self.next_input {
            Some(next) if last.sequence.saturating_add(1) < next => {
                // The watched encoder started over.
                self.restarted = true;
                first.sequence
            }
            Some(next) => next,
            None => (last.sequence + 1)
                .saturating_sub(self.setup.window.live_segments as u64)
                .max(first.sequence),
        };
        self.next_input = Some(next);
        let folder = self
            .input
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for segment in listing.segments.iter().filter(|s| s.sequence >= next) {
            let path = folder.join(&segment.uri);
            // Listed but not there (yet): try again on the next poll.
            let Ok(bytes) = tokio::fs::read(&path).await else {
                return;
            };
            self.next_input = Some(segment.sequence + 1);
            let discontinuity = segment.discontinuity || std::mem::take(&mut self.restarted);
            match self.publish(&path, &bytes, segment.duration, discontinuity) {
                Ok(uploads) => self.upload(bytes, Some(uploads)).await,
                Err(error) => self.note_error(error),
            }
        }
    }

    /// Publishes one complete segment.
    fn publish(
        &mut self,
        from: &Path,
        bytes: &[u8],
        duration: f64,
        discontinuity: bool,
    ) -> Result<Uploads, String> {
        let (_, file) = self.publisher.next();
        let name = &self.setup.spec.name;
        let url = match &self.setup.origin {
            Some(origin) => origin.url(name, &file),
            None => format!("{}/channels/{name}/{file}", self.setup.base_url),
        };
        let made = segment_torrent::make(&file, bytes, &url, &self.setup.trackers)
            .map_err(|e| e.to_string())?;
        let public = self.setup.public_dir();
        let target = public.join(&file);
        let moved = self.own_encoder && std::fs::rename(from, &target).is_ok();
        if !moved {
            std::fs::write(&target, bytes)
                .map_err(|e| format!("writing {}: {e}", target.display()))?;
        }
        let torrent_path = public.join(format!("{file}.torrent"));
        std::fs::write(&torrent_path, &made.torrent)
            .map_err(|e| format!("writing {}: {e}", torrent_path.display()))?;
        let expired = self.publisher.push(
            duration,
            discontinuity,
            made.info_hash,
            made.length,
            made.pieces,
        );
        for gone in &expired {
            let _ = std::fs::remove_file(public.join(&gone.file));
            let _ = std::fs::remove_file(public.join(format!("{}.torrent", gone.file)));
            self.seed(|| Ok(SeederChange::Remove(gone.info_hash)));
        }
        let uploads = Uploads {
            file: file.clone(),
            torrent: made.torrent.clone(),
            expired: expired.iter().map(|g| g.file.clone()).collect(),
        };
        let peer_id = self.setup.peer_id;
        self.seed(|| {
            seedable::from_memory(&target, made.torrent, bytes, peer_id)
                .map(|s| SeederChange::AddChannelSegment(Box::new(s)))
        });
        self.channel.update(|v| {
            for gone in &expired {
                v.files.remove(&gone.file);
                v.files.remove(&format!("{}.torrent", gone.file));
            }
            v.files.insert(format!("{file}.torrent"));
            v.files.insert(file.clone());
        });
        self.show();
        if let Some(channels) = &self.figures {
            ChannelFigures::add(&channels.figures.segments_published, 1);
        }
        self.saved.continuity = self.publisher.continuity();
        if let Err(error) = saved::store(&self.setup.dir, &self.saved) {
            tracing::warn!(channel = %name, %error, "could not save the channel's numbering");
        }
        tracing::debug!(channel = %name, segment = %file, "published");
        Ok(uploads)
    }

    /// With `--origin`: uploads a published segment, its torrent and then the playlist, and
    /// deletes the expired ones (a failure is logged; the local origin serves on).
    async fn upload(&mut self, bytes: Vec<u8>, uploads: Option<Uploads>) {
        let Some(origin) = self.setup.origin.clone() else {
            return;
        };
        let playlist = self.publisher.playlist();
        if let Err(error) = origin
            .publish(&self.setup.spec.name, bytes, uploads, playlist)
            .await
        {
            self.note_error(format!("uploading to the origin: {error}"));
        }
    }

    /// Hands a change to the seeder (made only when there is a seeder).
    fn seed(&self, change: impl FnOnce() -> anyhow::Result<SeederChange>) {
        let Some(seeds) = &self.seeds else {
            return;
        };
        match change() {
            Ok(change) => {
                let _ = seeds.send(change);
            }
            Err(error) => tracing::warn!(channel = %self.setup.spec.name, "not seeded: {error:#}"),
        }
    }

    /// The playlist ends; the channel says "ended".
    fn end(&mut self) {
        self.publisher.end();
        self.channel.update(|v| v.lifecycle = Lifecycle::Ended);
        self.show();
    }

    /// Hands the current playlist to the HTTP side.
    fn show(&self) {
        let playlist = self.publisher.playlist();
        self.channel.update(|v| v.playlist = playlist);
    }
}

#[cfg(test)]
#[path = "runner_tests.rs"]
mod tests;
