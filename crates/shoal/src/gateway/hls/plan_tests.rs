use super::*;

fn probe(video: Option<(&str, &str)>, audio: Option<&str>, duration: Option<f64>) -> Probe {
    Probe {
        container: "matroska,webm".into(),
        duration,
        video: video.map(|(codec, pix_fmt)| VideoStream {
            codec: codec.into(),
            pix_fmt: pix_fmt.into(),
        }),
        audio: audio.map(Into::into),
    }
}

fn plan(video: Option<(&str, &str)>, audio: Option<&str>) -> Plan {
    Plan::from_probe(&probe(video, audio, Some(60.0))).expect("plan")
}

#[test]
fn browser_safe_codecs_in_mkv_are_only_remuxed() {
    let p = plan(Some(("h264", "yuv420p")), Some("aac"));
    assert_eq!(
        (p.video, p.audio, p.mode()),
        (Action::Copy, Action::Copy, "remux")
    );
    let mp3 = plan(Some(("h264", "yuvj420p")), Some("mp3"));
    assert_eq!(mp3.mode(), "remux");
}

#[test]
fn only_the_unplayable_audio_is_transcoded() {
    for codec in ["ac3", "eac3", "dts", "flac", "opus", "truehd"] {
        let p = plan(Some(("h264", "yuv420p")), Some(codec));
        assert_eq!(
            (p.video, p.audio, p.mode()),
            (Action::Copy, Action::Transcode, "audio"),
            "{codec}"
        );
    }
}

#[test]
fn hevc_and_10_bit_h264_video_are_transcoded() {
    let hevc = plan(Some(("hevc", "yuv420p")), Some("aac"));
    assert_eq!((hevc.video, hevc.audio), (Action::Transcode, Action::Copy));
    assert_eq!(hevc.mode(), "transcode");
    let hi10 = plan(Some(("h264", "yuv420p10le")), Some("ac3"));
    assert_eq!(
        (hi10.video, hi10.audio),
        (Action::Transcode, Action::Transcode)
    );
}

#[test]
fn files_without_streams_or_duration_are_refused() {
    assert_eq!(
        Plan::from_probe(&probe(None, None, Some(10.0))),
        Err(PlanError::NoStreams)
    );
    for bad in [None, Some(0.0), Some(-3.0), Some(f64::NAN), Some(1e12)] {
        assert!(
            matches!(
                Plan::from_probe(&probe(Some(("hevc", "")), None, bad)),
                Err(PlanError::NoDuration(_))
            ),
            "{bad:?}"
        );
    }
    let audio_only = Plan::from_probe(&probe(None, Some("ac3"), Some(5.0))).expect("audio only");
    assert_eq!(
        (audio_only.video, audio_only.audio),
        (Action::Absent, Action::Transcode)
    );
}

#[test]
fn the_playlist_covers_the_duration_in_fixed_segments() {
    let mut p = plan(Some(("hevc", "yuv420p")), Some("ac3"));
    p.duration = 30.5;
    assert_eq!(p.segments(), 8);
    assert_eq!(Plan::segment_start(7), 28.0);
    assert_eq!(p.segment_duration(0), 4.0);
    assert!((p.segment_duration(7) - 2.5).abs() < 1e-9);
    assert_eq!(p.segment_duration(8), 0.0);
    let text = p.playlist();
    assert!(text.starts_with("#EXTM3U\n"));
    assert!(text.contains("#EXT-X-PLAYLIST-TYPE:VOD\n"));
    assert!(text.contains("#EXT-X-TARGETDURATION:4\n"));
    assert!(text.ends_with("#EXTINF:2.500,\nseg-7.ts\n#EXT-X-ENDLIST\n"));
    assert_eq!(text.matches("#EXTINF:").count(), 8);
    let listed: f64 = text
        .lines()
        .filter_map(|l| l.strip_prefix("#EXTINF:"))
        .filter_map(|l| l.trim_end_matches(',').parse::<f64>().ok())
        .sum();
    assert!((listed - 30.5).abs() < 1e-6, "{listed}");
    // A whole number of segments has no empty one at the end.
    p.duration = 8.0;
    assert_eq!(p.segments(), 2);
    // A few audio frames past a round number join the last segment.
    p.duration = 60.032;
    assert_eq!(p.segments(), 15);
    assert!((p.segment_duration(14) - 4.032).abs() < 1e-9);
    assert!(p
        .playlist()
        .ends_with("#EXTINF:4.032,\nseg-14.ts\n#EXT-X-ENDLIST\n"));
    p.duration = 60.5;
    assert_eq!(p.segments(), 16);
    p.duration = 60.499;
    assert_eq!(p.segments(), 15);
    // Even a tiny file has one.
    p.duration = 0.2;
    assert_eq!(p.segments(), 1);
}

fn text(args: &[OsString]) -> Vec<String> {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

fn after<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let at = args.iter().position(|a| a == flag)?;
    args.get(at + 1).map(String::as_str)
}

#[test]
fn a_run_from_a_later_segment_seeks_the_input_and_offsets_the_output() {
    let p = plan(Some(("hevc", "yuv420p")), Some("ac3"));
    let out = Path::new("/g/hls/run-1");
    let args = text(&p.ffmpeg_args("http://127.0.0.1:1/stream/h/0", out, 10));
    let ss = args.iter().position(|a| a == "-ss").expect("-ss");
    let input = args.iter().position(|a| a == "-i").expect("-i");
    assert!(ss < input, "-ss before -i seeks the input");
    assert_eq!(after(&args, "-ss"), Some("40.000"));
    assert_eq!(after(&args, "-output_ts_offset"), Some("40.000"));
    assert_eq!(after(&args, "-start_number"), Some("10"));
    assert_eq!(after(&args, "-c:v"), Some("libx264"));
    assert_eq!(after(&args, "-c:a"), Some("aac"));
    assert_eq!(
        after(&args, "-force_key_frames"),
        Some("expr:gte(t,n_forced*4)")
    );
    assert_eq!(after(&args, "-hls_time"), Some("4"));
    assert_eq!(after(&args, "-hls_flags"), Some("temp_file"));
    assert_eq!(
        after(&args, "-hls_segment_filename"),
        Some("/g/hls/run-1/seg-%d.ts")
    );

    let from_start = text(&p.ffmpeg_args("u", out, 0));
    assert!(!from_start.contains(&"-ss".to_owned()));
    assert_eq!(after(&from_start, "-start_number"), Some("0"));

    let remux = text(&plan(Some(("h264", "yuv420p")), Some("aac")).ffmpeg_args("u", out, 0));
    assert_eq!(after(&remux, "-c:v"), Some("copy"));
    assert_eq!(after(&remux, "-c:a"), Some("copy"));
    assert!(!remux.contains(&"-force_key_frames".to_owned()));
    let audio = text(&plan(Some(("h264", "yuv420p")), Some("dts")).ffmpeg_args("u", out, 0));
    assert_eq!(
        (after(&audio, "-c:v"), after(&audio, "-c:a")),
        (Some("copy"), Some("aac"))
    );
}

#[test]
fn overlapping_runs_count_each_segment_once() {
    assert_eq!(covered(&mut []), 0);
    assert_eq!(covered(&mut [(0, 5)]), 5);
    // A run from 0 that wrote 5, one from 20 that wrote 3, one from 3 that overlaps the first.
    assert_eq!(covered(&mut [(20, 23), (0, 5), (3, 8)]), 11);
    // A run that has written nothing yet.
    assert_eq!(covered(&mut [(9, 9), (2, 4)]), 2);
    assert_eq!(covered(&mut [(0, 10), (2, 4)]), 10);
}
