//! `/hls/HASH/FILE_INDEX/…`: a torrent's file as HLS (MPEG-TS segments of H.264 and AAC/MP3)
//! for browsers that cannot play its container or codecs (MKV, HEVC, AC3, DTS…).
//!
//! - `probe.rs` fetches the file's first and last bytes from the swarm, then runs ffprobe on
//!   the gateway's own `/stream` URL; `plan.rs` decides per stream: copy or transcode. The plan
//!   is cached per file.
//! - The playlist is a VOD list computed from the duration (fixed 4 s segments), so a player
//!   seeks anywhere before anything is transcoded.
//! - `session.rs` is one ffmpeg run from one segment on, writing into a folder of its own under
//!   the gateway's folder. A segment request is served by a run that has written it or will
//!   soon (at most [`AHEAD`] segments past what it wrote); otherwise a new run starts at that
//!   segment (a seek far ahead: `-ss` on the input, output timestamps offset to the film's
//!   time). Runs are shared by every viewer of the file, released [`IDLE_RELEASE`] after the
//!   last request, and at most `max_transcodes` run at once.
//!
//! `routes.rs` has the HTTP side.

mod plan;
mod probe;
pub(crate) mod routes;
mod session;

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex, Weak},
    time::{Duration, Instant},
};

use metainfo::InfoHash;

pub(crate) use self::plan::Plan;
use self::session::Transcode;

/// A segment this many past what a run has written is waited for; further ahead, a new run
/// starts there (ffmpeg's start-up costs about one segment's wait).
const AHEAD: u64 = 3;
/// A run no viewer asked for a segment for this long is stopped and its folder deleted.
const IDLE_RELEASE: Duration = Duration::from_secs(30);
/// How often runs are paced and idle ones looked for. Often: a small film is transcoded at
/// tens of segments a second, and a run is only paused at these looks (or a viewer's request).
const REAP_EVERY: Duration = Duration::from_millis(250);
/// Most plans kept (one per file probed); beyond it the cache starts again.
const MAX_PLANS: usize = 512;

/// A file of a torrent.
pub(crate) type FileKey = (InfoHash, usize);

/// Settings of the HLS gateway.
#[derive(Debug, Clone)]
pub(crate) struct HlsConfig {
    /// The companion's own base URL on loopback (`http://127.0.0.1:PORT`), which ffprobe and
    /// ffmpeg read `/stream/HASH/N` from.
    pub(crate) local_base: String,
    /// Most ffmpeg runs at once (every file together).
    pub(crate) max_transcodes: usize,
    /// Where runs write their segments (`…/hls/`, removed at start).
    pub(crate) dir: PathBuf,
    /// How many segments a run may write ahead of the furthest one asked for (and keeps
    /// behind it): `--gateway-hls-lead` seconds over the segment length.
    pub(crate) lead_segments: u64,
}

impl HlsConfig {
    /// Segments for a lead of `seconds`.
    pub(crate) fn lead_for(seconds: u64) -> u64 {
        seconds.div_ceil(u64::from(plan::SEGMENT_SECONDS)).max(2)
    }
}

/// Why no run could serve a segment.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    #[error("{0} transcodes run already (--gateway-max-transcodes) and none is idle; retry soon")]
    Full(usize),
    #[error(transparent)]
    Start(#[from] crate::channel::encoder::EncoderError),
}

/// What probing a file settled: its plan, or why ffprobe could not read it. The failure is
/// kept for [`UNPLAYABLE_KEPT`] so that a player retrying the playlist does not start ffprobe
/// every time; only for that long, because a read can also fail for want of peers, which may
/// come back. A missing ffprobe or a timeout is not kept at all.
pub(crate) type Verdict = Result<Plan, Unplayable>;

/// How long a failed probe is answered from the cache.
pub(crate) const UNPLAYABLE_KEPT: Duration = Duration::from_secs(60);

/// Why a file cannot be played, and since when that is known.
#[derive(Debug, Clone)]
pub(crate) struct Unplayable {
    pub(crate) why: String,
    pub(crate) since: Instant,
}

/// The plans and the runs of every file.
pub(crate) struct Hls {
    cfg: HlsConfig,
    /// One slot per file: the first request probes while holding it, the others wait.
    plans: Mutex<HashMap<FileKey, Arc<tokio::sync::Mutex<Option<Verdict>>>>>,
    runs: Mutex<Vec<(FileKey, Arc<Transcode>)>>,
    /// Runs started so far, to name their folders.
    started: std::sync::atomic::AtomicU64,
}

impl Hls {
    pub(crate) fn new(cfg: HlsConfig) -> Arc<Self> {
        // Folders of an earlier process are stale.
        let _ = std::fs::remove_dir_all(&cfg.dir);
        let hls = Arc::new(Self {
            cfg,
            plans: Mutex::new(HashMap::new()),
            runs: Mutex::new(Vec::new()),
            started: std::sync::atomic::AtomicU64::new(0),
        });
        tokio::spawn(reap(Arc::downgrade(&hls)));
        hls
    }

    pub(crate) fn config(&self) -> &HlsConfig {
        &self.cfg
    }

    fn runs(&self) -> std::sync::MutexGuard<'_, Vec<(FileKey, Arc<Transcode>)>> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The plan slot of `key` (made empty when new).
    pub(crate) fn plan_slot(&self, key: FileKey) -> Arc<tokio::sync::Mutex<Option<Verdict>>> {
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        if plans.len() >= MAX_PLANS && !plans.contains_key(&key) {
            plans.clear();
        }
        Arc::clone(plans.entry(key).or_default())
    }

    /// The run that serves segment `n` of `key`: one that has written it or soon will, else a
    /// new one from `n` (the least recently used run is stopped when the cap is reached and it
    /// is of the same file, or idle for a while).
    pub(crate) fn run_for(
        &self,
        key: FileKey,
        n: u64,
        plan: &Plan,
        ffmpeg: &std::path::Path,
    ) -> Result<Arc<Transcode>, RunError> {
        let mut runs = self.runs();
        let found = runs
            .iter()
            .filter(|(k, r)| *k == key && r.covers(n, AHEAD))
            // The latest start is the one closest to `n`.
            .max_by_key(|(_, r)| r.first)
            .map(|(_, r)| Arc::clone(r));
        if let Some(run) = found {
            run.touch();
            run.asked(n);
            return Ok(run);
        }
        if runs.len() >= self.cfg.max_transcodes {
            let victim = runs
                .iter()
                .enumerate()
                .filter(|(_, (k, r))| *k == key || r.idle_secs() >= 5.0)
                .max_by(|(_, (_, a)), (_, (_, b))| a.idle_secs().total_cmp(&b.idle_secs()))
                .map(|(i, _)| i)
                .ok_or(RunError::Full(self.cfg.max_transcodes))?;
            runs.swap_remove(victim);
        }
        let seq = self
            .started
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = self
            .cfg
            .dir
            .join(format!("{}-{}-{seq}", key.0.to_hex(), key.1));
        let input = format!(
            "{}/stream/{}/{}",
            self.cfg.local_base,
            key.0.to_hex(),
            key.1
        );
        let args = plan.ffmpeg_args(&input, &dir, n);
        let label = format!("hls {}/{} from segment {n}", key.0.to_hex(), key.1);
        let run = Arc::new(Transcode::start(
            ffmpeg,
            &args,
            dir,
            (n, plan.segments(), self.cfg.lead_segments),
            &label,
        )?);
        tracing::info!(
            info_hash = %key.0.to_hex(),
            file = key.1,
            segment = n,
            mode = plan.mode(),
            "hls: ffmpeg started"
        );
        run.touch();
        runs.push((key, Arc::clone(&run)));
        Ok(run)
    }

    /// The runs of `key`, the most recently used first.
    pub(crate) fn runs_of(&self, key: FileKey) -> Vec<Arc<Transcode>> {
        let mut out: Vec<_> = self
            .runs()
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, r)| Arc::clone(r))
            .collect();
        out.sort_by(|a, b| a.idle_secs().total_cmp(&b.idle_secs()));
        out
    }

    /// How many ffmpeg runs there are.
    pub(crate) fn running(&self) -> usize {
        self.runs().len()
    }

    /// Stops every run of a torrent (it was removed).
    pub(crate) fn forget(&self, hash: &InfoHash) {
        self.runs().retain(|((h, _), _)| h != hash);
        self.plans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(h, _), _| h != hash);
    }
}

/// Paces every run, and stops those no viewer asked anything of for [`IDLE_RELEASE`].
async fn reap(hls: Weak<Hls>) {
    loop {
        tokio::time::sleep(REAP_EVERY).await;
        let Some(hls) = hls.upgrade() else { return };
        for (_, run) in hls.runs().iter() {
            run.pace();
        }
        let idle: Vec<_> = {
            let mut runs = hls.runs();
            let (gone, kept) = std::mem::take(&mut *runs)
                .into_iter()
                .partition(|(_, r)| r.idle_secs() >= IDLE_RELEASE.as_secs_f64());
            *runs = kept;
            gone
        };
        for ((hash, file), run) in idle {
            tracing::info!(info_hash = %hash.to_hex(), file, from = run.first, "hls: idle run released");
        }
    }
}
