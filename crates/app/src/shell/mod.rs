//! What every page shares around its content: the navigation bar, the status lines (offline,
//! a new version ready), the TV layout and the remote's keys. `/embed` gets none of it: an
//! embedded player is just the player.
//!
//! Framed by another site, only `/embed` renders; every other page shows a link that opens
//! Shoal in its own tab, so a host page cannot show (or overlay) the rest of the app.

pub(crate) mod layout;
pub(crate) mod nav;
pub(crate) mod pwa;
pub(crate) mod remote;
pub(crate) mod spatial;
pub(crate) mod tizen;

use crate::route::use_location;
use leptos::prelude::*;

use nav::AppNav;
use pwa::Pwa;

/// Starts what the shell needs for the tab's life. Called once, by the root component.
pub(crate) fn start() {
    layout::apply(layout::saved());
    remote::install();
    tizen::register_media_keys();
    pwa::provide();
}

/// Whether this page is inside another page's frame.
pub(crate) fn framed() -> bool {
    web_sys::window().is_some_and(|w| match w.top() {
        Ok(Some(top)) => top != w,
        _ => true,
    })
}

/// The frame around every page.
#[component]
pub(crate) fn Shell(children: Children) -> impl IntoView {
    let location = use_location();
    let embed = move || location.pathname.get() == "/embed";
    // Decided once: an embed's links open in a new tab, so a framed tab never leaves /embed.
    if framed() && !embed() {
        return view! {
            <main class="addon-page" data-testid="framed">
                <p>"This page of Shoal does not open inside another site."</p>
                <p><a href=location.pathname.get_untracked() target="_blank" rel="noopener">"Open Shoal in a new tab"</a></p>
            </main>
        }
        .into_any();
    }
    view! {
        <Show when=move || !embed()>
            <AppNav/>
            <StatusLines/>
        </Show>
        {children()}
    }
    .into_any()
}

/// Offline and update lines under the navigation bar.
#[component]
fn StatusLines() -> impl IntoView {
    let pwa = expect_context::<Pwa>();
    view! {
        <Show when=move || !pwa.online.get()>
            <p class="status-line offline" data-testid="offline" role="status">
                "You are offline. Videos saved in "<a href="/downloads">"Downloads"</a>
                " still play; peers, trackers, add-ons and the companion come back with the connection."
            </p>
        </Show>
        <Show when=move || pwa.update_ready.get()>
            <p class="status-line update" data-testid="update" role="status">
                "A new version of Shoal is ready. "
                <button type="button" data-testid="update-reload" on:click=move |_| pwa.apply_update()>"Reload"</button>
            </p>
        </Show>
    }
}
