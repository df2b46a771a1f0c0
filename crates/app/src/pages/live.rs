//! `/live`: the companion's channels; `/live/NAME`: one channel's viewer page, playing
//! `/channels/NAME/index.m3u8` through Shoal's HLS loader.

use companion_api::ChannelState;
use leptos::prelude::*;

use crate::components::error_notice::ErrorNotice;
use crate::live::{
    channels::{load_channels, ChannelCard},
    player::HlsPlayer,
};

/// The channel list.
#[cfg(feature = "catalog")]
#[component]
pub(crate) fn LiveList() -> impl IntoView {
    let channels = load_channels();
    view! {
        <main class="addon-page">
            <h1>"Live channels"</h1>
            {move || match channels.get() {
                None => view! { <p class="hint">"Looking for channels on this server…"</p> }.into_any(),
                Some(list) if list.is_empty() => view! {
                    <ErrorNotice testid="no-channels" title="No channel is broadcasting here."
                        detail="Start one with shoal serve --channel NAME=testsrc on this companion."/>
                }.into_any(),
                Some(list) => view! {
                    <ul class="library-list" data-testid="channels">
                        {list.into_iter().map(|c| view! { <ChannelCard channel=c/> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </main>
    }
}

/// One channel's viewer page.
#[component]
pub(crate) fn LiveChannel(
    /// The path's `<name>`, as the browser spells it.
    name: String,
) -> impl IntoView {
    let valid = !name.is_empty() && !name.contains('/') && name.len() <= 64;
    let playlist = format!(
        "/channels/{}/index.m3u8",
        js_sys::encode_uri_component(&name)
    );
    let ended = RwSignal::new(false);
    let channels = load_channels();
    let entry = {
        let name = name.clone();
        move || {
            channels
                .get()
                .and_then(|l| l.into_iter().find(|c| c.name == name))
        }
    };
    let title = {
        let (entry, name) = (entry.clone(), name.clone());
        move || {
            entry()
                .map(|c| c.title)
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| name.clone())
        }
    };
    let listed_ended = {
        let entry = entry.clone();
        Signal::derive(move || entry().is_some_and(|c| c.state == ChannelState::Ended))
    };
    let is_ended = Signal::derive(move || ended.get() || listed_ended.get());
    // The player says so itself once its playlist ends; the listing may know first.
    let listed_only = Signal::derive(move || listed_ended.get() && !ended.get());
    view! {
        <main class="addon-page wide">
            {if valid {
                view! {
                    <h1 class="live-title">
                        <span class="badge" class:badge-live=move || !is_ended.get()>
                            {move || if is_ended.get() { "Ended" } else { "Live" }}
                        </span>
                        {title}
                    </h1>
                    {move || (listed_only.get()).then(|| view! {
                        <p class="notice-ended" data-testid="broadcast-ended">"The broadcast ended."</p>
                    })}
                    <HlsPlayer url=playlist.clone() ended=ended/>
                }.into_any()
            } else {
                view! { <ErrorNotice title="No such channel." detail="A channel name is a single path segment."/> }.into_any()
            }}
        </main>
    }
}
