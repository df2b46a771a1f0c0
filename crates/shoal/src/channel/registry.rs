//! What the HTTP side knows of every channel: the playlist to serve, which segment and torrent
//! files may be served (published and not yet expired; anything else is a 404), the state and
//! error for `/api/channels`, the recent playlist fetchers (viewers), and the figures for
//! `/metrics`. Each channel's runner writes its entry; the handlers read it. Locks are never
//! held across an await.

use std::{
    collections::{BTreeSet, HashMap},
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, RwLock,
    },
    time::{Duration, Instant},
};

/// A viewer counts while it fetched the playlist within this long.
pub(crate) const VIEWER_WINDOW: Duration = Duration::from_secs(10);
/// Most viewers remembered per channel (beyond it the oldest are forgotten).
const MAX_VIEWERS_TRACKED: usize = 100_000;

/// A channel's lifecycle as `/api/channels` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    /// Publishing (or waiting for its source's first segment).
    Live,
    /// The source ended, the encoder stopped, or the channel could not start.
    Ended,
}

/// The mutable part of a channel.
#[derive(Debug, Clone)]
pub(crate) struct ChannelView {
    pub(crate) playlist: String,
    /// File names that may be served: `seg-N.ts` and `seg-N.ts.torrent`.
    pub(crate) files: BTreeSet<String>,
    pub(crate) lifecycle: Lifecycle,
    /// Why the channel ended, when it was not the source's normal end.
    pub(crate) error: Option<String>,
}

/// One channel as the HTTP side sees it.
#[derive(Debug)]
pub(crate) struct Channel {
    pub(crate) name: String,
    pub(crate) title: String,
    /// The folder the published files are in.
    pub(crate) public_dir: PathBuf,
    /// The playlist's URL when it is published elsewhere (`--origin`); else this server's.
    pub(crate) public_playlist: Option<String>,
    view: RwLock<ChannelView>,
    viewers: Mutex<HashMap<String, Instant>>,
}

impl Channel {
    pub(crate) fn new(name: &str, title: String, public_dir: PathBuf) -> Self {
        Self {
            name: name.to_owned(),
            title,
            public_dir,
            public_playlist: None,
            view: RwLock::new(ChannelView {
                playlist: String::new(),
                files: BTreeSet::new(),
                lifecycle: Lifecycle::Live,
                error: None,
            }),
            viewers: Mutex::new(HashMap::new()),
        }
    }

    /// A copy of the current view.
    pub(crate) fn view(&self) -> ChannelView {
        self.view
            .read()
            .map_or_else(|p| p.into_inner().clone(), |v| v.clone())
    }

    /// Changes the view.
    pub(crate) fn update(&self, f: impl FnOnce(&mut ChannelView)) {
        match self.view.write() {
            Ok(mut view) => f(&mut view),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Marks the channel ended with `error` (a channel that could not start, or failed).
    pub(crate) fn fail(&self, error: String) {
        self.update(|v| {
            v.lifecycle = Lifecycle::Ended;
            v.error = Some(error);
        });
    }

    /// Records a playlist fetch by `viewer` (an opaque key) at `now`.
    pub(crate) fn saw_viewer(&self, viewer: String, now: Instant) {
        let Ok(mut viewers) = self.viewers.lock() else {
            return;
        };
        if viewers.len() >= MAX_VIEWERS_TRACKED {
            viewers.retain(|_, at| now.duration_since(*at) < VIEWER_WINDOW);
        }
        if viewers.len() < MAX_VIEWERS_TRACKED {
            viewers.insert(viewer, now);
        }
    }

    /// Distinct playlist fetchers in the last [`VIEWER_WINDOW`].
    pub(crate) fn viewers(&self, now: Instant) -> usize {
        let Ok(mut viewers) = self.viewers.lock() else {
            return 0;
        };
        viewers.retain(|_, at| now.duration_since(*at) < VIEWER_WINDOW);
        viewers.len()
    }
}

/// Figures over all channels, for `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct ChannelFigures {
    pub(crate) segments_published: AtomicU64,
    /// Segment and torrent bytes sent over HTTP.
    pub(crate) http_bytes: AtomicU64,
}

impl ChannelFigures {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// Every channel of this process.
#[derive(Debug, Default)]
pub(crate) struct Channels {
    pub(crate) list: Vec<Arc<Channel>>,
    pub(crate) figures: ChannelFigures,
}

impl Channels {
    pub(crate) fn get(&self, name: &str) -> Option<&Arc<Channel>> {
        self.list.iter().find(|c| c.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_are_distinct_recent_fetchers() {
        let channel = Channel::new("demo", "Demo".into(), PathBuf::new());
        let t0 = Instant::now();
        channel.saw_viewer("a".into(), t0);
        channel.saw_viewer("a".into(), t0);
        channel.saw_viewer("b".into(), t0);
        assert_eq!(channel.viewers(t0), 2);
        channel.saw_viewer("b".into(), t0 + Duration::from_secs(9));
        assert_eq!(channel.viewers(t0 + Duration::from_secs(11)), 1);
        assert_eq!(channel.viewers(t0 + Duration::from_secs(30)), 0);
    }

    #[test]
    fn a_failed_channel_is_ended_with_its_reason() {
        let channel = Channel::new("demo", "Demo".into(), PathBuf::new());
        assert_eq!(channel.view().lifecycle, Lifecycle::Live);
        channel.fail("ffmpeg was not found".into());
        let view = channel.view();
        assert_eq!(view.lifecycle, Lifecycle::Ended);
        assert_eq!(view.error.as_deref(), Some("ffmpeg was not found"));
    }
}
