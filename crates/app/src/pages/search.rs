//! `/search?q=`: every catalog that takes a `search` extra, across the installed add-ons.

use crate::route::use_query_map;
use leptos::prelude::*;

use super::discover::CatalogRow;
use crate::addons::store::use_addons;

/// The search page.
#[component]
pub(crate) fn Search() -> impl IntoView {
    let list = use_addons();
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default().trim().to_owned());
    view! {
        <main class="addon-page wide">
            {move || {
                let q = q();
                if q.is_empty() {
                    return view! { <h1>"Search"</h1><p class="addon-empty">"Type a title in the search box."</p> }.into_any();
                }
                let rows: Vec<_> = list.get().into_iter().flat_map(|a| {
                    let catalogs: Vec<_> = a.manifest.search_catalogs().cloned().collect();
                    catalogs.into_iter().map(move |c| (a.clone(), c))
                }).collect();
                view! {
                    <h1>{format!("Results for “{q}”")}</h1>
                    {if rows.is_empty() {
                        view! { <p class="addon-empty">"None of your add-ons can search."</p> }.into_any()
                    } else {
                        rows.into_iter().map(|(a, c)| view! { <CatalogRow addon=a catalog=c search=q.clone()/> }).collect_view().into_any()
                    }}
                }.into_any()
            }}
        </main>
    }
}
