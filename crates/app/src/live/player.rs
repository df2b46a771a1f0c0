//! The HLS player: hls.js with Shoal's loader ([`runtime::HlsChannel::loader_class`]), the
//! stats panel, and "the broadcast ended" once a live playlist ends. The figures are also
//! offered to scripts as `window.shoal.hlsStats()`.

use std::{cell::RefCell, rc::Rc};

use leptos::html::Video;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::panel::HlsPanel;
#[cfg(target_family = "wasm")]
use crate::addons::hls::{attach_hls, preload_hls};
use crate::addons::hls::{hls_destroy, hls_latency};
use crate::components::error_notice::ErrorNotice;

/// What the panel and `window.shoal.hlsStats()` show.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HlsFigures {
    #[serde(flatten)]
    pub(crate) stats: runtime::HlsStats,
    /// P2P share of segment bytes, 0–1.
    pub(crate) p2p_share: f64,
    /// Seconds behind the live edge, when live.
    pub(crate) live_distance: Option<f64>,
    /// Times playback waited for data after it had started.
    pub(crate) stalls: u32,
    /// Seconds played (the video's current time).
    pub(crate) current_time: f64,
    /// Whether the broadcast ended.
    pub(crate) broadcast_ended: bool,
}

/// The page-side state of one playback.
#[derive(Default)]
struct Playback {
    channel: runtime::HlsChannel,
    hls: Option<JsValue>,
    started: bool,
    stalls: u32,
}

impl Playback {
    fn figures(&self, current_time: f64) -> HlsFigures {
        let stats = self.channel.stats();
        let latency = self.hls.as_ref().map_or(-1.0, hls_latency);
        HlsFigures {
            p2p_share: stats.p2p_share(),
            // hls.js answers 0 until it has a live playlist and a playhead.
            live_distance: (stats.live && !stats.ended && latency > 0.0).then_some(latency),
            broadcast_ended: stats.broadcast_ended(),
            stats,
            stalls: self.stalls,
            current_time,
        }
    }
}

/// Plays the HLS playlist at `url`; `ended` is raised when the broadcast ends.
#[component]
pub(crate) fn HlsPlayer(
    url: String,
    #[prop(optional)] ended: Option<RwSignal<bool>>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let figures = RwSignal::new(None::<HlsFigures>);
    let video_ref = NodeRef::<Video>::new();
    let playback = SendWrapper::new(Rc::new(RefCell::new(Playback::default())));

    // The loader class exists in the browser only (natively the app compiles for its unit
    // tests, and nothing plays).
    #[cfg(not(target_family = "wasm"))]
    let _ = &url;
    #[cfg(target_family = "wasm")]
    {
        let playback = playback.clone();
        let tab = crate::tab::use_tab().get_value();
        Effect::new(move |_| {
            let Some(video) = video_ref.get() else { return };
            preload_hls();
            let channel = playback.borrow().channel.clone();
            let pb = Rc::downgrade(&playback);
            // The download store may still be opening: hls.js starts now (playlist, media
            // attach) and the loads that look in the store wait for it. A segment it holds
            // plays from it, and every verified segment goes into it.
            channel.store_coming();
            {
                let (channel, cache) = (channel.clone(), tab.cache.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    match cache.settled().await {
                        crate::cache::Opened::Ready(store) => channel.use_store(store),
                        crate::cache::Opened::Pending | crate::cache::Opened::Failed(_) => {
                            channel.no_store()
                        }
                    }
                });
            }
            // Other viewers of a channel that publishes a swarm: segments move between pages,
            // every piece checked against the playlist's tags.
            channel.use_peers(&tab.client);
            let probe_video = video.clone();
            channel.set_buffer_probe(Rc::new(move || buffer_ahead(&probe_video)));
            let loader = channel.loader_class();
            let on_error = Closure::<dyn Fn(String)>::new(move |m: String| error.set(Some(m)));
            let on_ready = Closure::<dyn Fn(JsValue)>::new(move |hls: JsValue| {
                if let Some(pb) = pb.upgrade() {
                    pb.borrow_mut().hls = Some(hls);
                }
            });
            attach_hls(
                &video,
                &url,
                &loader,
                on_error.as_ref().unchecked_ref(),
                on_ready.as_ref().unchecked_ref(),
            );
            // hls.js may call these for as long as the page lives.
            on_error.forget();
            on_ready.forget();
        });
    }

    let on_playing = {
        let playback = playback.clone();
        move |_| playback.borrow_mut().started = true
    };
    let on_waiting = {
        let playback = playback.clone();
        move |_| {
            let mut pb = playback.borrow_mut();
            if pb.started {
                pb.stalls += 1;
            }
        }
    };

    let refresh = {
        let playback = playback.clone();
        move || {
            let now = video_ref.get_untracked().map_or(0.0, |v| v.current_time());
            let f = playback.borrow().figures(now);
            if f.broadcast_ended {
                if let Some(e) = ended {
                    e.set(true);
                }
            }
            figures.set(Some(f));
        }
    };
    let tick = set_interval_with_handle(refresh, std::time::Duration::from_millis(500)).ok();
    expose(playback.clone(), video_ref);
    {
        let playback = playback.clone();
        on_cleanup(move || {
            if let Some(t) = tick {
                t.clear();
            }
            if let Some(hls) = playback.borrow_mut().hls.take() {
                hls_destroy(&hls);
            }
        });
    }

    let broadcast_ended = move || figures.with(|f| f.as_ref().is_some_and(|f| f.broadcast_ended));
    view! {
        {move || broadcast_ended().then(|| view! {
            <p class="notice-ended" data-testid="broadcast-ended">"The broadcast ended."</p>
        })}
        <div class="watch">
            <video node_ref=video_ref data-testid="watch-video" controls playsinline
                on:playing=on_playing on:waiting=on_waiting></video>
        </div>
        {move || error.get().map(|m| view! { <ErrorNotice testid="watch-error" title=m/> })}
        <HlsPanel figures=figures/>
    }
}

/// Media buffered ahead of the playhead (ms) and whether playback is under way.
#[cfg(target_family = "wasm")]
fn buffer_ahead(video: &web_sys::HtmlVideoElement) -> (u64, bool) {
    let now = video.current_time();
    let ranges = video.buffered();
    let ahead = (0..ranges.length())
        .filter_map(|i| Some((ranges.start(i).ok()?, ranges.end(i).ok()?)))
        .find(|(start, end)| *start <= now + 0.1 && now < *end)
        .map_or(0.0, |(_, end)| end - now);
    // Under way once it played at all: a stall (ready state below 3) is not a new start, and
    // must not give peers the start-up allowance while the viewer waits.
    let played = video.played().length() > 0;
    let playing = !video.paused() && (video.ready_state() >= 3 || played);
    ((ahead * 1000.0).max(0.0) as u64, playing)
}

/// Defines `window.shoal.hlsStats()` for this playback (replaced by the next one; it answers
/// null once the playback is gone).
fn expose(playback: SendWrapper<Rc<RefCell<Playback>>>, video_ref: NodeRef<Video>) {
    let weak = Rc::downgrade(&playback);
    crate::player::panel::define_figures("hlsStats", move || {
        let now = video_ref.get_untracked().map_or(0.0, |v| v.current_time());
        weak.upgrade().map(|pb| pb.borrow().figures(now))
    });
}
