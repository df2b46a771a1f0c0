//! "On this server": the companion's library on the home page.
//!
//! When `shoal serve` hosts the app, `/api/library` on the same origin lists what it seeds. On
//! any other host (a static site, `trunk serve`) that address is missing or answers the app's
//! own `index.html`; the section then stays empty and says nothing, because the app is complete
//! without a companion and a missing one is not an error the visitor can act on.

use companion_api::LibraryItem;
use leptos::prelude::*;

use super::source_form::play_href;
use crate::{api, format};

/// The container as people name it, from the file's extension (`MP4`, `WEBM`…).
pub(crate) fn container(path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty() && ext.len() <= 5).then(|| ext.to_ascii_uppercase())
}

/// The `/play` address for an item: its .torrent as an absolute `http(s)` URL (relative ones
/// are resolved against this page), plus the file index. `None` for anything else.
fn item_href(item: &LibraryItem) -> Option<String> {
    let base = web_sys::window()?.location().href().ok()?;
    let url = web_sys::Url::new_with_base(item.torrent_url.trim(), &base).ok()?;
    let protocol = url.protocol();
    if protocol != "http:" && protocol != "https:" {
        return None;
    }
    Some(format!(
        "{}&file={}",
        play_href(&url.href()),
        item.file_index
    ))
}

/// Fetches the listing; `None` when there is no companion behind this origin.
async fn fetch_listing() -> Option<Vec<LibraryItem>> {
    match api::companion::library().await {
        Ok(items) => Some(items),
        Err(why) => {
            // Not an error for the visitor: most hosts are not companions.
            leptos::logging::log!("no companion library: {why}");
            None
        }
    }
}

/// The companion's library as a list with a Play link each; nothing at all without one.
#[component]
pub(crate) fn Library() -> impl IntoView {
    let listing = LocalResource::new(fetch_listing);
    move || listing_view(listing.get())
}

/// What [`Library`] shows: a loading line until the answer (`None`), then the list, or nothing
/// when there is no companion (`Some(None)`) or it seeds nothing.
fn listing_view(listing: Option<Option<Vec<LibraryItem>>>) -> AnyView {
    match listing {
        None => view! {
            <section class="library" aria-busy="true" data-testid="library-loading">
                <p class="library-loading">"Looking for a library on this server…"</p>
            </section>
        }
        .into_any(),
        Some(None) => ().into_any(),
        Some(Some(items)) if items.is_empty() => ().into_any(),
        Some(Some(items)) => view! {
            <section class="library" data-testid="library">
                <h2>"On this server"</h2>
                <p class="hint">"Seeded by this Shoal companion to your browser over WebRTC, with HTTP as a fallback."</p>
                <ul class="library-list">
                    {items.into_iter().map(|item| view! { <LibraryRow item=item/> }).collect_view()}
                </ul>
            </section>
        }
        .into_any(),
    }
}

/// One file: title, duration, size, container and a Play link.
#[component]
fn LibraryRow(item: LibraryItem) -> impl IntoView {
    let href = item_href(&item);
    let duration = item.duration.and_then(format::duration);
    view! {
        <li class="library-item" data-testid="library-item">
            <span class="library-icon" aria-hidden="true">
                <svg viewBox="0 0 24 24"><path d="M8 5.5v13l10.5-6.5z"/></svg>
            </span>
            <div class="library-text">
                <span class="library-title" data-field="title">{item.title.clone()}</span>
                <span class="library-facts">
                    {duration.map(|d| view! { <span data-field="duration">{d}</span> })}
                    <span data-field="size">{format::bytes(item.size)}</span>
                    {container(&item.path).map(|k| view! { <span data-field="kind">{k}</span> })}
                </span>
            </div>
            {match href {
                Some(href) => view! {
                    <a class="library-play" href=href aria-label=format!("Play {}", item.title)>"Play"</a>
                }
                .into_any(),
                None => view! { <span class="library-unplayable">"Cannot be played"</span> }.into_any(),
            }}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn containers_come_from_the_extension() {
        assert_eq!(container("shoal-clock-20s.mp4").as_deref(), Some("MP4"));
        assert_eq!(container("shows/s1/b.webm").as_deref(), Some("WEBM"));
        assert_eq!(container("README"), None);
        assert_eq!(container(".hidden"), None);
        assert_eq!(container("dir.d/file"), None);
    }
}
