//! The home page: what Shoal is, the source box, and the companion's library when there is one.

use leptos::prelude::*;

use crate::components::{library::Library, share_form::ShareForm, source_form::SourceForm};
use crate::live::channels::LiveNow;

/// The line a site owner pastes to embed a player served by this origin.
fn embed_snippet() -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    format!(
        r#"<script src="{origin}/embed.js"></script><shoal-player src="magnet:?xt=…" muted></shoal-player>"#
    )
}

/// Home: a short explanation of Shoal and the box that takes a magnet link or an info hash.
#[component]
pub(crate) fn Home() -> impl IntoView {
    view! {
        <main class="shell">
            <header class="brand">
                <img src="/favicon.svg" alt=""/>
                <div>
                    <h1>"Shoal"</h1>
                    <p class="tagline">"Video from peers, not servers — played right in your browser."</p>
                </div>
            </header>
            <ul class="points">
                <li>
                    <strong>"Peer to peer"</strong>
                    "Shoal speaks BitTorrent over WebRTC, the way WebTorrent does, so every viewer also shares."
                </li>
                <li>
                    <strong>"Verified"</strong>
                    "Every piece from a peer is checked against the torrent's SHA-1 hashes before it is played."
                </li>
                <li>
                    <strong>"Nothing to install"</strong>
                    "It is WebAssembly in a web page. "
                    <a href="/settings">"Add it to your home screen"</a>
                    ", or embed it on your own site with one line:"
                    <code class="embed-snippet" data-testid="embed-snippet">{embed_snippet()}</code>
                </li>
            </ul>
            <SourceForm/>
            <LiveNow/>
            <Library/>
            <ShareForm/>
            <footer>
                "Shoal reads links locally; it contacts trackers and peers only when you press Play or share a file."
            </footer>
        </main>
    }
}
