//! The app's own routing: which page an address shows ([`Page::of`]), the current address as
//! signals ([`Location`]), and same-origin link clicks turned into history entries instead of
//! page loads. Back and forward (the browser's, or [`crate::shell::remote`]'s Back key) come in
//! as `popstate` and change the signals the same way.
//!
//! Why not `leptos_router`: its generic matching, nested outlets and transitions were some
//! 25 KiB of the player path's brotli size, for thirteen flat routes (docs/benchmarks.md).
//!
//! The player module (the crate without `catalog`) follows only the links to its own pages;
//! a link or [`Location::navigate`] to another page loads the whole app there.
//!
//! Path parameters are handed to the page as the browser spells them (still percent-encoded,
//! as the Leptos router did); query values are decoded as `URLSearchParams` decodes them.

use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;

/// A page of the app and the parameters its path carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Page {
    Home,
    Play,
    Addons,
    Discover,
    Search,
    Detail { kind: String, id: String },
    Streams { kind: String, id: String },
    Watch,
    Settings,
    Embed,
    LiveList,
    LiveChannel { name: String },
    Downloads,
    NotFound,
}

impl Page {
    /// The page for a path (`location.pathname`, without query or hash). A trailing slash is
    /// ignored; a parameter is one non-empty segment.
    pub(crate) fn of(path: &str) -> Self {
        let trimmed = path.trim_end_matches('/');
        let segments: Vec<&str> = trimmed.split('/').skip(1).collect();
        match segments.as_slice() {
            [] => Self::Home,
            ["play"] => Self::Play,
            ["addons"] => Self::Addons,
            ["discover"] => Self::Discover,
            ["search"] => Self::Search,
            ["watch"] => Self::Watch,
            ["settings"] => Self::Settings,
            ["embed"] => Self::Embed,
            ["live"] => Self::LiveList,
            ["downloads"] => Self::Downloads,
            ["detail", kind, id] if !kind.is_empty() && !id.is_empty() => Self::Detail {
                kind: (*kind).to_owned(),
                id: (*id).to_owned(),
            },
            ["streams", kind, id] if !kind.is_empty() && !id.is_empty() => Self::Streams {
                kind: (*kind).to_owned(),
                id: (*id).to_owned(),
            },
            ["live", name] if !name.is_empty() => Self::LiveChannel {
                name: (*name).to_owned(),
            },
            _ => Self::NotFound,
        }
    }
}

/// A query string's pairs, decoded, in their order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    /// Parses `location.search` (with or without its `?`) as `application/x-www-form-urlencoded`,
    /// the way `URLSearchParams` does: `+` is a space, `%XX` a byte, bytes that are not UTF-8
    /// become U+FFFD.
    pub(crate) fn parse(search: &str) -> Self {
        let search = search.strip_prefix('?').unwrap_or(search);
        Self(
            search
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    (form_decode(name), form_decode(value))
                })
                .collect(),
        )
    }

    /// The first value given for `name`.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

/// One name or value of a query string, decoded.
fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&high), Some(&low)) => hex_pair(high, low),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 2;
            }
            (None, b'+') => out.push(b' '),
            (None, b) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The byte two hex digits spell.
fn hex_pair(high: u8, low: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(high)? * 16 + digit(low)?) as u8)
}

/// The current address, shared through context by [`provide`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Location {
    /// `location.pathname`, as the browser spells it.
    pub(crate) pathname: Memo<String>,
    /// `location.search`, decoded.
    pub(crate) query: Memo<Query>,
    /// (pathname, search) as last read from the browser.
    raw: RwSignal<(String, String)>,
}

impl Location {
    /// Goes to `to` (a path with an optional query) inside the app: a new history entry, the
    /// page for it, and the top of the page.
    pub(crate) fn navigate(self, to: &str) {
        go(self, to);
    }

    /// Reads the browser's address into the signals (after a push or a `popstate`).
    fn refresh(self) {
        self.raw.set(current());
    }
}

/// The browser's (pathname, search).
fn current() -> (String, String) {
    web_sys::window()
        .map(|w| w.location())
        .map(|l| {
            (
                l.pathname().unwrap_or_else(|_| "/".into()),
                l.search().unwrap_or_default(),
            )
        })
        .unwrap_or_else(|| ("/".into(), String::new()))
}

/// Starts routing for the tab's life: the address signals (in context, see [`use_location`]),
/// the document's link clicks and the window's `popstate`. Called once, by the root component.
pub(crate) fn provide() -> Location {
    let raw = RwSignal::new(current());
    let location = Location {
        pathname: Memo::new(move |_| raw.with(|(path, _)| path.clone())),
        query: Memo::new(move |_| raw.with(|(_, search)| Query::parse(search))),
        raw,
    };
    provide_context(location);
    // The tab lives as long as the app: the listeners are never removed.
    std::mem::forget(window_event_listener(ev::popstate, move |_| {
        location.refresh()
    }));
    std::mem::forget(window_event_listener(ev::click, move |ev| {
        if let Some(to) = link_target(&ev) {
            ev.prevent_default();
            go(location, &to);
        }
    }));
    location
}

/// The current address (from [`provide`]'s context).
pub(crate) fn use_location() -> Location {
    expect_context::<Location>()
}

/// The current query (from [`provide`]'s context).
pub(crate) fn use_query_map() -> Memo<Query> {
    use_location().query
}

fn go(location: Location, to: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = to.split(['?', '#']).next().unwrap_or(to);
    if !in_this_module(path) {
        // A page this module leaves out: the whole app's page, loaded.
        let _ = window.location().assign(to);
        return;
    }
    let here = location.raw.with_untracked(|(p, s)| format!("{p}{s}"));
    // Following a link to the page already shown adds no history entry.
    if here != to {
        if let Ok(history) = window.history() {
            let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to));
        }
    }
    location.refresh();
    window.scroll_to_with_x_and_y(0.0, 0.0);
}

/// Whether this module shows the page at `path`: the whole app shows every page, the player
/// module (built without `catalog`) only [`companion_api::is_player_page`]'s.
fn in_this_module(path: &str) -> bool {
    cfg!(feature = "catalog") || companion_api::is_player_page(path)
}

/// Where a click should take the app without a page load: a plain left click, without
/// modifier keys, on a link to a page of this module on this origin that has no `target`,
/// `download` or `rel="external"`. `None` leaves the click to the browser.
fn link_target(ev: &web_sys::MouseEvent) -> Option<String> {
    if ev.default_prevented()
        || ev.button() != 0
        || ev.meta_key()
        || ev.alt_key()
        || ev.ctrl_key()
        || ev.shift_key()
    {
        return None;
    }
    let target = ev.target()?.dyn_into::<web_sys::Element>().ok()?;
    let link = target.closest("a[href]").ok()??;
    if link.get_attribute("target").is_some_and(|t| !t.is_empty())
        || link.has_attribute("download")
        || link
            .get_attribute("rel")
            .is_some_and(|rel| rel.split_ascii_whitespace().any(|r| r == "external"))
    {
        return None;
    }
    let location = web_sys::window()?.location();
    let url =
        web_sys::Url::new_with_base(&link.get_attribute("href")?, &location.href().ok()?).ok()?;
    if url.origin() != location.origin().ok()? || !in_this_module(&url.pathname()) {
        return None;
    }
    Some(format!("{}{}{}", url.pathname(), url.search(), url.hash()))
}

#[cfg(test)]
mod tests {
    use super::{Page, Query};
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn every_route_and_its_parameters() {
        assert_eq!(Page::of("/"), Page::Home);
        assert_eq!(Page::of(""), Page::Home);
        assert_eq!(Page::of("/play"), Page::Play);
        assert_eq!(Page::of("/play/"), Page::Play);
        assert_eq!(Page::of("/watch"), Page::Watch);
        assert_eq!(Page::of("/embed"), Page::Embed);
        assert_eq!(Page::of("/live"), Page::LiveList);
        assert_eq!(
            Page::of("/live/news"),
            Page::LiveChannel {
                name: "news".into()
            }
        );
        assert_eq!(
            Page::of("/detail/series/tt1%3A2"),
            Page::Detail {
                kind: "series".into(),
                id: "tt1%3A2".into()
            }
        );
        assert_eq!(
            Page::of("/streams/movie/tt9"),
            Page::Streams {
                kind: "movie".into(),
                id: "tt9".into()
            }
        );
        assert_eq!(Page::of("/detail/movie"), Page::NotFound);
        assert_eq!(Page::of("/detail//x"), Page::NotFound);
        assert_eq!(Page::of("/live/a/b"), Page::NotFound);
        assert_eq!(Page::of("/nowhere"), Page::NotFound);
        assert_eq!(Page::of("/playlist"), Page::NotFound);
    }

    /// The player module shows exactly the pages `is_player_page` sends it: every such address
    /// is one of its pages, and each of its pages has such an address.
    #[test]
    fn the_player_module_is_sent_only_its_own_pages() {
        let in_player = |page: &Page| {
            matches!(
                page,
                Page::Home | Page::Play | Page::Watch | Page::Embed | Page::LiveChannel { .. }
            )
        };
        let paths = [
            "/",
            "/play",
            "/play/",
            "/watch",
            "/embed",
            "/live",
            "/live/",
            "/live/news",
            "/live/news/",
            "/live/a/b",
            "/discover",
            "/search",
            "/addons",
            "/settings",
            "/downloads",
            "/detail/movie/tt1",
            "/streams/movie/tt1",
            "/nowhere",
            "/play//",
            "/play/x",
        ];
        for path in paths {
            if companion_api::is_player_page(path) {
                assert!(in_player(&Page::of(path)), "{path}");
            }
        }
        for path in ["/", "/play", "/watch", "/embed", "/live/news"] {
            assert!(in_player(&Page::of(path)), "{path}");
            assert!(companion_api::is_player_page(path), "{path}");
        }
    }

    #[test]
    fn queries_decode_as_url_search_params_does() {
        let q = Query::parse("?src=magnet%3A%3Fxt%3Durn&file=2&q=a+b%20c&flag&src=second");
        assert_eq!(q.get("src").as_deref(), Some("magnet:?xt=urn"));
        assert_eq!(q.get("file").as_deref(), Some("2"));
        assert_eq!(q.get("q").as_deref(), Some("a b c"));
        assert_eq!(q.get("flag").as_deref(), Some(""));
        assert_eq!(q.get("missing"), None);
        assert_eq!(Query::parse("").get("src"), None);
        // A stray `%` stays; UTF-8 is decoded; broken UTF-8 becomes U+FFFD.
        let q = Query::parse("a=100%&b=%E2%9C%93&c=%FF");
        assert_eq!(q.get("a").as_deref(), Some("100%"));
        assert_eq!(q.get("b").as_deref(), Some("✓"));
        assert_eq!(q.get("c").as_deref(), Some("\u{fffd}"));
    }
}
