//! `/discover`: one row per catalog of every installed add-on, paged with `skip`, with a genre
//! filter where the catalog offers one.

use addon::{parse_catalog, skip_for_page, ManifestCatalog, ResourceRequest, CATALOG_PAGE_SIZE};
use leptos::prelude::*;

use crate::addons::poster::PosterCard;
use crate::addons::store::{use_addons, InstalledAddon};
use crate::api::{self, ApiError};
use crate::components::error_notice::ErrorNotice;

/// The discover page.
#[component]
pub(crate) fn Discover() -> impl IntoView {
    let list = use_addons();
    // Tracked: the companion's add-on may be installed while the page is open.
    let rows = move || -> Vec<(InstalledAddon, ManifestCatalog)> {
        list.get()
            .into_iter()
            .flat_map(|a| {
                let catalogs: Vec<ManifestCatalog> =
                    a.manifest.browsable_catalogs().cloned().collect();
                catalogs.into_iter().map(move |c| (a.clone(), c))
            })
            .collect()
    };
    view! {
        <main class="addon-page wide">
            <h1>"Discover"</h1>
            {move || {
                let rows = rows();
                if rows.is_empty() {
                    view! {
                        <p class="addon-empty">"None of your add-ons has a catalog. Install one on the "<a href="/addons">"Add-ons"</a>" page."</p>
                    }.into_any()
                } else {
                    rows.into_iter().map(|(a, c)| view! { <CatalogRow addon=a catalog=c/> }).collect_view().into_any()
                }
            }}
        </main>
    }
}

/// One catalog: its items as a poster row, with paging and a genre filter.
#[component]
pub(crate) fn CatalogRow(
    addon: InstalledAddon,
    catalog: ManifestCatalog,
    #[prop(optional)] search: Option<String>,
) -> impl IntoView {
    let page = RwSignal::new(0u32);
    let genre = RwSignal::new(String::new());
    let pages = catalog.extra_named("skip").is_some();
    let genres = catalog.genres().to_vec();
    let heading = format!("{} — {}", catalog.title(), addon.manifest.name);
    let kind = catalog.kind.clone();
    let addon_name = addon.manifest.name.clone();
    let items = LocalResource::new(move || {
        let (addon, catalog, search) = (addon.clone(), catalog.clone(), search.clone());
        let skip = if page.get() > 0 {
            skip_for_page(page.get())
        } else {
            String::new()
        };
        let genre = genre.get();
        async move {
            let transport = addon.transport().ok_or(ApiError::BadAddress)?;
            let search = search.unwrap_or_default();
            let extra = [
                ("search", search.as_str()),
                ("genre", genre.as_str()),
                ("skip", skip.as_str()),
            ];
            let request = ResourceRequest::catalog(&catalog, &extra)?;
            api::addons::resource(&transport, &request, parse_catalog).await
        }
    });
    let full_page = move || {
        items
            .get()
            .and_then(Result::ok)
            .is_some_and(|l| l.len() >= CATALOG_PAGE_SIZE)
    };
    view! {
        <section class="catalog-row" data-testid="catalog" data-kind=kind data-addon=addon_name>
            <header class="catalog-head">
                <h2>{heading}</h2>
                {(!genres.is_empty()).then(|| view! {
                    <select aria-label="Genre" data-testid="genre" on:change=move |ev| {
                        genre.set(event_target_value(&ev));
                        page.set(0);
                    }>
                        <option value="">"All genres"</option>
                        {genres.iter().map(|g| view! { <option value=g.clone()>{g.clone()}</option> }).collect_view()}
                    </select>
                })}
                {pages.then(|| view! {
                    <div class="pager">
                        <button disabled=move || page.get() == 0 on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"‹ Previous"</button>
                        <span class="page-number">{move || format!("Page {}", page.get() + 1)}</span>
                        <button disabled=move || !full_page() on:click=move |_| page.update(|p| *p += 1)>"Next ›"</button>
                    </div>
                })}
            </header>
            {move || match items.get() {
                None => view! { <p class="addon-loading">"Loading…"</p> }.into_any(),
                Some(Err(error)) => view! {
                    <ErrorNotice testid="addon-error" compact=true title=error.sentence()/>
                }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <p class="addon-empty">"Nothing here."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <div class="poster-row">{list.into_iter().map(|m| view! { <PosterCard meta=m/> }).collect_view()}</div>
                }.into_any(),
            }}
        </section>
    }
}
