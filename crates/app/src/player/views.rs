//! The player page's panels: live stats with a piece map, notices about peers and trackers,
//! and the connection settings (trackers, ICE and streaming servers).

use leptos::prelude::*;

use super::{panel::Figures, settings::Settings};
use crate::{components::error_notice::ErrorNotice, format};

/// After this long without any peer (and no web seed bytes either), the page says so.
const NO_PEERS_NOTICE_MS: u64 = 4_000;

/// Peers, speeds, where the bytes came from, time to first frame, and a map of the pieces.
#[component]
pub(crate) fn StatsPanel(figures: RwSignal<Option<Figures>>) -> impl IntoView {
    let field = move |f: fn(&Figures) -> String| {
        move || figures.with(|fig| fig.as_ref().map_or_else(|| "—".to_owned(), f))
    };
    view! {
        <section class="stats" data-testid="stats" aria-label="Download statistics">
            <dl class="stats-grid">
                <div><dt>"Peers"</dt><dd data-stat="peers">{field(|f| peers_text(f.stats.peers, f.stats.connecting))}</dd></div>
                <div><dt>"Download"</dt><dd data-stat="download">{field(|f| format::speed(f.stats.download_bps))}</dd></div>
                <div><dt>"Upload"</dt><dd data-stat="upload">{field(|f| format::speed(f.stats.upload_bps))}</dd></div>
                <div><dt>"From peers"</dt><dd data-stat="from-peers">{field(|f| format::bytes(f.stats.bytes_from_peers))}</dd></div>
                <div><dt>"From HTTP"</dt><dd data-stat="from-http">{field(|f| format::bytes(f.stats.bytes_from_http))}</dd></div>
                <div><dt>"Via companion"</dt><dd data-stat="via-companion">{field(via_companion_text)}</dd></div>
                <div><dt>"Uploaded"</dt><dd data-stat="uploaded">{field(|f| format::bytes(f.stats.uploaded))}</dd></div>
                <div><dt>"Pieces"</dt><dd data-stat="pieces">{field(|f| format!("{} / {}", f.stats.pieces_verified, f.stats.pieces_total))}</dd></div>
                <div><dt>"From cache"</dt><dd data-stat="from-cache">{field(cache_text)}</dd></div>
                <div><dt>"Store"</dt><dd data-stat="store">{field(|f| format!("{} of {}", format::bytes(f.cache.store.store_bytes), format::bytes(f.cache.store.store_limit_bytes)))}</dd></div>
                <div><dt>"Stalls"</dt><dd data-stat="stalls">{field(stalls_text)}</dd></div>
                <div><dt>"Banned peers"</dt><dd data-stat="banned">{field(banned_text)}</dd></div>
                <div><dt>"First frame"</dt><dd data-stat="first-frame">{field(|f| f.playing.time_to_first_frame_ms.map_or_else(|| "—".to_owned(), |ms| format!("{:.1} s", ms / 1000.0)))}</dd></div>
            </dl>
            <p class="stats-trackers" data-stat="trackers"><span>"Trackers "</span>{field(|f| trackers_text(&f.stats.trackers))}</p>
            <PieceMap figures=figures/>
        </section>
    }
}

/// Bytes the companion's gateway sent, and what the fallback is doing.
fn via_companion_text(f: &Figures) -> String {
    match (&f.playing.gateway, f.stats.bytes_via_gateway) {
        (None, 0) => "—".to_owned(),
        (None, bytes) => format::bytes(bytes),
        (Some(state), 0) => state.clone(),
        // A middle dot, not parentheses: the state often ends in a parenthesis of its own.
        (Some(state), bytes) => format!("{} · {state}", format::bytes(bytes)),
    }
}

/// How often playback waited for data, for how long in all, and the longest wait.
fn stalls_text(f: &Figures) -> String {
    let p = &f.playing;
    if p.stalls == 0 {
        return "none".to_owned();
    }
    format!(
        "{} ({:.1} s, longest {:.1} s)",
        p.stalls,
        p.stalled_ms / 1000.0,
        p.longest_stall_ms / 1000.0
    )
}

/// Peers banned for sending bytes that failed their hash, and how many pieces failed.
fn banned_text(f: &Figures) -> String {
    match (f.stats.peers_banned, f.stats.hash_failures) {
        (0, 0) => "none".to_owned(),
        (banned, failed) => format!("{banned} ({failed} bad pieces)"),
    }
}

/// Bytes read from the store and the hit rate.
fn cache_text(f: &Figures) -> String {
    let bytes = format::bytes(f.cache.bytes_from_cache);
    match f.cache.cache_hit_rate {
        Some(rate) => format!("{bytes} ({:.0} %)", rate * 100.0),
        None => bytes,
    }
}

/// Open peers, and those still connecting so the figure does not look like nobody is there.
pub(crate) fn peers_text(peers: usize, connecting: usize) -> String {
    if connecting == 0 {
        peers.to_string()
    } else {
        format!("{peers} (+{connecting} connecting)")
    }
}

/// Verified pieces as bars along the torrent, drawn as runs so a torrent of thousands of pieces
/// is a handful of rectangles.
#[component]
fn PieceMap(figures: RwSignal<Option<Figures>>) -> impl IntoView {
    let runs = move || {
        figures.with(|f| {
            f.as_ref()
                .map(|f| (f.stats.have.len().max(1), have_runs(&f.stats.have)))
                .unwrap_or((1, Vec::new()))
        })
    };
    view! {
        <div class="piece-map" aria-label="Verified pieces" role="img">
            {move || {
                let (total, runs) = runs();
                view! {
                    <svg viewBox=format!("0 0 {total} 1") preserveAspectRatio="none">
                        {runs.into_iter().map(|(start, len)| view! {
                            <rect x=start.to_string() y="0" width=len.to_string() height="1"></rect>
                        }).collect_view()}
                    </svg>
                }
            }}
        </div>
    }
}

/// `(start, length)` of each run of `true`.
fn have_runs(have: &[bool]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, &h) in have.iter().chain(std::iter::once(&false)).enumerate() {
        match (h, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i - s));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// Sentences about what is slowing the player down, each saying what Shoal does about it.
#[component]
pub(crate) fn NoticeList(figures: RwSignal<Option<Figures>>) -> impl IntoView {
    let notices = move || figures.with(|f| f.as_ref().map(notices).unwrap_or_default());
    let no_webrtc = !webrtc_available();
    view! {
        <ul class="notices" data-testid="notices" aria-live="polite">
            <Show when=move || no_webrtc>
                <li class="notice" data-notice="no-webrtc">"This browser has no WebRTC, so Shoal cannot reach other viewers here: it plays from web seeds and the companion over HTTP only."</li>
            </Show>
            {move || notices().into_iter().map(|(kind, text)| view! {
                <li class="notice" data-notice=kind>{text}</li>
            }).collect_view()}
        </ul>
    }
}

/// Whether the browser has `RTCPeerConnection` (old TV engines and some locked-down browsers do
/// not; the runtime then makes no peer connections and web seeds carry the torrent).
fn webrtc_available() -> bool {
    web_sys::window().is_some_and(|w| {
        js_sys::Reflect::get(&w, &"RTCPeerConnection".into()).is_ok_and(|v| v.is_function())
    })
}

fn notices(f: &Figures) -> Vec<(&'static str, String)> {
    let s = &f.stats;
    let mut out = Vec::new();
    // Bytes from a web seed or pieces already held (a seed) mean nothing is waiting on peers.
    let starved = s.bytes_from_http == 0 && s.pieces_verified == 0;
    if let Some(waited) = s
        .waiting_for_peers_ms
        .filter(|w| *w >= NO_PEERS_NOTICE_MS && starved)
    {
        let waited = waited / 1000;
        if s.webseeds > 0 {
            out.push((
                "webseed-wait",
                format!(
                    "The web seed has not sent anything yet — waited {waited} s, and no peer has connected either. Shoal keeps asking both and starts as soon as one sends data."
                ),
            ));
        } else {
            out.push(("no-peers", no_peers(s, waited)));
        }
    }
    if let Some(text) = &f.cache.store.notice {
        out.push(("store", text.clone()));
    }
    // One unreachable tracker among working ones is routine (public trackers come and go): the
    // stats panel lists it. Only when every tracker fails is it worth a notice.
    let failed = s.trackers.iter().filter(|t| t.state == "failed").count();
    if failed > 0 && failed == s.trackers.len() {
        out.push((
            "trackers-failed",
            format!(
                "No tracker can be reached ({}). Shoal keeps retrying; web seeds and peers already connected still work.",
                trackers_text(&s.trackers)
            ),
        ));
    }
    out
}

/// Each tracker's state in a few words, for the stats panel's line.
pub(crate) fn trackers_text(trackers: &[runtime::TrackerStatus]) -> String {
    if trackers.is_empty() {
        return "none".to_owned();
    }
    trackers
        .iter()
        .map(|t| {
            let host = t
                .url
                .split("://")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .unwrap_or(&t.url);
            match (t.state.as_str(), t.error.as_deref()) {
                ("failed", Some(why)) => format!("{host} unreachable: {why}"),
                ("failed", None) => format!("{host} unreachable"),
                (state, _) => format!("{host} {state}"),
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// "No peers yet", saying which trackers answered.
fn no_peers(s: &runtime::Stats, waited: u64) -> String {
    let answered: Vec<&str> = s
        .trackers
        .iter()
        .filter(|t| t.state == "answered")
        .map(|t| t.url.as_str())
        .collect();
    let trackers = if s.trackers.is_empty() {
        "There are no trackers to ask: add one in the settings below, or use a link with tr= or ws= in it.".to_owned()
    } else if answered.is_empty() {
        "No tracker has answered yet.".to_owned()
    } else {
        format!(
            "Answered: {}, but no peer has connected.",
            answered.join(", ")
        )
    };
    format!(
        "No peers yet — waited {waited} s. {trackers} Shoal keeps asking and starts as soon as a peer or web seed sends data."
    )
}

/// The trackers and ICE servers, one a line, saved in this browser.
#[component]
pub(crate) fn SettingsPanel() -> impl IntoView {
    let saved = Settings::load();
    let trackers = RwSignal::new(saved.trackers_text());
    let ice = RwSignal::new(saved.ice_text());
    let servers = RwSignal::new(saved.servers_text());
    let after = RwSignal::new(saved.gateway_after_secs.to_string());
    let min_peers = RwSignal::new(saved.gateway_min_peers.to_string());
    let status = RwSignal::new(None::<Result<String, String>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let result = Settings::from_text(&trackers.get_untracked(), &ice.get_untracked())
            .and_then(|s| {
                s.with_streaming(
                    &servers.get_untracked(),
                    &after.get_untracked(),
                    &min_peers.get_untracked(),
                )
            })
            .and_then(|s| s.keeping_store_of(&Settings::load()).save());
        match result {
            Ok(()) => {
                status.set(Some(Ok(
                    "Saved. Reconnecting with the new settings…".to_owned()
                )));
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            }
            Err(e) => status.set(Some(Err(e))),
        }
    };
    let reset = move |_| {
        let d = Settings::default();
        trackers.set(d.trackers_text());
        ice.set(d.ice_text());
        servers.set(d.servers_text());
        after.set(d.gateway_after_secs.to_string());
        min_peers.set(d.gateway_min_peers.to_string());
    };
    view! {
        <details class="settings" data-testid="settings">
            <summary>"Connection settings"</summary>
            <form on:submit=save>
                <label for="trackers">"Trackers (wss://…), one a line"</label>
                <textarea id="trackers" rows="3" spellcheck="false"
                    prop:value=move || trackers.get()
                    on:input=move |ev| trackers.set(event_target_value(&ev))></textarea>
                <label for="ice">"ICE servers (stun:… or turn:… user password), one a line"</label>
                <textarea id="ice" rows="2" spellcheck="false"
                    prop:value=move || ice.get()
                    on:input=move |ev| ice.set(event_target_value(&ev))></textarea>
                <label for="streaming-servers">"Streaming servers (http://… of a Shoal companion), one a line"</label>
                <textarea id="streaming-servers" rows="2" spellcheck="false" data-testid="streaming-servers"
                    prop:value=move || servers.get()
                    on:input=move |ev| servers.set(event_target_value(&ev))></textarea>
                <div class="settings-inline">
                    <label for="gateway-min-peers">"Use one when a torrent has fewer than"</label>
                    <input id="gateway-min-peers" type="number" min="0" max="100" data-testid="gateway-min-peers"
                        prop:value=move || min_peers.get()
                        on:input=move |ev| min_peers.set(event_target_value(&ev))/>
                    <label for="gateway-after">"peers after"</label>
                    <input id="gateway-after" type="number" min="0" max="600" data-testid="gateway-after"
                        prop:value=move || after.get()
                        on:input=move |ev| after.set(event_target_value(&ev))/>
                    <span>"seconds"</span>
                </div>
                <p class="hint">"A streaming server joins the torrent's ordinary BitTorrent swarm (which browsers cannot reach) and sends the player what its peers do not. Kept in this browser only. Torrents' own trackers are used as well."</p>
                <div class="settings-actions">
                    <button type="submit">"Save and reconnect"</button>
                    <button type="button" class="secondary" on:click=reset>"Defaults"</button>
                </div>
                {move || status.get().map(|s| match s {
                    Ok(text) => view! { <p class="hint">{text}</p> }.into_any(),
                    Err(text) => view! {
                        <ErrorNotice testid="settings-error" title="These settings were not saved." detail=text/>
                    }.into_any(),
                })}
            </form>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::{have_runs, notices, peers_text, Figures};
    use crate::player::panel::Playing;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn runs_cover_the_verified_pieces() {
        assert_eq!(have_runs(&[]), vec![]);
        assert_eq!(have_runs(&[true, true, false, true]), vec![(0, 2), (3, 1)]);
        assert_eq!(have_runs(&[false, false]), vec![]);
    }

    #[test]
    fn peers_count_shows_the_ones_connecting() {
        assert_eq!(peers_text(0, 0), "0");
        assert_eq!(peers_text(2, 0), "2");
        assert_eq!(peers_text(0, 1), "0 (+1 connecting)");
    }

    fn kinds(stats: runtime::Stats) -> Vec<&'static str> {
        let f = Figures {
            playing: Playing::default(),
            stats,
            cache: Default::default(),
        };
        notices(&f).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn no_peers_is_only_a_problem_when_nothing_else_serves_the_bytes() {
        let lonely = runtime::Stats {
            waiting_for_peers_ms: Some(10_000),
            ..runtime::Stats::default()
        };
        assert_eq!(kinds(lonely.clone()), ["no-peers"]);
        // A web seed that sends bytes: playing without peers is fine.
        let served = runtime::Stats {
            webseeds: 1,
            bytes_from_http: 1,
            ..lonely.clone()
        };
        assert!(kinds(served).is_empty());
        // A web seed that has not answered yet is what the notice talks about.
        let webseed_slow = runtime::Stats {
            webseeds: 1,
            ..lonely.clone()
        };
        assert_eq!(kinds(webseed_slow), ["webseed-wait"]);
        // A seed holds every piece: nothing waits on peers.
        let seed = runtime::Stats {
            pieces_verified: 3,
            ..lonely.clone()
        };
        assert!(kinds(seed).is_empty());
        // Not yet long enough to mention.
        let early = runtime::Stats {
            waiting_for_peers_ms: Some(1_000),
            ..lonely
        };
        assert!(kinds(early).is_empty());
    }

    fn tracker(url: &str, state: &str) -> runtime::TrackerStatus {
        runtime::TrackerStatus {
            url: url.to_owned(),
            state: state.to_owned(),
            error: (state == "failed").then(|| "closed".to_owned()),
            peers_seen: 0,
        }
    }

    #[test]
    fn one_failed_tracker_among_working_ones_is_a_stats_line_not_a_notice() {
        let mixed = runtime::Stats {
            trackers: vec![
                tracker("wss://a.example/announce", "answered"),
                tracker("wss://b.example", "failed"),
            ],
            ..runtime::Stats::default()
        };
        assert!(kinds(mixed.clone()).is_empty());
        assert_eq!(
            super::trackers_text(&mixed.trackers),
            "a.example answered · b.example unreachable: closed"
        );
        let all_down = runtime::Stats {
            trackers: vec![tracker("wss://b.example", "failed")],
            ..runtime::Stats::default()
        };
        assert_eq!(kinds(all_down), ["trackers-failed"]);
    }
}
