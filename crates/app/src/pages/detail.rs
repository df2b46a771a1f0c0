//! `/detail/<type>/<id>`: an item's meta (from the first add-on that knows it), its seasons and
//! episodes for series, and the streams for the chosen video. `/streams/<type>/<id>` shows
//! only the streams of one video.

use addon::{parse_meta, Meta, ResourceRequest};
use leptos::prelude::*;

use crate::addons::decode_param;
use crate::addons::store::use_addons;
use crate::addons::streams::StreamList;
use crate::api::{self, ApiError};
use crate::components::error_notice::ErrorNotice;

/// What the meta add-ons said: the meta, or why each add-on that was asked failed.
#[derive(Clone)]
enum MetaAnswer {
    Found(Box<Meta>),
    NoMetaAddon,
    Failed(Vec<AddonFailure>),
}

/// One add-on that could not describe the item.
#[derive(Clone)]
struct AddonFailure {
    /// The add-on's name.
    addon: String,
    error: ApiError,
}

/// The detail page.
#[component]
pub(crate) fn Detail(
    /// The path's `<type>`, still percent-encoded.
    kind: String,
    /// The path's `<id>`, still percent-encoded.
    id: String,
) -> impl IntoView {
    let (kind, id) = (decode_param(&kind), decode_param(&id));
    let list = use_addons();
    let request = ResourceRequest::new("meta", &kind, &id);
    let (meta_kind, meta_id) = (kind.clone(), id.clone());
    let answer = LocalResource::new(move || {
        // Tracked: the companion's add-on may be installed while the page is open.
        let addons: Vec<_> = list.with(|l| {
            l.iter()
                .filter(|a| a.manifest.serves("meta", &meta_kind, &meta_id))
                .cloned()
                .collect()
        });
        let request = request.clone();
        async move {
            if addons.is_empty() {
                return MetaAnswer::NoMetaAddon;
            }
            let mut failures = Vec::new();
            // In the user's order: the first add-on that knows the item describes it.
            for a in addons {
                let Some(transport) = a.transport() else {
                    continue;
                };
                match api::addons::resource(&transport, &request, parse_meta).await {
                    Ok(meta) => return MetaAnswer::Found(Box::new(meta)),
                    Err(error) => failures.push(AddonFailure {
                        addon: a.manifest.name.clone(),
                        error,
                    }),
                }
            }
            MetaAnswer::Failed(failures)
        }
    });
    view! {
        <main class="addon-page wide">
            {move || match answer.get() {
                None => view! { <p class="addon-loading">"Loading…"</p> }.into_any(),
                Some(MetaAnswer::Found(meta)) => view! { <MetaView meta=*meta/> }.into_any(),
                Some(MetaAnswer::NoMetaAddon) => view! {
                    <h1>{id.clone()}</h1>
                    <p class="addon-empty">"None of your add-ons describes this item; here are its streams."</p>
                    <h2>"Streams"</h2>
                    <StreamList kind=kind.clone() video_id=id.clone()/>
                }.into_any(),
                Some(MetaAnswer::Failed(failures)) => view! {
                    <h1>{id.clone()}</h1>
                    {failures.into_iter().map(|f| view! {
                        <ErrorNotice testid="addon-error" compact=true title=format!("{} could not describe it.", f.addon) detail=f.error.sentence()/>
                    }).collect_view()}
                    <h2>"Streams"</h2>
                    <StreamList kind=kind.clone() video_id=id.clone()/>
                }.into_any(),
            }}
        </main>
    }
}

/// A season number (`None` for videos without one) and its episodes as (video id, label).
type Season = (Option<u64>, Vec<(String, String)>);

fn season_label(season: Option<u64>) -> String {
    match season {
        Some(0) => "Specials".to_owned(),
        Some(n) => format!("Season {n}"),
        None => "Videos".to_owned(),
    }
}

#[component]
fn MetaView(meta: Meta) -> impl IntoView {
    let preview = meta.preview.clone();
    let seasons: Vec<Season> = meta
        .seasons()
        .into_iter()
        .map(|(s, videos)| {
            (
                s,
                videos
                    .into_iter()
                    .map(|v| (v.id.clone(), v.label()))
                    .collect(),
            )
        })
        .collect();
    let single = meta.single_video_id().map(str::to_owned);
    let kind = preview.kind.clone();
    let season = RwSignal::new(seasons.first().and_then(|(s, _)| *s));
    let video = RwSignal::new(single.clone());
    let facts: Vec<String> = [
        preview.release_info.clone(),
        preview.runtime.clone(),
        preview.imdb_rating.clone().map(|r| format!("IMDb {r}")),
    ]
    .into_iter()
    .flatten()
    .chain((!preview.genres.is_empty()).then(|| preview.genres.join(", ")))
    .collect();
    let tabs: Vec<Option<u64>> = seasons.iter().map(|(s, _)| *s).collect();
    view! {
        <section class="meta-hero" data-testid="meta">
            {preview.poster.clone().map(|src| view! { <img class="meta-poster" src=src alt="" loading="lazy"/> })}
            <div class="meta-text">
                <h1 data-field="meta-name">{preview.name.clone()}</h1>
                <p class="meta-facts">{facts.join(" · ")}</p>
                {preview.description.clone().map(|d| view! { <p class="meta-description">{d}</p> })}
                {(!preview.cast.is_empty()).then(|| view! { <p class="meta-cast">"With "{preview.cast.join(", ")}</p> })}
            </div>
        </section>
        {single.is_none().then(move || view! {
            <section class="episodes" data-testid="episodes">
                <div class="season-tabs" role="tablist">
                    {tabs.into_iter().map(|s| view! {
                        <button role="tab" class:active=move || season.get() == s
                            aria-selected=move || (season.get() == s).to_string()
                            on:click=move |_| {
                                // The old season's episode and its streams go with it.
                                if season.get_untracked() != s {
                                    season.set(s);
                                    video.set(None);
                                }
                            }>{season_label(s)}</button>
                    }).collect_view()}
                </div>
                <div class="episode-list">
                {move || {
                    let current = season.get();
                    seasons.iter().filter(|(s, _)| *s == current).flat_map(|(_, eps)| eps.clone()).map(|(id, label)| {
                        let chosen = id.clone();
                        view! {
                            <button class="episode" data-testid="episode"
                                class:active=move || video.get().as_deref() == Some(id.as_str())
                                on:click=move |_| video.set(Some(chosen.clone()))>{label}</button>
                        }
                    }).collect_view()
                }}
                </div>
            </section>
        })}
        <h2 class="streams-heading">"Streams"</h2>
        {move || match video.get() {
            Some(id) => view! { <StreamList kind=kind.clone() video_id=id/> }.into_any(),
            None => view! { <p class="addon-empty">"Pick an episode to see its streams."</p> }.into_any(),
        }}
    }
}

/// `/streams/<type>/<id>`: the streams of one video.
#[component]
pub(crate) fn Streams(
    /// The path's `<type>`, still percent-encoded.
    kind: String,
    /// The path's `<id>`, still percent-encoded.
    id: String,
) -> impl IntoView {
    let (kind, id) = (decode_param(&kind), decode_param(&id));
    view! {
        <main class="addon-page wide">
            <h1>"Streams"</h1>
            <p class="addon-lead"><code>{id.clone()}</code></p>
            <StreamList kind=kind video_id=id/>
        </main>
    }
}
