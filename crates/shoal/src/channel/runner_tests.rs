//! A channel watching an HLS folder another encoder writes (no ffmpeg needed): segments are
//! published only once listed, with their torrents; the end of the source ends the playlist;
//! a second run continues the numbering after a discontinuity.

use std::{path::Path, sync::Arc, time::Duration};

use tokio::sync::{mpsc, watch};

use super::*;
use crate::channel::{
    input_playlist,
    publisher::WindowConfig,
    registry::{Channel, Channels, Lifecycle},
    spec::{ChannelSpec, Source},
};

/// Writes the watched encoder's playlist listing segments `0..n` (each file `in-i.ts`).
fn write_encoder(dir: &Path, n: usize, ended: bool) {
    let mut text = String::from("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n");
    for i in 0..n {
        std::fs::write(
            dir.join(format!("in-{i}.ts")),
            vec![i as u8 + 1; 70_000 + i],
        )
        .expect("write");
        text.push_str(&format!("#EXTINF:2.0,\nin-{i}.ts\n"));
    }
    if ended {
        text.push_str("#EXT-X-ENDLIST\n");
    }
    std::fs::write(dir.join("live.m3u8"), text).expect("write");
}

fn setup(root: &Path, watched: &Path) -> Setup {
    Setup {
        spec: ChannelSpec {
            name: "demo".into(),
            source: Source::Watch(watched.join("live.m3u8")),
        },
        dir: root.join("channels/demo"),
        base_url: "http://127.0.0.1:9".into(),
        trackers: vec!["ws://127.0.0.1:9/announce".into()],
        window: WindowConfig {
            live_segments: 3,
            dvr_seconds: 4.0,
            segment_seconds: 2,
        },
        ffmpeg: None,
        peer_id: [7; 20],
        origin: None,
    }
}

/// Runs one channel to its end; returns its outcome, its playlist and the seeder's changes.
async fn run_to_end(setup: Setup) -> (Outcome, String, Vec<SeederChange>, Arc<Channel>) {
    let channel = Arc::new(Channel::new("demo", "Demo".into(), setup.public_dir()));
    let channels = Arc::new(Channels {
        list: vec![Arc::clone(&channel)],
        figures: Default::default(),
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_stop_tx, stop) = watch::channel(false);
    let outcome = tokio::time::timeout(
        Duration::from_secs(30),
        run(setup, Arc::clone(&channel), channels, Some(tx), stop),
    )
    .await
    .expect("the channel ends");
    let mut changes = Vec::new();
    while let Ok(change) = rx.try_recv() {
        changes.push(change);
    }
    (outcome, channel.view().playlist, changes, channel)
}

#[tokio::test]
async fn a_watched_folder_is_published_ended_and_continued() {
    let root = tempfile::tempdir().expect("tempdir");
    let watched = root.path().join("encoder");
    std::fs::create_dir_all(&watched).expect("mkdir");
    write_encoder(&watched, 5, true);

    let (outcome, playlist, changes, channel) = run_to_end(setup(root.path(), &watched)).await;
    assert_eq!(outcome, Outcome::Ended);
    assert_eq!(channel.view().lifecycle, Lifecycle::Ended);
    // A watched folder starts at its live window (3), not its history (5).
    let listed = input_playlist::parse(&playlist).expect("parse");
    assert!(listed.ended);
    let seqs: Vec<u64> = listed.segments.iter().map(|s| s.sequence).collect();
    assert_eq!(seqs, vec![0, 1, 2]);
    assert_eq!(playlist.matches("#EXT-X-SHOAL-SEGMENT:").count(), 3);
    let public = root.path().join("channels/demo/public");
    for i in 0..3u8 {
        let file = public.join(format!("seg-00000{i}.ts"));
        // The encoder's in-2.ts, in-3.ts, in-4.ts, copied byte for byte.
        assert_eq!(
            std::fs::read(&file).expect("segment"),
            vec![i + 3; 70_002 + usize::from(i)]
        );
        let torrent =
            std::fs::read(public.join(format!("seg-00000{i}.ts.torrent"))).expect("torrent");
        let meta = metainfo::Metainfo::from_bytes(&torrent).expect("parse");
        assert_eq!(meta.info.name, format!("seg-00000{i}.ts"));
        assert_eq!(
            meta.url_list,
            vec![format!("http://127.0.0.1:9/channels/demo/seg-00000{i}.ts")]
        );
        assert!(playlist.contains(&format!("INFOHASH={}", meta.info_hash.to_hex())));
    }
    // Each segment was handed to the seeder; the watched files are left in place.
    let added = changes
        .iter()
        .filter(|c| matches!(c, SeederChange::AddChannelSegment(_)))
        .count();
    assert_eq!(added, 3);
    assert!(watched.join("in-4.ts").is_file());

    // A second run continues the numbering, after a discontinuity.
    write_encoder(&watched, 2, true);
    let (outcome, playlist, _, _) = run_to_end(setup(root.path(), &watched)).await;
    assert_eq!(outcome, Outcome::Ended);
    let listed = input_playlist::parse(&playlist).expect("parse");
    let seqs: Vec<u64> = listed.segments.iter().map(|s| s.sequence).collect();
    assert_eq!(seqs, vec![3, 4]);
    assert!(listed.segments[0].discontinuity);
    // The first run's files are gone (nothing lists them any more).
    assert!(!public.join("seg-000000.ts").exists());
}

#[tokio::test]
async fn the_dvr_window_deletes_old_segments_and_stops_seeding_them() {
    let root = tempfile::tempdir().expect("tempdir");
    let watched = root.path().join("encoder");
    std::fs::create_dir_all(&watched).expect("mkdir");
    let mut cfg = setup(root.path(), &watched);
    cfg.window.live_segments = 2;
    cfg.window.dvr_seconds = 2.0;
    // Three segments listed at first (published: 1, 2), then more arrive one poll at a time.
    write_encoder(&watched, 3, false);
    let channel = Arc::new(Channel::new("demo", "Demo".into(), cfg.public_dir()));
    let channels = Arc::new(Channels {
        list: vec![Arc::clone(&channel)],
        figures: Default::default(),
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (_stop_tx, stop) = watch::channel(false);
    let task = tokio::spawn(run(
        cfg,
        Arc::clone(&channel),
        Arc::clone(&channels),
        Some(tx),
        stop,
    ));
    let mut added = 0;
    while added < 2 {
        if let Some(SeederChange::AddChannelSegment(_)) = rx.recv().await {
            added += 1;
        }
    }
    write_encoder(&watched, 8, true);
    let outcome = tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the channel ends")
        .expect("the task");
    assert_eq!(outcome, Outcome::Ended);
    let mut removed = 0;
    while let Ok(change) = rx.try_recv() {
        match change {
            SeederChange::AddChannelSegment(_) => added += 1,
            SeederChange::Remove(_) => removed += 1,
            SeederChange::AddGatewayTorrent(_)
            | SeederChange::GatewayPiece { .. }
            | SeederChange::RemoveGatewayTorrent(_) => {
                panic!("a channel hands over only segments")
            }
        }
    }
    // Published 1..=7 (seven); kept: the two listed and 2 s behind them.
    assert_eq!(added, 7);
    assert_eq!(removed, 7 - 3);
    let view = channel.view();
    assert_eq!(view.files.len(), 2 * 3, "{:?}", view.files);
    let public = root.path().join("channels/demo/public");
    assert!(!public.join("seg-000000.ts").exists());
    assert!(!public.join("seg-000000.ts.torrent").exists());
    assert!(public.join("seg-000006.ts").is_file());
    assert_eq!(
        channels
            .figures
            .segments_published
            .load(std::sync::atomic::Ordering::Relaxed),
        7
    );
}
