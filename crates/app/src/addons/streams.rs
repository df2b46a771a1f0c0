//! Streams for one video from every stream add-on, each add-on in its own section.

use addon::{parse_streams, ResourceRequest, Stream, StreamKind, StreamSource};
use leptos::prelude::*;

use super::encode;
use super::store::{use_addons, InstalledAddon};
use crate::api::{self, ApiError};
use crate::components::error_notice::ErrorNotice;
use crate::format;

/// Every installed add-on that serves streams for (`kind`, `video_id`), queried in parallel.
#[component]
pub(crate) fn StreamList(kind: String, video_id: String) -> impl IntoView {
    let list = use_addons();
    // Tracked: the companion's add-on may be installed while the page is open.
    move || {
        let serving: Vec<InstalledAddon> = list.with(|l| {
            l.iter()
                .filter(|a| a.manifest.serves("stream", &kind, &video_id))
                .cloned()
                .collect()
        });
        stream_groups(serving, &kind, &video_id)
    }
}

fn stream_groups(serving: Vec<InstalledAddon>, kind: &str, video_id: &str) -> AnyView {
    if serving.is_empty() {
        return view! {
            <p class="addon-empty" data-testid="no-stream-addons">
                "None of your add-ons offers streams for this. Install one on the "
                <a href="/addons">"Add-ons"</a>" page."
            </p>
        }
        .into_any();
    }
    view! {
        <div class="stream-groups" data-testid="streams">
            {serving
                .into_iter()
                .map(|a| view! { <AddonStreams addon=a kind=kind.to_owned() video_id=video_id.to_owned()/> })
                .collect_view()}
        </div>
    }
    .into_any()
}

#[component]
fn AddonStreams(addon: InstalledAddon, kind: String, video_id: String) -> impl IntoView {
    let name = addon.manifest.name.clone();
    let streams = LocalResource::new(move || {
        let addon = addon.clone();
        let request = ResourceRequest::new("stream", &kind, &video_id);
        async move {
            let transport = addon.transport().ok_or(ApiError::BadAddress)?;
            api::addons::resource(&transport, &request, parse_streams).await
        }
    });
    view! {
        <section class="stream-group" data-testid="stream-group" data-addon=name.clone()>
            <h3>{name.clone()}</h3>
            {move || match streams.get() {
                None => view! { <p class="addon-loading">"Asking the add-on…"</p> }.into_any(),
                Some(Err(error)) => view! {
                    <ErrorNotice testid="addon-error" compact=true title=error.sentence()/>
                }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="addon-empty">"This add-on has no streams for it."</p>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="stream-list">{list.into_iter().map(|s| view! { <StreamRow stream=s/> }).collect_view()}</ul>
                }.into_any(),
            }}
        </section>
    }
}

/// Where the play button of a stream goes, and whether it leaves the app.
fn play_target(stream: &Stream) -> Option<(String, bool)> {
    match &stream.source {
        StreamSource::Torrent { file_idx, .. } => {
            let magnet = stream.magnet()?.to_uri();
            let file = file_idx.map(|i| format!("&file={i}")).unwrap_or_default();
            Some((format!("/play?src={}{file}", encode(&magnet)), false))
        }
        StreamSource::Url(url) => Some((format!("/watch?url={}", encode(url)), false)),
        StreamSource::YouTube(id) => Some((
            format!("https://www.youtube.com/watch?v={}", encode(id)),
            true,
        )),
        StreamSource::External(url) => Some((url.clone(), true)),
        StreamSource::Unsupported(_) => None,
    }
}

fn kind_badge(stream: &Stream) -> (&'static str, String) {
    match (stream.kind(), &stream.source) {
        (StreamKind::Torrent, _) => ("torrent", "Torrent".into()),
        (StreamKind::Http, _) => ("http", "HTTP".into()),
        (StreamKind::Hls, _) => ("hls", "HLS".into()),
        (StreamKind::YouTube, _) => ("external", "YouTube".into()),
        (StreamKind::External, _) => ("external", "Opens outside Shoal".into()),
        (StreamKind::Unsupported, StreamSource::Unsupported(what)) => {
            ("unsupported", format!("{what}: not playable"))
        }
        (StreamKind::Unsupported, _) => ("unsupported", "Not playable".into()),
    }
}

#[component]
fn StreamRow(stream: Stream) -> impl IntoView {
    let (badge_class, badge_text) = kind_badge(&stream);
    let quality = stream.quality();
    let web_ready = stream.web_ready();
    let title = stream.name.clone().unwrap_or_else(|| "Stream".into());
    let description = stream.description.clone();
    let target = play_target(&stream);
    view! {
        <li class="stream-row" data-testid="stream" data-kind=badge_class>
            <div class="stream-text">
                <strong class="stream-name">{title}</strong>
                {description.map(|d| view! { <span class="stream-description">{d}</span> })}
                <div class="badges">
                    <span class=format!("badge badge-{badge_class}") data-testid="badge">{badge_text}</span>
                    {(!web_ready).then(|| view! {
                        <span class="badge badge-warn" data-testid="badge" title="The browser may not be able to play this format">"Not web-ready"</span>
                    })}
                    {quality.resolution.map(|r| view! { <span class="badge" data-testid="badge">{r}</span> })}
                    {quality.size_bytes.map(|b| view! { <span class="badge" data-testid="badge">{format::bytes(b)}</span> })}
                </div>
            </div>
            {match target {
                Some((href, true)) => view! {
                    <a class="stream-play external" href=href target="_blank" rel="noopener noreferrer">"Open ↗"</a>
                }.into_any(),
                Some((href, false)) => view! { <a class="stream-play" href=href>"Play"</a> }.into_any(),
                None => ().into_any(),
            }}
        </li>
    }
}
