//! The channels' figures in the Prometheus text format, for `/metrics` of `shoal serve` and
//! `shoal broadcast`. Origin bytes are what this process sent of channel segments and their
//! torrents, by transport: HTTP (to players and web seed readers) and WebRTC (its own peer);
//! what viewers send each other never passes here.

use std::{fmt::Write, sync::atomic::Ordering::Relaxed, time::Instant};

use super::registry::{Channels, Lifecycle};

/// The channel metrics; `webrtc_bytes` is what the seeder sent of channel segments.
pub(crate) fn prometheus(channels: &Channels, webrtc_bytes: u64) -> String {
    let mut text = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, u64)]| {
        let _ = writeln!(text, "# HELP {name} {help}");
        let _ = writeln!(text, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(text, "{name}{labels} {value}");
        }
    };
    let live = channels
        .list
        .iter()
        .filter(|c| c.view().lifecycle == Lifecycle::Live)
        .count() as u64;
    let ended = channels.list.len() as u64 - live;
    metric(
        "shoal_channels",
        "gauge",
        "Live channels, by state.",
        &[
            ("{state=\"live\"}".to_owned(), live),
            ("{state=\"ended\"}".to_owned(), ended),
        ],
    );
    let f = &channels.figures;
    metric(
        "shoal_channel_segments_published_total",
        "counter",
        "Segments published (complete, hashed, listed) over all channels.",
        &[(String::new(), f.segments_published.load(Relaxed))],
    );
    metric(
        "shoal_channel_origin_bytes_total",
        "counter",
        "Channel bytes this origin sent, by transport.",
        &[
            (
                "{transport=\"http\"}".to_owned(),
                f.http_bytes.load(Relaxed),
            ),
            ("{transport=\"webrtc\"}".to_owned(), webrtc_bytes),
        ],
    );
    let now = Instant::now();
    let viewers: Vec<(String, u64)> = channels
        .list
        .iter()
        .map(|c| (format!("{{channel=\"{}\"}}", c.name), c.viewers(now) as u64))
        .collect();
    metric(
        "shoal_channel_viewers",
        "gauge",
        "Distinct connections that fetched a channel's playlist in the last 10 s.",
        &viewers,
    );
    text
}
