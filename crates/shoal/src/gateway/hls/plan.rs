//! What to do with a file a browser may not play, decided from its probe: which streams are
//! copied and which are transcoded, the VOD playlist computed up front from the duration, and
//! ffmpeg's command line for a run that starts at a given segment. Pure: no processes here.
//!
//! Browsers (through hls.js and MSE, MPEG-TS segments) play H.264 in 8-bit 4:2:0 and AAC or
//! MP3. A file whose streams are all of those only changes container (`-c copy`); otherwise
//! only what is unplayable is transcoded: the video to H.264, the audio to AAC (AC3, E-AC3,
//! DTS, FLAC, Opus in MKV…).

use std::{ffi::OsString, fmt::Write, path::Path};

/// Seconds of media in each segment (the last one is shorter). Fixed, so the playlist can be
/// written before a single segment exists and the player can seek anywhere.
pub(crate) const SEGMENT_SECONDS: u32 = 4;
/// Most segments a playlist lists: 100,000 × 4 s is over 4 days of media; a longer duration is a
/// broken header.
pub(crate) const MAX_SEGMENTS: u64 = 100_000;
/// A last segment shorter than this is folded into the one before (it stays below
/// `SEGMENT_SECONDS + 0.5`, which rounds to the playlist's target duration).
const SHORTEST_LAST: f64 = 0.5;
/// A segment's file name in a run's folder and in the playlist.
pub(crate) fn segment_name(n: u64) -> String {
    format!("seg-{n}.ts")
}

/// What ffprobe said about a file (the first video stream that is not cover art, the first
/// audio stream).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Probe {
    /// ffprobe's `format_name`, e.g. `matroska,webm` or `mov,mp4,m4a,3gp,3g2,mj2`.
    pub(crate) container: String,
    pub(crate) duration: Option<f64>,
    pub(crate) video: Option<VideoStream>,
    pub(crate) audio: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VideoStream {
    pub(crate) codec: String,
    /// `yuv420p`, `yuv420p10le`…; empty when ffprobe did not say.
    pub(crate) pix_fmt: String,
}

/// What happens to one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    /// Copied as it is (`-c copy`).
    Copy,
    /// Re-encoded (H.264 for video, AAC for audio).
    Transcode,
    /// The file has no such stream.
    Absent,
}

/// The decision for one file, cached per file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    pub(crate) video: Action,
    pub(crate) audio: Action,
    /// Seconds of media.
    pub(crate) duration: f64,
    pub(crate) container: String,
}

/// Why a file cannot be planned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum PlanError {
    #[error("the file has neither a video nor an audio stream ffprobe can read")]
    NoStreams,
    #[error("ffprobe gives no usable duration ({0:?}), so no playlist can be computed")]
    NoDuration(Option<f64>),
}

fn video_plays(v: &VideoStream) -> bool {
    // 10-bit and 4:2:2/4:4:4 H.264 (High 10 and up) do not decode in browsers.
    v.codec == "h264" && matches!(v.pix_fmt.as_str(), "yuv420p" | "yuvj420p" | "")
}

fn audio_plays(codec: &str) -> bool {
    matches!(codec, "aac" | "mp3")
}

impl Plan {
    pub(crate) fn from_probe(p: &Probe) -> Result<Self, PlanError> {
        let video = match &p.video {
            None => Action::Absent,
            Some(v) if video_plays(v) => Action::Copy,
            Some(_) => Action::Transcode,
        };
        let audio = match p.audio.as_deref() {
            None => Action::Absent,
            Some(a) if audio_plays(a) => Action::Copy,
            Some(_) => Action::Transcode,
        };
        if video == Action::Absent && audio == Action::Absent {
            return Err(PlanError::NoStreams);
        }
        let max = f64::from(SEGMENT_SECONDS) * MAX_SEGMENTS as f64;
        let duration = p
            .duration
            .filter(|d| d.is_finite() && *d > 0.0 && *d <= max)
            .ok_or(PlanError::NoDuration(p.duration))?;
        Ok(Self {
            video,
            audio,
            duration,
            container: p.container.clone(),
        })
    }

    /// `remux` (container only), `audio` (the audio transcoded, the video copied) or
    /// `transcode` (the video re-encoded).
    pub(crate) fn mode(&self) -> &'static str {
        match (self.video, self.audio) {
            (Action::Transcode, _) => "transcode",
            (_, Action::Transcode) => "audio",
            _ => "remux",
        }
    }

    /// How many segments the playlist lists (at least 1, at most [`MAX_SEGMENTS`]). A
    /// remainder shorter than [`SHORTEST_LAST`] joins the segment before it: a film's duration
    /// often ends a few audio frames after a round number, and a segment of those alone may
    /// never be written (ffmpeg's last cut can leave them in the segment before).
    pub(crate) fn segments(&self) -> u64 {
        let len = f64::from(SEGMENT_SECONDS);
        let mut n = ((self.duration / len).ceil() as u64).clamp(1, MAX_SEGMENTS);
        if n > 1 && self.duration - Self::segment_start(n - 1) < SHORTEST_LAST {
            n -= 1;
        }
        n
    }

    /// Where segment `n` starts in the film, seconds.
    pub(crate) fn segment_start(n: u64) -> f64 {
        (n * u64::from(SEGMENT_SECONDS)) as f64
    }

    /// Segment `n`'s duration: [`SEGMENT_SECONDS`], the last one what remains.
    pub(crate) fn segment_duration(&self, n: u64) -> f64 {
        let len = f64::from(SEGMENT_SECONDS);
        let left = (self.duration - Self::segment_start(n)).max(0.0);
        if n + 1 == self.segments() {
            left
        } else {
            left.min(len)
        }
    }

    /// The VOD media playlist: every segment, `#EXT-X-ENDLIST`, before any is made.
    pub(crate) fn playlist(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:{SEGMENT_SECONDS}\n#EXT-X-MEDIA-SEQUENCE:0\n"
        );
        for n in 0..self.segments() {
            let _ = write!(
                out,
                "#EXTINF:{:.3},\n{}\n",
                self.segment_duration(n),
                segment_name(n)
            );
        }
        out.push_str("#EXT-X-ENDLIST\n");
        out
    }

    /// ffmpeg's arguments for a run from segment `first` on: the input is opened at that
    /// segment's start (`-ss` before `-i`, a seek in the container), the output's timestamps
    /// are offset by it (so the player's clock shows the film's time) and its segments are
    /// numbered from `first`, each written as `.tmp` and renamed when whole.
    pub(crate) fn ffmpeg_args(&self, input: &str, out: &Path, first: u64) -> Vec<OsString> {
        let start = format!("{:.3}", Self::segment_start(first));
        let seconds = SEGMENT_SECONDS.to_string();
        let mut args: Vec<String> = ["-hide_banner", "-nostdin", "-loglevel", "warning"]
            .map(str::to_owned)
            .to_vec();
        if first > 0 {
            args.extend(["-ss".to_owned(), start.clone()]);
        }
        args.extend(["-i", input, "-map", "0:v:0?", "-map", "0:a:0?"].map(str::to_owned));
        match self.video {
            Action::Copy => args.extend(["-c:v", "copy"].map(str::to_owned)),
            Action::Transcode => args.extend(
                [
                    "-c:v",
                    "libx264",
                    "-preset",
                    "veryfast",
                    "-crf",
                    "23",
                    "-pix_fmt",
                    "yuv420p",
                    // At most 1080 lines: a 4K HEVC file transcoded whole would not keep up.
                    "-vf",
                    "scale=-2:'min(1080,ih)'",
                    "-force_key_frames",
                    &format!("expr:gte(t,n_forced*{seconds})"),
                    "-sc_threshold",
                    "0",
                ]
                .map(str::to_owned),
            ),
            Action::Absent => {}
        }
        match self.audio {
            Action::Copy => args.extend(["-c:a", "copy"].map(str::to_owned)),
            Action::Transcode => {
                args.extend(["-c:a", "aac", "-b:a", "160k", "-ac", "2"].map(str::to_owned))
            }
            Action::Absent => {}
        }
        args.extend(
            [
                "-output_ts_offset",
                &start,
                "-f",
                "hls",
                "-hls_time",
                &seconds,
                "-hls_list_size",
                "0",
                "-hls_flags",
                "temp_file",
                "-hls_segment_type",
                "mpegts",
                "-start_number",
                &first.to_string(),
                "-hls_segment_filename",
            ]
            .map(str::to_owned),
        );
        let mut args: Vec<OsString> = args.into_iter().map(OsString::from).collect();
        args.push(out.join("seg-%d.ts").into_os_string());
        args.push(out.join("ffmpeg.m3u8").into_os_string());
        args
    }
}

/// How many segments the half-open spans `[first, end)` cover together (runs may overlap).
pub(crate) fn covered(spans: &mut [(u64, u64)]) -> u64 {
    spans.sort_unstable();
    let mut total = 0;
    let mut reach = 0;
    for &(a, b) in spans.iter() {
        let a = a.max(reach);
        if b > a {
            total += b - a;
            reach = b;
        }
    }
    total
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
