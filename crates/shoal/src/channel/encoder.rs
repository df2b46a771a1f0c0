//! Running ffmpeg (Debian's, found on `PATH`) to turn a source into HLS in a folder: H.264
//! and AAC in MPEG-TS segments of a fixed duration (a key frame forced at every boundary, so
//! every segment starts with one), listed in ffmpeg's own playlist only once each is closed.
//! The broadcaster reads that playlist (`input_playlist.rs`); this file only makes the
//! command line, starts the process and keeps the last lines it printed.

use std::{
    collections::VecDeque,
    ffi::OsString,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Child,
};

use super::spec::Source;

/// Lines of the encoder's stderr kept to say why it stopped.
const STDERR_TAIL: usize = 6;
/// ffmpeg's playlist name in its folder.
pub(crate) const ENCODER_PLAYLIST: &str = "in.m3u8";
/// Segments ffmpeg keeps listed (the broadcaster takes each one as soon as it is listed).
const ENCODER_LIST_SIZE: &str = "20";
/// Fonts tried for the test pattern's clock, in order (Debian's fonts-dejavu-core first).
const CLOCK_FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeMono.ttf",
];

/// Why ffmpeg cannot be started.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EncoderError {
    #[error("ffmpeg was not found on PATH: install it (Debian: apt-get install ffmpeg) or set SHOAL_FFMPEG to its path")]
    Missing,
    #[error("starting {ffmpeg}: {source}")]
    Spawn {
        ffmpeg: String,
        source: std::io::Error,
    },
}

/// `$SHOAL_FFMPEG`, else the first `ffmpeg` on `PATH` that is an executable file.
pub(crate) fn find_ffmpeg() -> Result<PathBuf, EncoderError> {
    find_tool("ffmpeg", "SHOAL_FFMPEG").ok_or(EncoderError::Missing)
}

/// The program named by the environment variable `env` (when set and executable), else the
/// first executable `name` on `PATH`.
pub(crate) fn find_tool(name: &str, env: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return is_executable(&path).then_some(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// ffmpeg's arguments: read `source`, write HLS segments of `segment_seconds` into `out`.
pub(crate) fn arguments(source: &Source, out: &Path, segment_seconds: u32) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-hide_banner", "-nostdin", "-loglevel", "warning"]
        .iter()
        .map(OsString::from)
        .collect();
    match source {
        Source::TestPattern => {
            match CLOCK_FONTS.iter().find(|f| Path::new(f).is_file()) {
                // testsrc2 with the wall clock drawn large at the bottom.
                Some(font) => {
                    push(
                        &mut args,
                        &["-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"],
                    );
                    push(
                        &mut args,
                        &[
                            "-f",
                            "lavfi",
                            "-i",
                            "sine=frequency=440:sample_rate=48000:beep_factor=4",
                        ],
                    );
                    let clock = format!(
                        "drawtext=fontfile={font}:text='%{{localtime\\:%T}}':fontsize=44:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=8:x=(w-tw)/2:y=h-th-24"
                    );
                    push(&mut args, &["-vf", &clock]);
                }
                // No font: testsrc draws its own running counter.
                None => {
                    push(
                        &mut args,
                        &["-re", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25"],
                    );
                    push(
                        &mut args,
                        &[
                            "-f",
                            "lavfi",
                            "-i",
                            "sine=frequency=440:sample_rate=48000:beep_factor=4",
                        ],
                    );
                }
            }
            push(&mut args, &["-map", "0:v:0", "-map", "1:a:0"]);
        }
        Source::File(path) => {
            push(&mut args, &["-re", "-stream_loop", "-1", "-i"]);
            args.push(path.as_os_str().to_owned());
            push(&mut args, &["-map", "0:v:0", "-map", "0:a:0?"]);
        }
        Source::Listen(url) => {
            if url.to_ascii_lowercase().starts_with("rtmp://") {
                push(&mut args, &["-listen", "1", "-i", url]);
            } else if url.contains("mode=") {
                push(&mut args, &["-i", url]);
            } else {
                let sep = if url.contains('?') { '&' } else { '?' };
                push(&mut args, &["-i", &format!("{url}{sep}mode=listener")]);
            }
            push(&mut args, &["-map", "0:v:0", "-map", "0:a:0?"]);
        }
        Source::Watch(_) => {}
    }
    let seconds = segment_seconds.max(1).to_string();
    let keyframes = format!("expr:gte(t,n_forced*{seconds})");
    push(
        &mut args,
        &[
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-tune",
            "zerolatency",
            "-pix_fmt",
            "yuv420p",
            "-force_key_frames",
            &keyframes,
            "-sc_threshold",
            "0",
            "-b:v",
            "1000k",
            "-maxrate",
            "1200k",
            "-bufsize",
            "2000k",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            "-ar",
            "48000",
            "-ac",
            "2",
            "-f",
            "hls",
            "-hls_time",
            &seconds,
            "-hls_list_size",
            ENCODER_LIST_SIZE,
            "-hls_segment_type",
            "mpegts",
            "-hls_segment_filename",
        ],
    );
    args.push(out.join("in-%d.ts").into_os_string());
    args.push(out.join(ENCODER_PLAYLIST).into_os_string());
    args
}

fn push(args: &mut Vec<OsString>, items: &[&str]) {
    args.extend(items.iter().map(OsString::from));
}

/// Starts ffmpeg with `args`; its stderr is piped (the broadcaster keeps the last lines to say
/// why it stopped), and it is killed if the handle is dropped.
pub(crate) fn spawn(ffmpeg: &Path, args: &[OsString]) -> Result<Child, EncoderError> {
    tokio::process::Command::new(ffmpeg)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| EncoderError::Spawn {
            ffmpeg: ffmpeg.display().to_string(),
            source,
        })
}

/// A running encoder and the tail of what it printed.
pub(crate) struct RunningEncoder {
    pub(crate) child: Child,
    tail: Arc<Mutex<VecDeque<String>>>,
}

impl RunningEncoder {
    /// Takes over a started ffmpeg: its stderr lines are logged and the last few kept.
    pub(crate) fn watch(mut child: Child, name: &str) -> Self {
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stderr) = child.stderr.take() {
            let (tail, name) = (Arc::clone(&tail), name.to_owned());
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    tracing::warn!(channel = %name, "ffmpeg: {line}");
                    if let Ok(mut tail) = tail.lock() {
                        if tail.len() == STDERR_TAIL {
                            tail.pop_front();
                        }
                        tail.push_back(line.chars().take(300).collect());
                    }
                }
            });
        }
        Self { child, tail }
    }

    /// The last lines ffmpeg printed, joined.
    pub(crate) fn tail(&self) -> String {
        self.tail
            .lock()
            .map(|t| t.iter().cloned().collect::<Vec<_>>().join(" | "))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn the_command_line_reads_the_source_and_writes_hls() {
        let out = Path::new("/w/enc");
        let file = text(&arguments(&Source::File("/m/clip.mp4".into()), out, 2));
        let at = file.iter().position(|a| a == "/m/clip.mp4").expect("input");
        assert_eq!(file[at - 4..at], ["-re", "-stream_loop", "-1", "-i"]);
        let hls_time = file
            .iter()
            .position(|a| a == "-hls_time")
            .expect("hls_time");
        assert_eq!(file[hls_time + 1], "2");
        assert_eq!(file.last().map(String::as_str), Some("/w/enc/in.m3u8"));
        assert!(file.contains(&"expr:gte(t,n_forced*2)".to_owned()));

        let rtmp = text(&arguments(
            &Source::Listen("rtmp://0.0.0.0:1935/live/k".into()),
            out,
            4,
        ));
        assert!(rtmp.windows(2).any(|w| w == ["-listen", "1"]));
        let srt = text(&arguments(
            &Source::Listen("srt://0.0.0.0:9000".into()),
            out,
            2,
        ));
        assert!(srt.contains(&"srt://0.0.0.0:9000?mode=listener".to_owned()));

        let test = text(&arguments(&Source::TestPattern, out, 2));
        assert!(test.iter().any(|a| a.starts_with("testsrc")));
        assert!(test.iter().any(|a| a.starts_with("sine=")));
    }

    #[test]
    fn a_missing_ffmpeg_is_named() {
        let error = EncoderError::Missing.to_string();
        assert!(error.contains("ffmpeg"), "{error}");
    }
}
