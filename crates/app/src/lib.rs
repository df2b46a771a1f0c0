//! Shoal's browser app: a Leptos client-side-rendered UI, built to wasm by Trunk.
//!
//! What it promises: one shell around every page (navigation, offline and update lines, TV
//! remote keys, see [`shell`]); the home page explains Shoal and inspects a magnet link or a bare
//! info hash with the same `metainfo` crate the engine uses; the player, add-on catalogs,
//! settings, and `/embed` (the player alone, driven by a host page through `/embed.js`).
//!
//! How to drive it: `trunk build --release` (see the repository README) produces `dist/`, which
//! `shoal serve` hosts. `main.rs` only mounts [`App`]; everything testable lives in modules here.

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
mod shell;
mod tab;

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

/// The whole app: one route per page. `shoal serve` answers every unknown path with
/// `index.html`, so these routes also work when opened directly or reloaded. What the pages
/// share (the tab's runtime client, the shared file, the installed add-ons) is given to them
/// through context from here.
#[component]
pub fn App() -> impl IntoView {
    tab::provide();
    components::share_form::provide_sharing();
    addons::start();
    shell::start();
    view! {
        <Router>
          <shell::Shell>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/") view=pages::home::Home/>
                <Route path=path!("/play") view=pages::play::Play/>
                <Route path=path!("/addons") view=pages::addons::Addons/>
                <Route path=path!("/discover") view=pages::discover::Discover/>
                <Route path=path!("/search") view=pages::search::Search/>
                <Route path=path!("/detail/:type/:id") view=pages::detail::Detail/>
                <Route path=path!("/streams/:type/:id") view=pages::detail::Streams/>
                <Route path=path!("/watch") view=pages::watch::Watch/>
                <Route path=path!("/settings") view=pages::settings::Settings/>
                <Route path=path!("/embed") view=pages::embed::Embed/>
                <Route path=path!("/live") view=pages::live::LiveList/>
                <Route path=path!("/live/:name") view=pages::live::LiveChannel/>
                <Route path=path!("/downloads") view=pages::downloads::Downloads/>
            </Routes>
          </shell::Shell>
        </Router>
    }
}

#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
