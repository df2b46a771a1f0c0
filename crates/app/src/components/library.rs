//! "On this server": the companion's library on the home page.
//!
//! When `shoal serve` hosts the app, `/api/library` on the same origin lists what it seeds. On
//! any other host (a static site, `trunk serve`) that address is missing or answers the app's
//! own `index.html`; the section then stays empty and says nothing, because the app is complete
//! without a companion and a missing one is not an error the visitor can act on.

use gloo_net::http::Request;
use leptos::prelude::*;
use serde::Deserialize;

use super::source_form::play_href;
use crate::format;

/// Where the companion lists its library (same origin as the app).
const LIBRARY_PATH: &str = "/api/library";
/// Largest listing read. `shoal serve` lists at most 1000 files of about 600 bytes each.
const MAX_LISTING_BYTES: usize = 4 << 20;
/// Most items shown; the rest of a larger listing is left out.
const MAX_ITEMS: usize = 1000;

/// One file of the companion's library, as `/api/library` describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LibraryItem {
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) path: String,
    pub(crate) size: u64,
    /// Seconds, when the companion knows it.
    #[serde(default)]
    pub(crate) duration: Option<f64>,
    /// The .torrent's address: it names the tracker and the web seed, so it plays from the
    /// companion's WebRTC peer and from HTTP alike (a magnet needs a peer for its metadata).
    pub(crate) torrent_url: String,
    #[serde(default)]
    pub(crate) file_index: u32,
}

#[derive(Deserialize)]
struct Listing {
    items: Vec<LibraryItem>,
}

/// Why a listing was not used (never shown: the section just stays empty).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ListingError {
    TooLarge,
    NotAListing,
}

/// Reads an `/api/library` answer: at most [`MAX_LISTING_BYTES`], at most [`MAX_ITEMS`] items,
/// items without a title or a .torrent address dropped.
pub(crate) fn parse_listing(body: &[u8]) -> Result<Vec<LibraryItem>, ListingError> {
    if body.len() > MAX_LISTING_BYTES {
        return Err(ListingError::TooLarge);
    }
    let listing: Listing = serde_json::from_slice(body).map_err(|_| ListingError::NotAListing)?;
    Ok(listing
        .items
        .into_iter()
        .filter(|i| !i.title.trim().is_empty() && !i.torrent_url.trim().is_empty())
        .take(MAX_ITEMS)
        .collect())
}

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
    let response = Request::get(LIBRARY_PATH).send().await.ok()?;
    if !response.ok() {
        return None;
    }
    let body = response.binary().await.ok()?;
    parse_listing(&body).ok()
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

    const LISTING: &str = r#"{"items":[
        {"title":"shoal-clock-20s","path":"shoal-clock-20s.mp4","size":1696732,"duration":20.0,
         "infoHash":"aa","magnet":"magnet:?xt=urn:btih:aa","fileIndex":0,
         "url":"http://127.0.0.1:8080/files/shoal-clock-20s.mp4",
         "torrentUrl":"http://127.0.0.1:8080/torrents/aa.torrent","mime":"video/mp4"},
        {"title":"no duration","path":"shows/b.webm","size":10,"duration":null,
         "torrentUrl":"/torrents/bb.torrent","fileIndex":2},
        {"title":" ","path":"x.mp4","size":1,"torrentUrl":"/t.torrent"},
        {"title":"no torrent","path":"y.mp4","size":1,"torrentUrl":""}
    ]}"#;

    #[test]
    fn reads_the_companion_listing_and_drops_unusable_items() {
        let items = parse_listing(LISTING.as_bytes()).expect("a listing");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].title, "shoal-clock-20s");
        assert_eq!(items[0].duration, Some(20.0));
        assert_eq!(items[0].size, 1_696_732);
        assert_eq!(items[1].duration, None);
        assert_eq!(items[1].file_index, 2);
        assert_eq!(items[1].torrent_url, "/torrents/bb.torrent");
    }

    #[test]
    fn anything_else_is_not_a_listing() {
        // What a static host or `trunk serve` answers for /api/library: the app's own page.
        let page = b"<!doctype html><html><body></body></html>";
        assert_eq!(parse_listing(page), Err(ListingError::NotAListing));
        assert_eq!(parse_listing(b"{}"), Err(ListingError::NotAListing));
        assert_eq!(
            parse_listing(br#"{"items":[{"title":"a"}]}"#),
            Err(ListingError::NotAListing)
        );
        let huge = vec![b' '; MAX_LISTING_BYTES + 1];
        assert_eq!(parse_listing(&huge), Err(ListingError::TooLarge));
    }

    #[test]
    fn long_listings_are_cut() {
        let item = r#"{"title":"t","size":1,"torrentUrl":"/t.torrent"}"#;
        let body = format!(r#"{{"items":[{}]}}"#, vec![item; MAX_ITEMS + 5].join(","));
        assert_eq!(
            parse_listing(body.as_bytes()).map(|v| v.len()),
            Ok(MAX_ITEMS)
        );
    }

    #[test]
    fn containers_come_from_the_extension() {
        assert_eq!(container("shoal-clock-20s.mp4").as_deref(), Some("MP4"));
        assert_eq!(container("shows/s1/b.webm").as_deref(), Some("WEBM"));
        assert_eq!(container("README"), None);
        assert_eq!(container(".hidden"), None);
        assert_eq!(container("dir.d/file"), None);
    }
}
