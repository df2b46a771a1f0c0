//! The source box: paste a magnet link, an info hash or a .torrent address, see what it says,
//! and play it; or pick a .torrent file from this device.

use crate::route::use_location;
use leptos::prelude::*;

use super::{error_notice::ErrorNotice, magnet_details::MagnetDetails};
use crate::format::sentence;

/// The `/play` address for a source (a magnet, an info hash, or a .torrent URL).
pub(crate) fn play_href(src: &str) -> String {
    format!(
        "/play?src={}",
        String::from(js_sys::encode_uri_component(src.trim()))
    )
}

/// Whether the text is the address of a .torrent file rather than a magnet or an info hash.
fn is_torrent_url(text: &str) -> bool {
    let t = text.trim();
    t.starts_with("https://") || t.starts_with("http://")
}

/// A text box parsed as you type with [`metainfo::parse_source`]: the same parser the engine
/// uses, compiled to wasm, so what the page accepts is exactly what the player will accept.
/// "Play" opens `/play`. A picked .torrent file is handed over as a `blob:` URL, which stays
/// valid while this tab lives (the app navigates without reloading).
#[component]
pub(crate) fn SourceForm() -> impl IntoView {
    let (text, set_text) = signal(String::new());
    let parsed = move || {
        let text = text.get();
        if text.trim().is_empty() || is_torrent_url(&text) {
            None
        } else {
            Some(metainfo::parse_source(&text).map_err(|e| sentence(&e.to_string())))
        }
    };
    let playable = move || {
        let t = text.get();
        is_torrent_url(&t) || (!t.trim().is_empty() && metainfo::parse_source(&t).is_ok())
    };
    let location = use_location();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = text.get_untracked();
        if is_torrent_url(&t) || metainfo::parse_source(&t).is_ok() {
            location.navigate(&play_href(&t));
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let Some((_, file)) = super::picked_file(&ev) else {
            return;
        };
        if let Ok(url) = web_sys::Url::create_object_url_with_blob(&file) {
            location.navigate(&play_href(&url));
        }
    };

    view! {
        <form class="source-form" on:submit=on_submit>
            <label for="source">"Magnet link or info hash"</label>
            <div class="source-row">
                <input
                    id="source"
                    name="source"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    autofocus=true
                    placeholder="magnet:?xt=urn:btih:…, 40 hex characters, or https://…/file.torrent"
                    prop:value=move || text.get()
                    on:input=move |ev| set_text.set(event_target_value(&ev))
                />
                <button type="submit" data-testid="play" disabled=move || !playable()>"Play"</button>
            </div>
            <p class="hint">
                "Paste a link and its details appear below, or "
                <label class="file-pick">
                    "open a .torrent file"
                    <input type="file" accept=".torrent,application/x-bittorrent" data-testid="torrent-file" on:change=on_pick/>
                </label>
                "."
            </p>
        </form>
        {move || match parsed() {
            None => ().into_any(),
            Some(Ok(magnet)) => view! { <MagnetDetails magnet=magnet/> }.into_any(),
            Some(Err(message)) => view! {
                <ErrorNotice testid="source-error" title="That is not something Shoal can open." detail=message/>
            }
            .into_any(),
        }}
    }
}
