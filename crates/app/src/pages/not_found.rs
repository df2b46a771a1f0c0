//! The page for a path the app does not know.

use crate::route::use_location;
use leptos::prelude::*;

/// Says which address was not found and offers the way home.
#[component]
pub(crate) fn NotFound() -> impl IntoView {
    let location = use_location();
    view! {
        <main class="shell">
            <h1>"Nothing here"</h1>
            <p>"Shoal has no page at " <code>{move || location.pathname.get()}</code> "."</p>
            <p><a href="/">"Go to the start page"</a></p>
        </main>
    }
}
