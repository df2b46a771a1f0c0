//! `/embed?src=…[&autoplay=1&muted=1&start=S&host=ORIGIN]`: the player alone, sized to its
//! frame, with a "watch on Shoal" link and a line of P2P figures. `src` is a magnet link, an
//! info hash or a .torrent URL (played from peers), an .m3u8 playlist (HLS) or any other
//! http(s) video (an add-on's HTTP stream). With `host=` (written by `/embed.js`) the page
//! reports to and obeys the host page, see [`crate::embed`].

use crate::route::use_query_map;
use leptos::{html::Video, prelude::*};
use serde::Serialize;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};

use crate::addons::encode;
use crate::embed::{host_origin, Command, Host};
use crate::format;
use crate::pages::play::{Player, Start};
use crate::player::panel;
use crate::tab::use_tab;

/// What kind of source `src` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Torrent,
    Hls,
    Http,
}

fn kind_of(src: &str) -> Kind {
    let lower = src.trim().to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or(&lower);
    if !(lower.starts_with("http://") || lower.starts_with("https://"))
        || path.ends_with(".torrent")
    {
        Kind::Torrent
    } else if addon::is_hls(src) {
        Kind::Hls
    } else {
        Kind::Http
    }
}

/// The figures the host's `stats` event carries.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmbedStats {
    peers: usize,
    bytes_from_peers: u64,
    bytes_from_http: u64,
    download_bps: f64,
    upload_bps: f64,
    pieces_verified: u32,
    pieces_total: u32,
}

/// The embed page.
#[component]
pub(crate) fn Embed() -> impl IntoView {
    let tab = use_tab();
    let q = use_query_map().get_untracked();
    let start = Start {
        autoplay: q.get("autoplay").as_deref() == Some("1"),
        muted: q.get("muted").as_deref() == Some("1"),
        at: q
            .get("start")
            .and_then(|s| addon::decimal(&s))
            .filter(|s| s.is_finite() && *s > 0.0),
    };
    let src = RwSignal::new(q.get("src").unwrap_or_default());
    let video = NodeRef::<Video>::new();
    let host = host_origin(q.get("host").as_deref()).map(Host::new);
    let figures = RwSignal::new(None::<panel::Figures>);

    if let Some(host) = host.clone() {
        host.listen(move |command| obey(command, video, src));
        host.send("ready", &JsValue::NULL);
    }
    // Each new <video> (a new source makes one) reports its events to the host.
    let host_for_video = host.clone();
    Effect::new(move |_| {
        if let (Some(v), Some(host)) = (video.get(), host_for_video.clone()) {
            forward_media_events(&v, &host);
        }
    });
    let host_for_stats = host.clone();
    let tick = set_interval_with_handle(
        move || {
            let f = tab.with_value(panel::figures);
            if let (Some(f), Some(host)) = (&f, &host_for_stats) {
                let s = &f.stats;
                let stats = EmbedStats {
                    peers: s.peers,
                    bytes_from_peers: s.bytes_from_peers,
                    bytes_from_http: s.bytes_from_http,
                    download_bps: s.download_bps,
                    upload_bps: s.upload_bps,
                    pieces_verified: s.pieces_verified,
                    pieces_total: s.pieces_total,
                };
                let to_js = serde_wasm_bindgen::Serializer::json_compatible();
                if let Ok(detail) = stats.serialize(&to_js) {
                    host.send("stats", &detail);
                }
            }
            figures.set(f);
        },
        std::time::Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        if let Some(t) = tick {
            t.clear();
        }
    });
    let host_for_errors = host.clone();
    let on_failure = Callback::new(move |why: String| {
        if let Some(h) = &host_for_errors {
            h.send("error", &JsValue::from_str(&why));
        }
    });

    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let watch_link = move || {
        let s = src.get();
        match kind_of(&s) {
            Kind::Torrent => format!("{origin}/play?src={}", encode(&s)),
            Kind::Hls | Kind::Http => format!("{origin}/watch?url={}", encode(&s)),
        }
    };
    view! {
        <main class="embed" data-testid="embed">
            {move || {
                let s = src.get();
                match kind_of(&s) {
                    Kind::Torrent => view! {
                        <Player src=s file=None start_with=start video=video compact=true on_failure=on_failure/>
                    }.into_any(),
                    kind => view! { <HttpVideo url=s hls=kind == Kind::Hls start=start video=video on_failure=on_failure/> }.into_any(),
                }
            }}
            <footer class="embed-bar">
                <span class="embed-figures" data-testid="embed-figures">{move || figures.with(|f| f.as_ref().map(|f| format!(
                    "P2P · {} peers · {} from peers · {} over HTTP",
                    f.stats.peers,
                    format::bytes(f.stats.bytes_from_peers),
                    format::bytes(f.stats.bytes_from_http),
                )))}</span>
                <a class="embed-link" href=watch_link target="_blank" rel="noopener">"Watch on Shoal ↗"</a>
            </footer>
        </main>
    }
}

/// An HLS playlist or a plain HTTP video, in the embed.
#[component]
fn HttpVideo(
    url: String,
    hls: bool,
    start: Start,
    video: NodeRef<Video>,
    on_failure: Callback<String>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let source = url.clone();
    Effect::new(move |_| {
        let Some(v) = video.get() else { return };
        let native = !v.can_play_type("application/vnd.apple.mpegurl").is_empty();
        if hls && !native {
            // The loader class exists in the browser only (natively the app compiles for its
            // unit tests, and nothing plays).
            #[cfg(target_family = "wasm")]
            {
                use crate::addons::hls::attach_hls;
                let on_error = Closure::<dyn Fn(String)>::new(move |m: String| {
                    on_failure.run(m.clone());
                    error.set(Some(m));
                });
                // Shoal's loader: segments with published hashes are verified like on /watch.
                let loader = runtime::HlsChannel::new().loader_class();
                let on_ready = Closure::<dyn Fn(JsValue)>::new(|_hls: JsValue| {});
                attach_hls(
                    &v,
                    &source,
                    &loader,
                    on_error.as_ref().unchecked_ref(),
                    on_ready.as_ref().unchecked_ref(),
                );
                // hls.js reports errors for as long as the video lives.
                on_error.forget();
                on_ready.forget();
            }
        } else {
            v.set_src(&source);
        }
    });
    view! {
        <div class="player">
            <video node_ref=video data-testid="video" controls playsinline
                autoplay=start.autoplay prop:muted=start.muted
                on:loadedmetadata=move |_| if let (Some(at), Some(v)) = (start.at, video.get_untracked()) { v.set_current_time(at) }
                on:error=move |_| {
                    let m = "The browser could not play this video: the format is not supported, or the server refused it.".to_owned();
                    on_failure.run(m.clone());
                    error.set(Some(m));
                }
            ></video>
            {move || error.get().map(|m| view! { <p class="notice" data-testid="embed-error">{m}</p> })}
        </div>
    }
}

/// Does what the host asked.
fn obey(command: Command, video: NodeRef<Video>, src: RwSignal<String>) {
    if let Command::SetSource(s) = command {
        src.set(s);
        return;
    }
    let Some(v) = video.get_untracked() else {
        return;
    };
    match command {
        Command::Play => {
            let _ = v.play();
        }
        Command::Pause => {
            let _ = v.pause();
        }
        Command::Seek(s) => v.set_current_time(s),
        Command::Volume(x) => v.set_volume(x),
        Command::Muted(m) => v.set_muted(m),
        Command::SetSource(_) => {}
    }
}

/// Sends the video's play, pause, timeupdate and ended events to the host (errors go through
/// the player's `on_failure`, with its sentence).
fn forward_media_events(video: &web_sys::HtmlVideoElement, host: &Host) {
    for name in ["play", "pause", "timeupdate", "ended"] {
        let host = host.clone();
        let v = video.clone();
        let handler = Closure::<dyn Fn()>::new(move || {
            let detail = js_sys::Object::new();
            let set = |k: &str, x: JsValue| {
                let _ = js_sys::Reflect::set(&detail, &k.into(), &x);
            };
            set("currentTime", v.current_time().into());
            let duration = v.duration();
            set(
                "duration",
                if duration.is_finite() {
                    duration.into()
                } else {
                    JsValue::NULL
                },
            );
            set("paused", v.paused().into());
            set("volume", v.volume().into());
            set("muted", v.muted().into());
            host.send(name, &detail);
        });
        let _ = video.add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
        // Lives as long as the element (a new source gets a new element and new handlers).
        handler.forget();
    }
}

#[cfg(test)]
mod tests {
    use super::{kind_of, Kind};
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn sources_are_told_apart() {
        assert_eq!(kind_of("magnet:?xt=urn:btih:aa"), Kind::Torrent);
        assert_eq!(kind_of(&"a".repeat(40)), Kind::Torrent);
        assert_eq!(kind_of("http://h/torrents/x.torrent"), Kind::Torrent);
        assert_eq!(kind_of("https://h/live/index.m3u8?x=1"), Kind::Hls);
        assert_eq!(kind_of("https://h/video.mp4"), Kind::Http);
    }
}
