//! The navigation bar every page shares: Home, Discover, Live, Downloads, Add-ons, Settings and
//! a search box. Plain links and a form, so touch, mouse, Tab and the TV remote (see
//! [`super::remote`]) all reach them; the current page is marked with `aria-current`.

use crate::route::use_location;
use leptos::prelude::*;

use super::pwa::Pwa;
use crate::addons::encode;

/// The pages the bar links to, in order: (path, label).
const PAGES: [(&str, &str); 6] = [
    ("/", "Home"),
    ("/discover", "Discover"),
    ("/live", "Live"),
    ("/downloads", "Downloads"),
    ("/addons", "Add-ons"),
    ("/settings", "Settings"),
];

/// Whether the link to `page` is the current page (or a page under it, such as `/live/NAME`).
fn is_current(page: &str, path: &str) -> bool {
    if page == "/" {
        path == "/"
    } else {
        path == page || path.starts_with(&format!("{page}/"))
    }
}

/// The bar.
#[component]
pub(crate) fn AppNav() -> impl IntoView {
    let location = use_location();
    let pwa = expect_context::<Pwa>();
    // On /search the box shows the query that is being searched.
    let text = RwSignal::new(String::new());
    Effect::new(move |_| {
        if location.pathname.get() == "/search" {
            let q = location.query.with(|q| q.get("q").unwrap_or_default());
            text.set(q);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = text.get_untracked();
        if !q.trim().is_empty() {
            location.navigate(&format!("/search?q={}", encode(q.trim())));
        }
    };
    view! {
        <nav class="app-nav" aria-label="Shoal" data-testid="app-nav">
            <a class="app-nav-brand" href="/" aria-label="Shoal home"><img src="/favicon.svg" alt=""/><span>"Shoal"</span></a>
            <ul class="app-nav-links">
                {PAGES.iter().map(|&(page, label)| view! {
                    <li><a href=page data-nav=label
                        aria-current=move || is_current(page, &location.pathname.get()).then_some("page")
                    >{label}</a></li>
                }).collect_view()}
            </ul>
            <Show when=move || pwa.can_install.get()>
                <button type="button" class="app-nav-install" data-testid="install" on:click=move |_| pwa.install()>"Install app"</button>
            </Show>
            <form class="app-nav-search" role="search" on:submit=submit>
                <input
                    type="search"
                    name="q"
                    aria-label="Search add-ons"
                    placeholder="Search movies and series"
                    prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev))
                />
            </form>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::is_current;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_page_and_the_pages_under_it_are_current() {
        assert!(is_current("/", "/"));
        assert!(!is_current("/", "/discover"));
        assert!(is_current("/live", "/live/news"));
        assert!(!is_current("/live", "/liveliness"));
        assert!(is_current("/settings", "/settings"));
    }
}
