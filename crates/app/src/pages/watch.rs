//! `/watch?url=` (or `?hls=`): a direct HTTP(S) video, or an HLS playlist, which always goes
//! through hls.js with Shoal's loader (peers for segments with published hashes, HTTP for the
//! rest).

use crate::route::use_query_map;
use leptos::html::Video;
use leptos::prelude::*;

use crate::components::error_notice::ErrorNotice;
use crate::live::player::HlsPlayer;

/// The watch page.
#[component]
pub(crate) fn Watch() -> impl IntoView {
    let (url, forced_hls) = use_query_map().with_untracked(|q| match q.get("hls") {
        Some(u) => (u, true),
        None => (q.get("url").unwrap_or_default(), false),
    });
    let is_http = url.starts_with("https://") || url.starts_with("http://");
    let hls = forced_hls || addon::is_hls(&url);
    let error = RwSignal::new(None::<String>);
    let video_ref = NodeRef::<Video>::new();

    if is_http && !hls {
        let url = url.clone();
        Effect::new(move |_| {
            if let Some(video) = video_ref.get() {
                video.set_src(&url);
            }
        });
    }

    view! {
        <main class="addon-page wide">
            {match (is_http, hls) {
                (true, true) => view! {
                    <HlsPlayer url=url.clone()/>
                    <p class="watch-url"><span class="badge">"HLS"</span><code>{url.clone()}</code></p>
                }.into_any(),
                (true, false) => view! {
                    <div class="watch">
                        <video node_ref=video_ref data-testid="watch-video" controls autoplay playsinline
                            on:error=move |_| error.set(Some(
                                "The browser could not play this video: the format is not supported, or the server refused it.".into()
                            ))></video>
                        <p class="watch-url"><span class="badge">"HTTP"</span><code>{url.clone()}</code></p>
                    </div>
                }.into_any(),
                _ => view! {
                    <ErrorNotice title="Nothing to play." detail="This page plays http:// and https:// video addresses only."/>
                }.into_any(),
            }}
            {move || error.get().map(|m| view! { <ErrorNotice testid="watch-error" title=m/> })}
        </main>
    }
}
