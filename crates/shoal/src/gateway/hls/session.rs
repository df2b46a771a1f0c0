//! One ffmpeg run for one file from one segment on: its folder under the gateway's, the
//! process (started and watched the way the live channels' encoder is, `channel/encoder.rs`),
//! which segments it has written, and when a viewer last asked it for one. Dropping it kills
//! ffmpeg and deletes the folder.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::Instant,
};

use super::plan::segment_name;
use crate::channel::encoder::{self, EncoderError, RunningEncoder};

/// A running (or finished) ffmpeg run.
pub(crate) struct Transcode {
    /// The first segment it writes.
    pub(crate) first: u64,
    /// One past the last segment of the file.
    end: u64,
    dir: PathBuf,
    encoder: Mutex<RunningEncoder>,
    started: Instant,
    /// One past the highest segment seen written (segments are written in order).
    written: AtomicU64,
    /// Milliseconds after `started` of the last request it served or was waited on for.
    last_used_ms: AtomicU64,
    /// Whether ffmpeg has exited, and how.
    exit: Mutex<Option<String>>,
}

impl Transcode {
    /// Makes `dir` and starts ffmpeg with `args` (which write `seg-N.ts` into it), for segments
    /// `first..end`; `label` names it in the log.
    pub(crate) fn start(
        ffmpeg: &Path,
        args: &[OsString],
        dir: PathBuf,
        (first, end): (u64, u64),
        label: &str,
    ) -> Result<Self, EncoderError> {
        std::fs::create_dir_all(&dir).map_err(|source| EncoderError::Spawn {
            ffmpeg: format!("(making {})", dir.display()),
            source,
        })?;
        let child = encoder::spawn(ffmpeg, args)?;
        Ok(Self {
            first,
            end,
            dir,
            encoder: Mutex::new(RunningEncoder::watch(child, label)),
            started: Instant::now(),
            written: AtomicU64::new(first),
            last_used_ms: AtomicU64::new(0),
            exit: Mutex::new(None),
        })
    }

    /// Segment `n`'s file.
    pub(crate) fn path(&self, n: u64) -> PathBuf {
        self.dir.join(segment_name(n))
    }

    /// One past the highest segment written so far (`first` when none is): the files are
    /// looked for from the last one seen on. ffmpeg renames each one into place when whole.
    pub(crate) fn written(&self) -> u64 {
        let mut n = self.written.load(Ordering::Relaxed);
        while n < self.end && self.path(n).is_file() {
            n += 1;
        }
        self.written.fetch_max(n, Ordering::Relaxed);
        n
    }

    /// Whether it will write segment `n` soon: `n` is at or after its first and at most
    /// `ahead` segments past what it has written, and ffmpeg still runs (or wrote `n`).
    pub(crate) fn covers(&self, n: u64, ahead: u64) -> bool {
        let written = self.written();
        n >= self.first && (n < written || (n <= written + ahead && self.exited().is_none()))
    }

    /// `Some(how)` once ffmpeg has exited (its last lines when it failed).
    pub(crate) fn exited(&self) -> Option<String> {
        let mut exit = self.exit.lock().unwrap_or_else(|e| e.into_inner());
        if exit.is_none() {
            let mut enc = self.encoder.lock().unwrap_or_else(|e| e.into_inner());
            if let Ok(Some(status)) = enc.child.try_wait() {
                *exit = Some(if status.success() {
                    "finished".to_owned()
                } else {
                    format!("ffmpeg failed ({status}): {}", enc.tail())
                });
            }
        }
        exit.clone()
    }

    /// Marks a viewer's request now.
    pub(crate) fn touch(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_used_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// Seconds since a viewer last asked it for a segment.
    pub(crate) fn idle_secs(&self) -> f64 {
        let used = self.last_used_ms.load(Ordering::Relaxed) as f64 / 1000.0;
        (self.started.elapsed().as_secs_f64() - used).max(0.0)
    }

    /// Media seconds written per wall second since it started (0 before its first segment).
    pub(crate) fn speed(&self, segment_seconds: f64) -> f64 {
        let media = (self.written() - self.first) as f64 * segment_seconds;
        let wall = self.started.elapsed().as_secs_f64();
        if wall > 0.0 {
            media / wall
        } else {
            0.0
        }
    }
}

impl Drop for Transcode {
    fn drop(&mut self) {
        // The child is killed on drop (`kill_on_drop`); its folder goes with it.
        if let Ok(enc) = self.encoder.get_mut() {
            let _ = enc.child.start_kill();
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            tracing::debug!(dir = %self.dir.display(), "removing a transcode's folder: {e}");
        }
    }
}
