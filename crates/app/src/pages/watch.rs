//! `/watch?url=`: a direct HTTP(S) video, or an HLS playlist (natively where the browser can,
//! through hls.js elsewhere).

use leptos::html::Video;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use wasm_bindgen::prelude::*;

use crate::addons::hls::attach_hls;
use crate::components::error_notice::ErrorNotice;

/// The watch page.
#[component]
pub(crate) fn Watch() -> impl IntoView {
    let url = use_query_map().with_untracked(|q| q.get("url").unwrap_or_default());
    let is_http = url.starts_with("https://") || url.starts_with("http://");
    let hls = addon::is_hls(&url);
    let error = RwSignal::new(None::<String>);
    let video_ref = NodeRef::<Video>::new();

    if is_http {
        let url = url.clone();
        Effect::new(move |_| {
            let Some(video) = video_ref.get() else { return };
            let native = !video
                .can_play_type("application/vnd.apple.mpegurl")
                .is_empty();
            if hls && !native {
                let on_error = Closure::<dyn Fn(String)>::new(move |m: String| error.set(Some(m)));
                attach_hls(&video, &url, on_error.as_ref().unchecked_ref());
                // hls.js may report errors for as long as the page lives.
                on_error.forget();
            } else {
                video.set_src(&url);
            }
        });
    }

    view! {
        <main class="addon-page wide">
            {if is_http {
                view! {
                    <div class="watch">
                        <video node_ref=video_ref data-testid="watch-video" controls autoplay playsinline
                            on:error=move |_| error.set(Some(
                                "The browser could not play this video: the format is not supported, or the server refused it.".into()
                            ))></video>
                        <p class="watch-url"><span class="badge">{if hls { "HLS" } else { "HTTP" }}</span><code>{url.clone()}</code></p>
                    </div>
                }.into_any()
            } else {
                view! {
                    <ErrorNotice title="Nothing to play." detail="This page plays http:// and https:// video addresses only."/>
                }.into_any()
            }}
            {move || error.get().map(|m| view! { <ErrorNotice testid="watch-error" title=m/> })}
        </main>
    }
}
