//! The 10-foot layout: large type, posters in rows and a large focus ring for a TV across the
//! room. Chosen automatically for TV browsers (by their user agent) and by a setting kept in
//! this browser; applied as the `tv` class on `<html>` so the stylesheet does the rest.

use leptos::prelude::*;

/// Where the choice is kept (localStorage).
const KEY: &str = "shoal.layout";

/// The viewer's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// TV layout on TV browsers, the usual one elsewhere.
    Auto,
    /// Always the 10-foot layout.
    Tv,
    /// Never the 10-foot layout.
    Desktop,
}

impl Layout {
    /// The setting's value as stored and as the `<select>` names it.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Tv => "tv",
            Self::Desktop => "desktop",
        }
    }

    /// The stored value read back; anything unknown is [`Layout::Auto`].
    pub(crate) fn from_key(key: &str) -> Self {
        match key {
            "tv" => Self::Tv,
            "desktop" => Self::Desktop,
            _ => Self::Auto,
        }
    }

    /// Whether this choice shows the TV layout in a browser with this user agent.
    pub(crate) fn is_tv(self, user_agent: &str) -> bool {
        match self {
            Self::Tv => true,
            Self::Desktop => false,
            Self::Auto => is_tv_browser(user_agent),
        }
    }
}

/// TV browsers name themselves in the user agent: LG webOS, Samsung Tizen, HbbTV sets, Android
/// TV and Fire TV, Sony Bravia, Philips/Vestel/Hisense (VIDAA), Chromecast.
pub(crate) fn is_tv_browser(user_agent: &str) -> bool {
    const MARKS: [&str; 14] = [
        "smart-tv",
        "smarttv",
        "web0s",
        "webos",
        "tizen",
        "hbbtv",
        "netcast",
        "bravia",
        "android tv",
        "aft",
        "crkey",
        "vidaa",
        "googletv",
        "appletv",
    ];
    let ua = user_agent.to_ascii_lowercase();
    // "aft" alone is too short to search for in any text: Fire TV agents say "; AFT".
    MARKS.iter().any(|m| {
        if *m == "aft" {
            ua.contains("; aft")
        } else {
            ua.contains(m)
        }
    })
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The saved choice.
pub(crate) fn saved() -> Layout {
    storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .map_or(Layout::Auto, |k| Layout::from_key(&k))
}

/// Saves the choice and applies it at once.
pub(crate) fn save(layout: Layout) {
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, layout.key());
    }
    apply(layout);
}

/// Sets or clears the `tv` class on `<html>` for this choice.
pub(crate) fn apply(layout: Layout) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let agent = window.navigator().user_agent().unwrap_or_default();
    if let Some(root) = window.document().and_then(|d| d.document_element()) {
        let _ = root
            .class_list()
            .toggle_with_force("tv", layout.is_tv(&agent));
    }
}

/// The layout picker for the settings page.
#[component]
pub(crate) fn LayoutSetting() -> impl IntoView {
    let current = RwSignal::new(saved());
    view! {
        <label for="layout">"Layout"</label>
        <select id="layout" data-testid="layout"
            on:change=move |ev| {
                let choice = Layout::from_key(&event_target_value(&ev));
                current.set(choice);
                save(choice);
            }
        >
            {[(Layout::Auto, "Automatic (TV layout on TV browsers)"), (Layout::Tv, "TV: large type, for a remote"), (Layout::Desktop, "Computer and phone")]
                .into_iter()
                .map(|(l, label)| view! { <option value=l.key() selected=move || current.get() == l>{label}</option> })
                .collect_view()}
        </select>
    }
}

#[cfg(test)]
mod tests {
    use super::{is_tv_browser, Layout};
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn tv_agents_are_recognised() {
        let webos = "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 WebAppManager";
        let tizen = "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.5) AppleWebKit/537.36 (KHTML, like Gecko) 85.0.4183.93/6.5 TV Safari/537.36";
        let fire = "Mozilla/5.0 (Linux; Android 9; AFTMM Build/PS7233) AppleWebKit/537.36 Chrome/88.0.4324.152 Mobile Safari/537.36";
        let desktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert!(is_tv_browser(webos));
        assert!(is_tv_browser(tizen));
        assert!(is_tv_browser(fire));
        assert!(!is_tv_browser(desktop));
        assert!(!is_tv_browser(firefox));
        assert!(Layout::Tv.is_tv(desktop));
        assert!(!Layout::Desktop.is_tv(webos));
        assert_eq!(Layout::from_key("nonsense"), Layout::Auto);
        for l in [Layout::Auto, Layout::Tv, Layout::Desktop] {
            assert_eq!(Layout::from_key(l.key()), l);
        }
    }
}
