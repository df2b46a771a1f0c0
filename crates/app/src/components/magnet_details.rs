//! The fields of a parsed magnet link.

use leptos::prelude::*;
use metainfo::Magnet;

use crate::format;

/// Every field of a magnet, labelled, with the canonical link Shoal would write for it.
#[component]
pub(crate) fn MagnetDetails(magnet: Magnet) -> impl IntoView {
    let title = magnet
        .display_name
        .clone()
        .unwrap_or_else(|| "Unnamed torrent".to_owned());
    let canonical = magnet.to_string();
    let length = magnet.exact_length.map(format::bytes_exact);
    let select_only = selected_files(&magnet);

    view! {
        <section class="result" data-testid="source-details" aria-live="polite">
            <h2 data-field="name">{title}</h2>
            <dl class="fields">
                <dt>"Info hash"</dt>
                <dd><code data-field="info-hash">{magnet.info_hash.to_hex()}</code></dd>
                <dt>"Base32"</dt>
                <dd><code data-field="info-hash-base32">{magnet.info_hash.to_base32()}</code></dd>
                <dt>"Trackers"</dt>
                <dd data-field="trackers">{url_list(&magnet.trackers, "none in the link")}</dd>
                <dt>"Web seeds"</dt>
                <dd data-field="webseeds">{url_list(&magnet.webseeds, "none")}</dd>
                {(!magnet.exact_sources.is_empty()).then(|| view! {
                    <dt>".torrent file"</dt>
                    <dd data-field="exact-sources">{url_list(&magnet.exact_sources, "none")}</dd>
                })}
                <dt>"Size"</dt>
                <dd data-field="length">{or_none(length, "not in the link")}</dd>
                <dt>"Files"</dt>
                <dd data-field="select-only">{or_none(select_only, "all")}</dd>
            </dl>
            <div class="magnet">
                <span class="none">"Canonical link: "</span>
                <code data-field="canonical">{canonical}</code>
            </div>
        </section>
    }
}

fn url_list(urls: &[String], empty: &'static str) -> AnyView {
    if urls.is_empty() {
        return view! { <span class="none">{empty}</span> }.into_any();
    }
    view! {
        <ul>
            {urls.iter().map(|url| view! { <li><code>{url.clone()}</code></li> }).collect_view()}
        </ul>
    }
    .into_any()
}

fn or_none(value: Option<String>, empty: &'static str) -> AnyView {
    match value {
        Some(text) => text.into_any(),
        None => view! { <span class="none">{empty}</span> }.into_any(),
    }
}

/// The `so=` selection as people write it ("0, 2, 4–6"), or `None` when every file is wanted.
fn selected_files(magnet: &Magnet) -> Option<String> {
    if magnet.select_only.is_empty() {
        return None;
    }
    let parts: Vec<String> = magnet
        .select_only
        .iter()
        .map(|range| {
            if range.start() == range.end() {
                range.start().to_string()
            } else {
                format!("{}–{}", range.start(), range.end())
            }
        })
        .collect();
    Some(format!("only {}", parts.join(", ")))
}
