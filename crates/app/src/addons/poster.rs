//! A poster card for a catalog item.

use addon::{MetaPreview, PosterShape};
use leptos::prelude::*;

use super::encode;

/// The item's poster (loaded lazily) and name, linking to its detail page.
#[component]
pub(crate) fn PosterCard(meta: MetaPreview) -> impl IntoView {
    let href = format!("/detail/{}/{}", encode(&meta.kind), encode(&meta.id));
    let shape = match meta.poster_shape {
        PosterShape::Poster => "poster-card",
        PosterShape::Square => "poster-card square",
        PosterShape::Landscape => "poster-card landscape",
    };
    let initial = meta.name.chars().next().unwrap_or('?').to_string();
    view! {
        <a class=shape href=href data-testid="poster" title=meta.name.clone()>
            <div class="poster-image">
                {match meta.poster.clone() {
                    Some(src) => view! { <img src=src alt="" loading="lazy"/> }.into_any(),
                    None => view! { <span class="poster-initial">{initial}</span> }.into_any(),
                }}
            </div>
            <span class="poster-name">{meta.name.clone()}</span>
            {meta.release_info.clone().map(|year| view! { <span class="poster-year">{year}</span> })}
        </a>
    }
}
