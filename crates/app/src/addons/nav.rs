//! The header of the add-on pages: where you are, and a search box.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::encode;

/// Links to Home, Discover and Add-ons, and a search box that opens `/search?q=`.
#[component]
pub(crate) fn AddonNav(#[prop(optional, into)] query: String) -> impl IntoView {
    let (text, set_text) = signal(query);
    let navigate = use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = text.get_untracked();
        if !q.trim().is_empty() {
            navigate(
                &format!("/search?q={}", encode(q.trim())),
                Default::default(),
            );
        }
    };
    view! {
        <nav class="addon-nav">
            <a class="addon-nav-brand" href="/"><img src="/favicon.svg" alt=""/>"Shoal"</a>
            <a href="/discover">"Discover"</a>
            <a href="/addons">"Add-ons"</a>
            <form class="addon-nav-search" role="search" on:submit=submit>
                <input
                    type="search"
                    name="q"
                    aria-label="Search add-ons"
                    placeholder="Search movies and series"
                    prop:value=move || text.get()
                    on:input=move |ev| set_text.set(event_target_value(&ev))
                />
            </form>
        </nav>
    }
}
