//! `GET /metrics`: the companion's figures in the Prometheus text format, followed by the
//! embedded tracker's own (with its metric names).

use std::{fmt::Write, sync::atomic::Ordering::Relaxed};

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};

use super::routes::Companion;

pub(super) async fn metrics(State(c): State<Companion>) -> Response {
    let f = &c.figures;
    let channels =
        crate::channel::metrics_text(&c.channels, f.uploaded_webrtc_channels.load(Relaxed));
    let mut text = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
        let _ = writeln!(text, "# HELP {name} {help}");
        let _ = writeln!(text, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(text, "{name}{labels} {value}");
        }
    };
    metric(
        "shoal_peers",
        "gauge",
        "Open WebRTC peer connections of the seeder.",
        &[("", f.peers.load(Relaxed))],
    );
    metric(
        "shoal_uploaded_bytes_total",
        "counter",
        "Piece bytes sent to peers, by transport.",
        &[
            ("{transport=\"webrtc\"}", f.uploaded_webrtc.load(Relaxed)),
            (
                "{transport=\"http\"}",
                crate::files::HTTP_BYTES.load(Relaxed),
            ),
        ],
    );
    metric(
        "shoal_offers_refused_total",
        "counter",
        "WebRTC offers refused at a peer cap.",
        &[("", f.offers_refused.load(Relaxed))],
    );
    metric(
        "shoal_library_files",
        "gauge",
        "Files in the library.",
        &[("", c.items.len() as u64)],
    );
    if let Some(g) = &c.gateway {
        let f = &g.figures;
        metric(
            "shoal_gateway_torrents",
            "gauge",
            "Torrents the gateway runs.",
            &[("", g.count() as u64)],
        );
        metric(
            "shoal_gateway_peers",
            "gauge",
            "Open TCP peer connections of the gateway.",
            &[("", f.peers.load(Relaxed))],
        );
        metric(
            "shoal_gateway_bytes_total",
            "counter",
            "Piece bytes the gateway received from and sent to TCP peers.",
            &[
                ("{direction=\"down\"}", f.downloaded.load(Relaxed)),
                ("{direction=\"up\"}", f.uploaded.load(Relaxed)),
            ],
        );
        metric(
            "shoal_gateway_streams",
            "gauge",
            "Open /stream responses.",
            &[("", f.streams.load(Relaxed))],
        );
        metric(
            "shoal_gateway_streamed_bytes_total",
            "counter",
            "Bytes sent in /stream responses.",
            &[("", f.streamed.load(Relaxed))],
        );
        metric(
            "shoal_gateway_incoming_refused_total",
            "counter",
            "Incoming TCP peers dropped before their handshake named a torrent we run.",
            &[("", f.incoming_refused.load(Relaxed))],
        );
        metric(
            "shoal_gateway_evicted_total",
            "counter",
            "Torrents removed to keep the gateway's pieces within --gateway-max-disk-mib.",
            &[("", f.evicted.load(Relaxed))],
        );
        metric(
            "shoal_gateway_transcodes",
            "gauge",
            "ffmpeg runs serving /hls/ (remux or transcode).",
            &[("", g.hls().running() as u64)],
        );
    }
    text.push_str(&channels);
    text.push_str(&c.tracker.snapshot().to_prometheus());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
