//! Probing a torrent's file with ffprobe (Debian's, on `PATH`, or `$SHOAL_FFPROBE`), reading
//! it through the gateway's own `/stream` URL. Before ffprobe starts, the file's first and last
//! bytes are fetched from the swarm: a container's header is at the start, and an MP4's index
//! (`moov`) or an MKV's cues often sit at the end, so ffprobe's first reads do not each wait
//! for a piece the picker had not yet put first.

use std::{path::Path, process::Stdio, time::Duration};

use tokio::io::AsyncReadExt;

use super::plan::{Probe, VideoStream};
use crate::gateway::{
    routes::{ask, waited, ApiError},
    torrent::{Cmd, FileSpan},
    Gateway, Handle,
};

/// Bytes fetched at each end of the file before ffprobe runs.
const ENDS: u64 = 2 << 20;
/// Longest ffprobe may take (it reads through the gateway, which may wait for peers).
const PROBE_TIMEOUT: Duration = Duration::from_secs(90);
/// Most bytes of ffprobe's JSON read (a file with thousands of streams is not a film).
const MAX_OUTPUT: u64 = 1 << 20;

/// Why probing failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProbeError {
    #[error("ffprobe was not found on PATH: install ffmpeg (Debian: apt-get install ffmpeg) or set SHOAL_FFPROBE")]
    Missing,
    #[error("running ffprobe: {0}")]
    Spawn(std::io::Error),
    #[error("ffprobe did not finish within {} s", PROBE_TIMEOUT.as_secs())]
    Timeout,
    #[error("ffprobe cannot read the file: {0}")]
    Failed(String),
    #[error("ffprobe's answer is not what was expected: {0}")]
    Output(String),
}

/// Fetches the first and last [`ENDS`] bytes of `file` from the swarm (at once, both readers
/// having the picker's priority); errors as the stream's waits give them.
pub(crate) async fn fetch_ends(
    g: &Gateway,
    handle: &Handle,
    file: &FileSpan,
) -> Result<(), ApiError> {
    let head = (file.offset, file.offset + file.length.min(ENDS));
    let tail_start = file.offset + file.length.saturating_sub(ENDS).max(head.1 - file.offset);
    let tail = (tail_start, file.offset + file.length);
    let (a, b) = tokio::join!(drain(g, handle, head), drain(g, handle, tail));
    a.and(b)
}

/// Reads torrent bytes `[start, end)` through a reader until it ends.
async fn drain(g: &Gateway, handle: &Handle, (start, end): (u64, u64)) -> Result<(), ApiError> {
    if start >= end {
        return Ok(());
    }
    let cmds = &handle.cmds;
    let Some(reader) = ask(cmds, |reply| Cmd::OpenReader { start, end, reply }).await else {
        return Ok(());
    };
    let mut read = 0u64;
    let result = loop {
        let next = ask(cmds, |reply| Cmd::Read { reader, reply });
        let chunk = async {
            match next.await? {
                session::Read::Chunk(c) => Some(Some(c.len() as u64)),
                session::Read::Waiting | session::Read::Finished => Some(None),
            }
        };
        match waited(g, handle, "the file's first and last bytes", chunk).await {
            Ok(Some(n)) => {
                read += n;
                if read >= end - start {
                    break Ok(());
                }
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    let _ = cmds.send(Cmd::CloseReader(reader));
    result
}

/// Runs ffprobe on `url` and reads its streams and duration.
pub(crate) async fn ffprobe(url: &str) -> Result<Probe, ProbeError> {
    let program = crate::channel::encoder::find_tool("ffprobe", "SHOAL_FFPROBE")
        .ok_or(ProbeError::Missing)?;
    run(&program, url).await
}

async fn run(program: &Path, url: &str) -> Result<Probe, ProbeError> {
    let mut child = tokio::process::Command::new(program)
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            url,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(ProbeError::Spawn)?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(ProbeError::Spawn(std::io::Error::other("no pipes")));
    };
    let work = async {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let (mut stdout, mut stderr) = (stdout.take(MAX_OUTPUT), stderr.take(4096));
        let (a, b) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
        a.and(b).map_err(ProbeError::Spawn)?;
        let status = child.wait().await.map_err(ProbeError::Spawn)?;
        Ok::<_, ProbeError>((status, out, err))
    };
    let (status, out, err) = tokio::time::timeout(PROBE_TIMEOUT, work)
        .await
        .map_err(|_| ProbeError::Timeout)??;
    if !status.success() {
        let why = String::from_utf8_lossy(&err).trim().to_owned();
        return Err(ProbeError::Failed(if why.is_empty() {
            status.to_string()
        } else {
            why
        }));
    }
    parse(&out)
}

/// Reads ffprobe's `-print_format json -show_format -show_streams` output.
pub(crate) fn parse(json: &[u8]) -> Result<Probe, ProbeError> {
    let v: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| ProbeError::Output(e.to_string()))?;
    let streams = v
        .get("streams")
        .and_then(|s| s.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let text = |s: &serde_json::Value, k: &str| {
        s.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let of_type = |t: &'static str| {
        streams.iter().filter(move |s| {
            s.get("codec_type").and_then(|x| x.as_str()) == Some(t)
                // An MP3's or MKV's cover picture is a "video" stream of one frame.
                && s.pointer("/disposition/attached_pic").and_then(|x| x.as_i64()) != Some(1)
        })
    };
    let video = of_type("video").next().map(|s| VideoStream {
        codec: text(s, "codec_name"),
        pix_fmt: text(s, "pix_fmt"),
    });
    let audio = of_type("audio").next().map(|s| text(s, "codec_name"));
    let seconds = |s: &serde_json::Value| {
        s.get("duration")
            .and_then(|d| d.as_str())
            .and_then(|d| d.parse::<f64>().ok())
    };
    let format = v.get("format");
    let duration = format
        .and_then(seconds)
        .or_else(|| streams.iter().filter_map(seconds).reduce(f64::max));
    Ok(Probe {
        container: format.map(|f| text(f, "format_name")).unwrap_or_default(),
        duration,
        video,
        audio,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_codecs_and_duration_and_skips_cover_art() {
        let json = br#"{
          "streams": [
            {"index": 0, "codec_name": "mjpeg", "codec_type": "video", "disposition": {"attached_pic": 1}},
            {"index": 1, "codec_name": "hevc", "codec_type": "video", "pix_fmt": "yuv420p10le", "disposition": {"attached_pic": 0}},
            {"index": 2, "codec_name": "ac3", "codec_type": "audio"},
            {"index": 3, "codec_name": "aac", "codec_type": "audio"},
            {"index": 4, "codec_name": "subrip", "codec_type": "subtitle"}
          ],
          "format": {"format_name": "matroska,webm", "duration": "61.440000"}
        }"#;
        let p = parse(json).expect("parse");
        assert_eq!(p.container, "matroska,webm");
        assert_eq!(p.duration, Some(61.44));
        let v = p.video.expect("video");
        assert_eq!(
            (v.codec.as_str(), v.pix_fmt.as_str()),
            ("hevc", "yuv420p10le")
        );
        assert_eq!(p.audio.as_deref(), Some("ac3"));
    }

    #[test]
    fn a_missing_format_duration_falls_back_to_the_longest_stream() {
        let json = br#"{"streams": [
            {"codec_name": "h264", "codec_type": "video", "duration": "10.0"},
            {"codec_name": "aac", "codec_type": "audio", "duration": "10.5"}],
          "format": {"format_name": "mpegts"}}"#;
        assert_eq!(parse(json).expect("parse").duration, Some(10.5));
    }

    #[test]
    fn garbage_is_a_typed_error_and_empty_output_has_no_streams() {
        assert!(matches!(parse(b"not json"), Err(ProbeError::Output(_))));
        let empty = parse(b"{}").expect("empty object");
        assert_eq!(
            (empty.video, empty.audio, empty.duration),
            (None, None, None)
        );
    }
}
