//! "Share a file": pick a file on this device, Shoal hashes it in the page and seeds it over
//! WebRTC; the page shows the magnet link (with a Copy button and a link to play it) and the
//! upload figures while it stays open.

use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{error_notice::ErrorNotice, source_form::play_href};
use crate::{
    format,
    player::{settings::Settings, views::peers_text},
    tab::{use_tab, Tab},
};

/// Where sharing is. One for the tab (see [`provide_sharing`]), so the box shows what is shared
/// again after a visit to another page of the app.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Share {
    /// Nothing picked yet.
    Idle,
    /// Reading or hashing the file: its name, size and the fraction done.
    Hashing { name: String, size: u64, done: f64 },
    /// Seeding: the torrent's info hash and magnet link.
    Seeding {
        name: String,
        size: u64,
        info_hash: String,
        magnet: String,
    },
    /// Could not share: what to tell the user.
    Failed(String),
}

/// The figures shown while seeding.
#[derive(Debug, Clone, Default, PartialEq)]
struct Figures {
    peers: usize,
    connecting: usize,
    upload_bps: f64,
    uploaded: u64,
}

/// Makes the tab's sharing state and shares it with the pages. Called once, by the root
/// component.
pub(crate) fn provide_sharing() {
    provide_context(RwSignal::new(Share::Idle));
}

/// The share box on the home page.
#[component]
pub(crate) fn ShareForm() -> impl IntoView {
    let tab = use_tab();
    let share = expect_context::<RwSignal<Share>>();
    let figures = RwSignal::new(Figures::default());
    let copied = RwSignal::new(false);

    let tick = set_interval_with_handle(
        move || {
            if let Share::Seeding { info_hash, .. } = share.get_untracked() {
                if let Some(t) = tab.with_value(|tab| tab.torrent(&info_hash)) {
                    let s = t.stats();
                    figures.set(Figures {
                        peers: s.peers,
                        connecting: s.connecting,
                        upload_bps: s.upload_bps,
                        uploaded: s.uploaded,
                    });
                }
            }
        },
        std::time::Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        if let Some(t) = tick {
            t.clear();
        }
    });

    let on_pick = move |ev: leptos::ev::Event| {
        let Some((input, file)) = super::picked_file(&ev) else {
            return;
        };
        // Picking the same file again later must fire `change` again.
        input.set_value("");
        // One file at a time: the new one replaces what was shared.
        if let Share::Seeding { info_hash, .. } = share.get_untracked() {
            if let Some(t) = tab.with_value(|tab| tab.torrent(&info_hash)) {
                t.destroy();
            }
            share.set(Share::Idle);
        }
        copied.set(false);
        // Not cancelled with the page: sharing goes on while the tab is open.
        spawn_local(seed_file(tab.get_value(), file, share, figures));
    };

    let copy = move |_| {
        let Share::Seeding { magnet, .. } = share.get_untracked() else {
            return;
        };
        let Some(window) = web_sys::window() else {
            return;
        };
        let promise = window.navigator().clipboard().write_text(&magnet);
        spawn_local(async move {
            copied.set(JsFuture::from(promise).await.is_ok());
        });
    };

    let busy = move || matches!(share.get(), Share::Hashing { .. });
    view! {
        <section class="share" data-testid="share" aria-labelledby="share-title">
            <h2 id="share-title">"Share a file"</h2>
            <p class="hint">
                "Shoal seeds a file from this device, one at a time, to anyone with its link — peer to peer, for as long as this tab stays open. Nothing is uploaded to a server."
            </p>
            <label class="share-pick" class:disabled=busy>
                {move || if matches!(share.get(), Share::Seeding { .. }) { "Share another file instead" } else { "Choose a file to share" }}
                <input type="file" data-testid="share-file" on:change=on_pick disabled=busy/>
            </label>
            {move || match share.get() {
                Share::Idle => ().into_any(),
                Share::Hashing { name, size, done } => view! {
                    <div class="share-progress" data-testid="share-progress" aria-live="polite">
                        <span>{format!("Preparing {name} ({})… {:.0} %", format::bytes(size), done * 100.0)}</span>
                        <progress max="1" value=done.to_string()></progress>
                    </div>
                }.into_any(),
                Share::Failed(message) => view! {
                    <ErrorNotice testid="share-error" title="This file cannot be shared." detail=message/>
                }.into_any(),
                Share::Seeding { name, size, magnet, .. } => view! {
                    <div class="share-result" data-testid="share-result">
                        <p class="share-name">
                            <strong>{name}</strong>
                            <span class="hint">{format!(" {} · seeding", format::bytes(size))}</span>
                        </p>
                        <label for="share-magnet">"Magnet link"</label>
                        <div class="source-row">
                            <input id="share-magnet" data-testid="share-magnet" type="text" readonly=true
                                prop:value=magnet.clone()
                                on:focus=|ev| {
                                    if let Some(i) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                        i.select();
                                    }
                                }/>
                            <button type="button" data-testid="share-copy" on:click=copy>
                                {move || if copied.get() { "Copied" } else { "Copy" }}
                            </button>
                        </div>
                        <p class="hint">
                            <a href=play_href(&magnet) target="_blank" rel="noopener" data-testid="share-play">"Open it in the player"</a>
                            " (a new tab) — or send the link to someone."
                        </p>
                        <dl class="stats-grid share-stats" data-testid="share-stats">
                            <div><dt>"Peers"</dt><dd data-stat="peers">{move || { let f = figures.get(); peers_text(f.peers, f.connecting) }}</dd></div>
                            <div><dt>"Upload"</dt><dd data-stat="upload">{move || format::speed(figures.get().upload_bps)}</dd></div>
                            <div><dt>"Uploaded"</dt><dd data-stat="uploaded">{move || format::bytes(figures.get().uploaded)}</dd></div>
                        </dl>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

/// Reads the file, hashes it with progress and starts seeding it.
async fn seed_file(
    tab: Tab,
    file: web_sys::File,
    share: RwSignal<Share>,
    figures: RwSignal<Figures>,
) {
    let name = file.name();
    let size = file.size().max(0.0) as u64;
    share.set(Share::Hashing {
        name: name.clone(),
        size,
        done: 0.0,
    });
    let bytes = match JsFuture::from(file.array_buffer()).await {
        Ok(buffer) => js_sys::Uint8Array::new(&buffer).to_vec(),
        Err(_) => {
            share.set(Share::Failed(
                "The browser could not read it; it may have been moved or deleted.".to_owned(),
            ));
            return;
        }
    };
    let settings = Settings::load();
    let opts = runtime::SeedOptions {
        trackers: settings.trackers.clone(),
        ..runtime::SeedOptions::default()
    };
    let progress = {
        let name = name.clone();
        move |p: runtime::SeedProgress| {
            share.set(Share::Hashing {
                name: name.clone(),
                size,
                done: p.fraction(),
            })
        }
    };
    match tab.client.seed(&name, bytes, &opts, progress).await {
        Ok(torrent) => {
            figures.set(Figures::default());
            let seeding = Share::Seeding {
                name,
                size,
                info_hash: torrent.info_hash(),
                magnet: torrent.magnet().to_uri(),
            };
            share.set(seeding);
        }
        Err(e) => share.set(Share::Failed(format::sentence(&e.to_string()))),
    }
}
