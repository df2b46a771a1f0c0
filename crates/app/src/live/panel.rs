//! The stats panel of an HLS stream: bytes from peers and from HTTP (in total and per
//! segment), peers, the distance to the live edge, stalls and the P2P share.

use leptos::prelude::*;
use runtime::{Delivery, SegmentRecord};

use super::player::HlsFigures;
use crate::format;

/// Segments listed in the table (the newest).
const ROWS: usize = 8;

/// The panel.
#[component]
pub(crate) fn HlsPanel(figures: RwSignal<Option<HlsFigures>>) -> impl IntoView {
    let field = move |f: fn(&HlsFigures) -> String| {
        move || figures.with(|fig| fig.as_ref().map_or_else(|| "—".to_owned(), f))
    };
    let rows = move || {
        figures.with(|f| {
            f.as_ref()
                .map(|f| {
                    f.stats
                        .recent
                        .iter()
                        .rev()
                        .take(ROWS)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <section class="stats" data-testid="hls-stats" aria-label="Stream statistics">
            <dl class="stats-grid">
                <div><dt>"P2P share"</dt><dd data-stat="p2p-share">{field(|f| format!("{:.0} %", f.p2p_share * 100.0))}</dd></div>
                <div><dt>"From peers"</dt><dd data-stat="from-peers">{field(|f| format::bytes(f.stats.bytes_from_peers))}</dd></div>
                <div><dt>"From HTTP"</dt><dd data-stat="from-http">{field(|f| format::bytes(f.stats.bytes_from_http))}</dd></div>
                <div><dt>"From store"</dt><dd data-stat="from-store">{field(|f| format::bytes(f.stats.bytes_from_store))}</dd></div>
                <div><dt>"Peers"</dt><dd data-stat="peers">{field(peers_text)}</dd></div>
                <div><dt>"Sent to peers"</dt><dd data-stat="to-peers">{field(|f| format::bytes(f.stats.bytes_to_peers))}</dd></div>
                <div><dt>"Live edge"</dt><dd data-stat="live-distance">{field(live_text)}</dd></div>
                <div><dt>"Stalls"</dt><dd data-stat="stalls">{field(|f| f.stalls.to_string())}</dd></div>
                <div><dt>"Segments"</dt><dd data-stat="segments">{field(|f| format!("{} ({} verifiable)", f.stats.segments, f.stats.tagged_segments))}</dd></div>
                <div><dt>"Prefetched"</dt><dd data-stat="prefetched" title="Segments that came whole from peers before the player asked for them">{field(|f| f.stats.prefetched.to_string())}</dd></div>
            </dl>
            <table class="segments" data-testid="hls-segments">
                <thead><tr><th>"Segment"</th><th>"From peers"</th><th>"From HTTP"</th><th>"Check"</th><th>"Time"</th></tr></thead>
                <tbody>
                    <For each=rows key=|r| (r.sequence, r.name.clone()) let:r>
                        <SegmentRow r=r/>
                    </For>
                </tbody>
            </table>
            {move || figures.with(|f| f.as_ref().is_some_and(|f| f.stats.segments > 0 && f.stats.tagged_segments == 0)).then(|| view! {
                <p class="hint">"This stream publishes no segment hashes, so it is fetched over HTTP only and never shared with peers."</p>
            })}
        </section>
    }
}

fn peers_text(f: &HlsFigures) -> String {
    match f.stats.banned_peers {
        0 => f.stats.peers.to_string(),
        n => format!("{} ({n} banned: bad pieces)", f.stats.peers),
    }
}

fn live_text(f: &HlsFigures) -> String {
    if f.broadcast_ended {
        "ended".to_owned()
    } else {
        f.live_distance
            .map_or_else(|| "—".to_owned(), |s| format!("{s:.1} s behind"))
    }
}

#[component]
fn SegmentRow(r: SegmentRecord) -> impl IntoView {
    let (check, class) = match r.delivery {
        Delivery::HttpUntagged => ("no hashes", "check none"),
        Delivery::HttpVerified => ("verified", "check ok"),
        Delivery::HttpMismatch => ("mismatch", "check bad"),
        Delivery::Store => ("verified, from store", "check ok"),
        Delivery::Peers => ("verified, from peers", "check ok"),
        Delivery::PeersThenHttp => ("verified, peers + HTTP", "check ok"),
    };
    let name = r
        .sequence
        .map_or_else(|| r.name.clone(), |s| format!("#{s} {}", r.name));
    view! {
        <tr>
            <td class="segment-name">{name}</td>
            <td>{format::bytes(r.peer_bytes)}</td>
            <td>{format::bytes(r.http_bytes)}</td>
            <td><span class=class>{check}</span></td>
            <td>{format!("{} ms", r.load_ms)}</td>
        </tr>
    }
}
