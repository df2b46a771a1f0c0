//! The companion's live channels (`/api/channels`): the "Live now" section of the home page
//! and the `/live` list share this list.

use companion_api::{ChannelEntry, ChannelState};
use leptos::prelude::*;

use crate::api;

/// The `/live/NAME` address of a channel (names never hold `/`; other characters are
/// percent-encoded anyway).
pub(crate) fn channel_href(name: &str) -> String {
    format!("/live/{}", js_sys::encode_uri_component(name))
}

/// The channels, newest answer; empty when there is no companion.
pub(crate) fn load_channels() -> LocalResource<Vec<ChannelEntry>> {
    LocalResource::new(|| async { api::companion::channels().await.unwrap_or_default() })
}

/// One channel as a card.
#[component]
pub(crate) fn ChannelCard(channel: ChannelEntry) -> impl IntoView {
    let live = channel.state == ChannelState::Live;
    let title = if channel.title.trim().is_empty() {
        channel.name.clone()
    } else {
        channel.title.clone()
    };
    let facts = match (live, channel.viewers) {
        (true, Some(v)) => format!("Live · {v} watching"),
        (true, None) => "Live".to_owned(),
        (false, _) => channel.error.clone().map_or_else(
            || "The broadcast ended".to_owned(),
            |e| format!("Ended: {e}"),
        ),
    };
    view! {
        <li class="library-item channel-item" class:ended=!live data-testid="channel" data-channel=channel.name.clone()>
            <span class="library-icon" aria-hidden="true">
                <svg viewBox="0 0 24 24"><circle cx="12" cy="12" r="3.2"/><path d="M6.3 6.3a8 8 0 0 0 0 11.4l1.4-1.4a6 6 0 0 1 0-8.6zM17.7 6.3l-1.4 1.4a6 6 0 0 1 0 8.6l1.4 1.4a8 8 0 0 0 0-11.4z"/></svg>
            </span>
            <span class="library-text">
                <span class="library-title">{title}</span>
                <span class="library-facts"><span>{facts}</span></span>
            </span>
            <a class="library-play" href=channel_href(&channel.name)>{if live { "Watch" } else { "Open" }}</a>
        </li>
    }
}

/// "Live now" on the home page: the channels that are live; nothing when there are none (or
/// no companion).
#[component]
pub(crate) fn LiveNow() -> impl IntoView {
    let channels = load_channels();
    move || {
        let live: Vec<ChannelEntry> = channels
            .get()
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.state == ChannelState::Live)
            .collect();
        (!live.is_empty()).then(|| {
            view! {
                <section class="library live-now" data-testid="live-now" aria-label="Live now">
                    <h2>"Live now"</h2>
                    <ul class="library-list">
                        {live.into_iter().map(|c| view! { <ChannelCard channel=c/> }).collect_view()}
                    </ul>
                </section>
            }
        })
    }
}
