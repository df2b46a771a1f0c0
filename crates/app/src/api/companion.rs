//! The companion that may serve this app (`shoal serve`), asked on the app's own origin. Its
//! JSON is declared once, in `shoal-companion-api`, for both ends.
//!
//! On any other host (a static site, `trunk serve`) these addresses are missing or answer the
//! app's own `index.html`: that is [`ApiError::Status`] or [`ApiError::BadBody`], which callers
//! treat as "no companion here", not as something to show.

use companion_api::{
    ChannelEntry, CompanionInfo, Library, LibraryItem, CHANNELS_PATH, COMPANION_PATH, LIBRARY_PATH,
};

use super::{http, ApiError};

/// Largest `/api/companion` answer read (it is a few dozen bytes).
const MAX_INFO_BYTES: usize = 64 * 1024;
/// Largest listing read. `shoal serve` lists at most 1000 files of about 600 bytes each.
pub(crate) const MAX_LISTING_BYTES: usize = 4 << 20;
/// Most items kept; the rest of a larger listing is left out.
pub(crate) const MAX_ITEMS: usize = 1000;

/// What the companion says about itself.
pub(crate) async fn info() -> Result<CompanionInfo, ApiError> {
    let body = http::get(COMPANION_PATH, MAX_INFO_BYTES).await?;
    serde_json::from_slice(&body).map_err(|e| ApiError::BadBody(e.to_string()))
}

/// What the companion seeds.
pub(crate) async fn library() -> Result<Vec<LibraryItem>, ApiError> {
    let body = http::get(LIBRARY_PATH, MAX_LISTING_BYTES).await?;
    parse_listing(&body)
}

/// The companion's live channels (at most [`MAX_ITEMS`]).
pub(crate) async fn channels() -> Result<Vec<ChannelEntry>, ApiError> {
    let body = http::get(CHANNELS_PATH, MAX_LISTING_BYTES).await?;
    let mut list: Vec<ChannelEntry> =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadBody(e.to_string()))?;
    list.truncate(MAX_ITEMS);
    Ok(list)
}

/// Reads an `/api/library` body: at most [`MAX_ITEMS`] items, items without a title or a
/// .torrent address dropped.
pub(crate) fn parse_listing(body: &[u8]) -> Result<Vec<LibraryItem>, ApiError> {
    let listing: Library =
        serde_json::from_slice(body).map_err(|e| ApiError::BadBody(e.to_string()))?;
    Ok(listing
        .items
        .into_iter()
        .filter(|i| !i.title.trim().is_empty() && !i.torrent_url.trim().is_empty())
        .take(MAX_ITEMS)
        .collect())
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
        assert_eq!(items[0].mime, "video/mp4");
        assert_eq!(items[1].duration, None);
        assert_eq!(items[1].file_index, 2);
        assert_eq!(items[1].torrent_url, "/torrents/bb.torrent");
    }

    #[test]
    fn anything_else_is_not_a_listing() {
        // What a static host or `trunk serve` answers for /api/library: the app's own page.
        let page = b"<!doctype html><html><body></body></html>";
        let not_listing = |body: &[u8]| matches!(parse_listing(body), Err(ApiError::BadBody(_)));
        assert!(not_listing(page));
        assert!(not_listing(b"{}"));
        assert!(not_listing(br#"{"items":[{"title":"a"}]}"#));
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
    fn the_largest_listing_the_companion_writes_fits_the_cap() {
        // 1000 items (the companion's own limit) with long paths and addresses.
        let long = "x".repeat(120);
        let item = LibraryItem {
            title: long.clone(),
            path: format!("{long}/{long}.webm"),
            size: u64::MAX,
            duration: Some(86_399.5),
            info_hash: "f".repeat(40),
            magnet: format!(
                "magnet:?xt=urn:btih:{}&dn={long}&tr=ws%3A%2F%2F{long}",
                "f".repeat(40)
            ),
            file_index: u32::MAX,
            url: format!("http://{long}:65535/files/{long}/{long}.webm"),
            torrent_url: format!("http://{long}:65535/torrents/{}.torrent", "f".repeat(40)),
            mime: "video/x-matroska".into(),
        };
        let body = serde_json::to_vec(&Library {
            items: vec![item; MAX_ITEMS],
        })
        .expect("serializes");
        assert!(body.len() < MAX_LISTING_BYTES, "{} bytes", body.len());
        assert_eq!(parse_listing(&body).map(|v| v.len()), Ok(MAX_ITEMS));
    }
}
