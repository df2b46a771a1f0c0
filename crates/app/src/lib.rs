//! Shoal's browser app: a Leptos client-side-rendered UI, built to wasm by Trunk.
//!
//! What it promises: one shell around every page (navigation, offline and update lines, TV
//! remote keys, see [`shell`]); the home page explains Shoal and inspects a magnet link or a bare
//! info hash with the same `metainfo` crate the engine uses; the player, add-on catalogs,
//! settings, and `/embed` (the player alone, driven by a host page through `/embed.js`).
//! Built twice: whole (`index.html`), and as the player module without the `catalog` feature
//! (`player.html`: home, the player pages, `/embed`, a live channel), whose links to the other
//! pages load the whole app (see [`route`]).
//!
//! How to drive it: `trunk build --release` (see the repository README) produces `dist/`, which
//! `shoal serve` hosts. `main.rs` only mounts [`App`]; everything testable lives in modules here.

// The player module (built without the `catalog` feature) leaves the catalog pages out; what
// only they use is then unused here, and the linker drops it from that module.
#![cfg_attr(not(feature = "catalog"), allow(dead_code, unused_imports))]
// Leptos' `#[component]` macro copies a `pub(crate)` visibility onto generated items in a way
// the `unreachable_pub` lint misreads; the app is a leaf crate, so the lint protects nothing here.
#![allow(unreachable_pub)]

mod addons;
mod api;
mod cache;
mod components;
mod embed;
mod format;
mod live;
mod pages;
mod player;
mod route;
mod shell;
mod tab;

use leptos::prelude::*;

use route::Page;

/// The whole app: one page per route ([`route::Page`]). `shoal serve` answers every unknown
/// path with the app's page (`player.html` for the player module's pages, else `index.html`),
/// so these routes also work when opened directly or reloaded. What
/// the pages share (the tab's runtime client, the shared file, the installed add-ons) is given
/// to them through context from here.
#[component]
pub fn App() -> impl IntoView {
    let location = route::provide();
    tab::provide();
    components::share_form::provide_sharing();
    addons::start();
    shell::start();
    // A new page is built only when the route or its path parameters change; a page whose
    // query changes (/play, /search) follows its query itself.
    let page = Memo::new(move |_| location.pathname.with(|path| Page::of(path)));
    view! {
        <shell::Shell>
            {move || match page.get() {
                Page::Home => view! { <pages::home::Home/> }.into_any(),
                Page::Play => view! { <pages::play::Play/> }.into_any(),
                Page::Watch => view! { <pages::watch::Watch/> }.into_any(),
                Page::Embed => view! { <pages::embed::Embed/> }.into_any(),
                Page::LiveChannel { name } => view! { <pages::live::LiveChannel name=name/> }.into_any(),
                other => catalog_page(other),
            }}
        </shell::Shell>
    }
}

/// A page the player module leaves out (the crate's `catalog` feature), or the not-found page.
#[cfg(feature = "catalog")]
fn catalog_page(page: Page) -> AnyView {
    match page {
        Page::Addons => view! { <pages::addons::Addons/> }.into_any(),
        Page::Discover => view! { <pages::discover::Discover/> }.into_any(),
        Page::Search => view! { <pages::search::Search/> }.into_any(),
        Page::Detail { kind, id } => view! { <pages::detail::Detail kind=kind id=id/> }.into_any(),
        Page::Streams { kind, id } => {
            view! { <pages::detail::Streams kind=kind id=id/> }.into_any()
        }
        Page::Settings => view! { <pages::settings::Settings/> }.into_any(),
        Page::LiveList => view! { <pages::live::LiveList/> }.into_any(),
        Page::Downloads => view! { <pages::downloads::Downloads/> }.into_any(),
        _ => view! { <pages::not_found::NotFound/> }.into_any(),
    }
}

/// The player module is handed only its own pages (`companion_api::is_player_page` decides for
/// the companion, the Service Worker and the links in `route`), so a catalog page reaches it
/// only from a host that serves `player.html` everywhere: the not-found page.
#[cfg(not(feature = "catalog"))]
fn catalog_page(_page: Page) -> AnyView {
    view! { <pages::not_found::NotFound/> }.into_any()
}

#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
