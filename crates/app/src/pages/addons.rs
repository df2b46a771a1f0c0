//! `/addons`: install an add-on by its manifest URL (preview, then confirm), reorder, remove.
//! `/addons?install=<manifest URL>` opens the preview directly.

use crate::route::use_query_map;
use addon::{Manifest, TransportUrl};
use leptos::prelude::*;

use crate::addons::store::{self, use_addons, InstalledAddon};
use crate::api::{self, ApiError};
use crate::components::error_notice::ErrorNotice;

#[derive(Clone)]
enum Preview {
    Idle,
    Loading,
    // Boxed: the manifest is large and the other states are tiny.
    Ready(Box<InstalledAddon>),
    Failed(ApiError),
}

/// The add-ons page.
#[component]
pub(crate) fn Addons() -> impl IntoView {
    let list = use_addons();
    let (url, set_url) = signal(String::new());
    let preview = RwSignal::new(Preview::Idle);

    let load_preview = move |text: String| {
        let transport = match TransportUrl::parse(&text) {
            Ok(t) => t,
            Err(e) => {
                preview.set(Preview::Failed(e.into()));
                return;
            }
        };
        preview.set(Preview::Loading);
        // Cancelled with the page, like the request inside it.
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            preview.set(match api::addons::manifest(&transport).await {
                Ok(manifest) => Preview::Ready(Box::new(InstalledAddon {
                    transport_url: transport.to_string(),
                    manifest,
                })),
                Err(error) => Preview::Failed(error),
            });
        });
    };

    // `?install=` comes from "install" links on add-on sites.
    if let Some(install) = use_query_map().with_untracked(|q| q.get("install")) {
        set_url.set(install.clone());
        load_preview(install);
    }

    view! {
        <main class="addon-page">
            <h1>"Add-ons"</h1>
            <p class="addon-lead">
                "Add-ons are small web services that list movies and series and say where to play them. "
                "Shoal asks each installed add-on directly from your browser."
            </p>
            <form class="addon-install" on:submit=move |ev| { ev.prevent_default(); load_preview(url.get_untracked()); }>
                <label for="addon-url">"Manifest URL"</label>
                <div class="source-row">
                    <input id="addon-url" type="text" autocomplete="off" spellcheck="false"
                        placeholder="https://example.com/manifest.json"
                        prop:value=move || url.get()
                        on:input=move |ev| set_url.set(event_target_value(&ev))/>
                    <button type="submit">"Preview"</button>
                </div>
            </form>
            {move || match preview.get() {
                Preview::Idle => ().into_any(),
                Preview::Loading => view! { <p class="addon-loading">"Fetching the manifest…"</p> }.into_any(),
                Preview::Failed(error) => view! {
                    <ErrorNotice testid="install-error" title="This add-on cannot be installed." detail=error.sentence()/>
                }.into_any(),
                Preview::Ready(addon) => {
                    let installed = list.with_untracked(|l| l.iter().any(|a| a.transport_url == addon.transport_url));
                    let confirm = (*addon).clone();
                    view! {
                        <section class="addon-preview" data-testid="addon-preview">
                            <ManifestSummary manifest=addon.manifest.clone()/>
                            <div class="addon-actions">
                                <button class="primary" on:click=move |_| {
                                    store::install(list, confirm.clone());
                                    preview.set(Preview::Idle);
                                    set_url.set(String::new());
                                }>{if installed { "Update" } else { "Install" }}</button>
                                <button on:click=move |_| preview.set(Preview::Idle)>"Cancel"</button>
                            </div>
                        </section>
                    }.into_any()
                }
            }}
            <h2>"Installed"</h2>
            {move || {
                let addons = list.get();
                if addons.is_empty() {
                    return view! { <p class="addon-empty">"No add-ons yet. Paste a manifest URL above."</p> }.into_any();
                }
                let count = addons.len();
                view! {
                    <ol class="addon-list" data-testid="installed">
                        {addons.into_iter().enumerate().map(|(i, a)| {
                            let url = a.transport_url.clone();
                            view! {
                                <li class="addon-item" data-testid="installed-addon">
                                    <ManifestSummary manifest=a.manifest.clone()/>
                                    <code class="addon-url">{a.transport_url.clone()}</code>
                                    <div class="addon-actions">
                                        <button disabled=i == 0 on:click=move |_| store::shift(list, i, true)>"Move up"</button>
                                        <button disabled=i + 1 == count on:click=move |_| store::shift(list, i, false)>"Move down"</button>
                                        <button class="danger" on:click=move |_| store::remove(list, &url)>"Remove"</button>
                                    </div>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </main>
    }
}

/// Name, version, description, types, resources and catalogs of a manifest.
#[component]
fn ManifestSummary(manifest: Manifest) -> impl IntoView {
    let resources = manifest
        .resources
        .iter()
        .map(|r| r.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let catalogs = manifest
        .catalogs
        .iter()
        .map(|c| format!("{} ({})", c.title(), c.kind))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <div class="addon-summary">
            <div class="addon-title">
                {manifest.logo.clone().map(|src| view! { <img src=src alt="" loading="lazy"/> })}
                <h3 data-field="addon-name">{manifest.name.clone()}</h3>
                {manifest.version.clone().map(|v| view! { <span class="addon-version">{format!("v{v}")}</span> })}
            </div>
            {manifest.description.clone().map(|d| view! { <p class="addon-description">{d}</p> })}
            <dl class="fields">
                <dt>"Types"</dt><dd data-field="types">{manifest.types.join(", ")}</dd>
                <dt>"Resources"</dt><dd data-field="resources">{resources}</dd>
                <dt>"Catalogs"</dt>
                <dd data-field="catalogs">{if catalogs.is_empty() { "none".to_owned() } else { catalogs }}</dd>
            </dl>
        </div>
    }
}
