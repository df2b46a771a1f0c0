//! Which of the app's two builds a page address is answered with.
//!
//! The app ships as two wasm modules built from one crate (docs/reach.md, "Two modules"):
//! [`PLAYER_HTML`], the pages a viewer lands on to watch (home, `/play`, `/watch`, `/embed`, a
//! live channel), without the catalog pages, so the player path downloads less; and
//! `index.html`, the whole app, for every other address. The companion, the Service Worker and
//! the app itself decide with [`is_player_page`], so a page is never handed to the module that
//! lacks it. A host that knows nothing of this serves `index.html` everywhere, which shows
//! every page.

/// The player module's page, beside `index.html` in the built app.
pub const PLAYER_HTML: &str = "player.html";

/// Whether the player module shows the page at `path` (`location.pathname`, no query): `/`,
/// `/play`, `/watch`, `/embed` and `/live/NAME`, a trailing slash allowed. Everything else
/// (the catalog pages, unknown addresses) is the whole app's.
pub fn is_player_page(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    match rest.split_once('/') {
        None => matches!(rest, "" | "play" | "watch" | "embed"),
        Some(("live", name)) => !name.is_empty() && !name.contains('/'),
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_player_page;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_pages_a_viewer_lands_on_to_watch() {
        for path in [
            "/",
            "/play",
            "/play/",
            "/watch",
            "/embed",
            "/embed/",
            "/live/news",
            "/live/n%20x/",
        ] {
            assert!(is_player_page(path), "{path}");
        }
    }

    #[test]
    fn everything_else_is_the_whole_app() {
        for path in [
            "",
            "/discover",
            "/search",
            "/detail/movie/tt1",
            "/streams/movie/tt1",
            "/addons",
            "/settings",
            "/downloads",
            "/live",
            "/live/",
            "/live//",
            "/live/a/b",
            "/nowhere",
            "/playlist",
            "/play/x",
            "/play//",
            "play",
        ] {
            assert!(!is_player_page(path), "{path}");
        }
    }
}
