//! One ffmpeg run for one file from one segment on: its folder under the gateway's, the
//! process (started and watched the way the live channels' encoder is, `channel/encoder.rs`),
//! which segments it has written, and when a viewer last asked it for one. Dropping it kills
//! ffmpeg and deletes the folder.
//!
//! A run is paced by its viewers ([`Transcode::pace`]): ffmpeg transcodes faster than real time,
//! so left alone it would write the whole film, about the film's size again on disk. Once it
//! is `lead` segments past the furthest segment asked for, it is paused (SIGSTOP) until the
//! viewers come within half of that (SIGCONT), and segments more than `lead` behind the
//! furthest asked are deleted. A run's folder holds about `2 × lead` segments at most.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
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
    /// How far ahead of the furthest segment asked it may run, and how far behind it keeps.
    lead: u64,
    /// The furthest segment a viewer asked for.
    asked: AtomicU64,
    /// Segments below this one were deleted (behind every viewer).
    kept_from: AtomicU64,
    /// Whether ffmpeg is stopped by [`Transcode::pace`].
    paused: AtomicBool,
}

/// Whether a run `written` segments far, whose viewers asked up to `asked`, should be paused:
/// once more than `lead` ahead; a paused one resumes at `lead / 2` ahead or less, so it is not
/// stopped and started for every segment.
pub(crate) fn should_pause(written: u64, asked: u64, paused: bool, lead: u64) -> bool {
    let ahead = written.saturating_sub(asked);
    if paused {
        ahead > lead / 2
    } else {
        ahead > lead
    }
}

/// The first segment kept on disk when viewers asked up to `asked`: `lead` behind it, so a
/// short seek back is served by the run (never past what ffmpeg has written).
pub(crate) fn keep_from(asked: u64, written: u64, lead: u64) -> u64 {
    asked.saturating_sub(lead).min(written)
}

impl Transcode {
    /// Makes `dir` and starts ffmpeg with `args` (which write `seg-N.ts` into it), for segments
    /// `first..end`, paced to stay within `lead` segments of its viewers; `label` names it in
    /// the log.
    pub(crate) fn start(
        ffmpeg: &Path,
        args: &[OsString],
        dir: PathBuf,
        (first, end, lead): (u64, u64, u64),
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
            lead: lead.max(2),
            asked: AtomicU64::new(first),
            kept_from: AtomicU64::new(first),
            paused: AtomicBool::new(false),
        })
    }

    /// The name of its folder under the gateway's `hls/` (unique per run).
    pub(crate) fn folder(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
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

    /// The first segment still on disk (those before it were deleted behind the viewers).
    pub(crate) fn kept_from(&self) -> u64 {
        self.kept_from.load(Ordering::Relaxed)
    }

    /// Whether it will write segment `n` soon: `n` is at or after the first it still has and
    /// at most `ahead` segments past what it has written, and ffmpeg still runs (or wrote `n`).
    pub(crate) fn covers(&self, n: u64, ahead: u64) -> bool {
        let written = self.written();
        n >= self.kept_from() && (n < written || (n <= written + ahead && self.exited().is_none()))
    }

    /// A viewer asked for segment `n`: it is kept until the viewers are `lead` past it, and the
    /// run is resumed if it was paused and is now within reach.
    pub(crate) fn asked(&self, n: u64) {
        self.asked.fetch_max(n, Ordering::Relaxed);
        self.pace();
    }

    /// Whether ffmpeg is paused for running too far ahead.
    pub(crate) fn paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// Pauses or resumes ffmpeg by how far ahead of its viewers it is, and deletes the
    /// segments they left behind (see the module's header).
    pub(crate) fn pace(&self) {
        let written = self.written();
        let asked = self.asked.load(Ordering::Relaxed);
        if self.exited().is_none() {
            let paused = self.paused();
            let pause = should_pause(written, asked, paused, self.lead);
            if pause != paused {
                self.signal(pause);
            }
        }
        let keep = keep_from(asked, written, self.lead);
        let from = self.kept_from.fetch_max(keep, Ordering::Relaxed);
        for n in from..keep {
            if let Err(e) = std::fs::remove_file(self.path(n)) {
                tracing::debug!(segment = n, "removing a segment left behind: {e}");
            }
        }
    }

    /// Stops (`true`) or continues ffmpeg.
    fn signal(&self, stop: bool) {
        use rustix::process::{kill_process, Pid, Signal};
        let enc = self.encoder.lock().unwrap_or_else(|e| e.into_inner());
        let pid = enc
            .child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(Pid::from_raw);
        let Some(pid) = pid else { return };
        let sig = if stop { Signal::STOP } else { Signal::CONT };
        match kill_process(pid, sig) {
            Ok(()) => {
                self.paused.store(stop, Ordering::Relaxed);
                tracing::debug!(
                    first = self.first,
                    written = self.written(),
                    stop,
                    "hls: run paced"
                );
            }
            Err(e) => tracing::debug!("pacing an ffmpeg run: {e}"),
        }
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

#[cfg(test)]
mod tests {
    use super::{keep_from, should_pause};

    #[test]
    fn a_run_pauses_past_its_lead_and_resumes_at_half_of_it() {
        let lead = 30;
        assert!(!should_pause(30, 0, false, lead), "at the lead: runs on");
        assert!(should_pause(31, 0, false, lead), "past it: paused");
        // Viewers move on: still paused until within half of the lead.
        assert!(should_pause(31, 10, true, lead));
        assert!(!should_pause(31, 16, true, lead), "15 ahead: resumed");
        // A viewer behind the run's first segment (asked is never below it in use) or ahead
        // of what is written: not ahead at all.
        assert!(!should_pause(5, 40, false, lead));
        assert!(!should_pause(5, 40, true, lead));
    }

    #[test]
    fn segments_are_kept_a_lead_behind_the_viewers_never_past_what_is_written() {
        assert_eq!(keep_from(10, 50, 30), 0);
        assert_eq!(keep_from(45, 50, 30), 15);
        // A viewer that jumped past what this run wrote deletes nothing ffmpeg is writing.
        assert_eq!(keep_from(200, 50, 30), 50);
    }
}
