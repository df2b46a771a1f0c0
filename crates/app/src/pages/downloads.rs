//! `/downloads`: what the download store keeps — every item with its title, stored / total
//! size, % complete, when it was last watched and how much of it was seeded to others; delete
//! one, clear all, the total against the limit, whether the browser keeps the store
//! persistently, and the store's settings (size limit, expiry).

use leptos::prelude::*;

use crate::{
    cache::{wall_clock_ms, Opened},
    format,
    player::settings::Settings,
    tab::use_tab,
};

/// The Downloads page.
#[component]
pub(crate) fn Downloads() -> impl IntoView {
    let tab = use_tab();
    let cache = tab.with_value(|t| t.cache.clone());
    // Bumped after every change so the list is read again.
    let version = RwSignal::new(0u32);
    let opened = LocalResource::new({
        let cache = cache.clone();
        move || {
            let cache = cache.clone();
            async move { cache.settled().await }
        }
    });
    let error = RwSignal::new(None::<String>);
    let delete = move |id: Option<String>| {
        let Some(store) = tab.with_value(|t| t.cache.store()) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let result = match id {
                Some(id) => store.delete(&id).await,
                None => store.clear().await,
            };
            error.set(result.err().map(|e| e.to_string()));
            version.update(|v| *v += 1);
        });
    };

    view! {
        <main class="addon-page downloads" data-testid="downloads">
            <h1>"Downloads"</h1>
            <p class="addon-lead">"What you watched stays in this browser: it plays again without the network and keeps being shared with other viewers."</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || {
                let _ = version.get();
                match opened.get() {
                    None | Some(Opened::Pending) => view! { <p class="addon-loading">"Opening the download store…"</p> }.into_any(),
                    Some(Opened::Failed(why)) => view! {
                        <p class="error" data-testid="store-unavailable">{format!("Nothing is kept between visits: {why}")}</p>
                    }.into_any(),
                    Some(Opened::Ready(store)) => listing(&store, delete).into_any(),
                }
            }}
            <StoreSettingsForm/>
        </main>
    }
}

/// The total, the persistence answer, and one row per item.
fn listing(
    store: &runtime::Store,
    delete: impl Fn(Option<String>) + Copy + 'static,
) -> impl IntoView {
    let figures = store.figures();
    let items: Vec<runtime::Item> = store
        .items()
        .into_iter()
        .filter(|i| i.stored_bytes > 0)
        .collect();
    let persisted = match figures.persisted {
        Some(true) => "The browser keeps this store until you delete it (persistent storage granted).",
        Some(false) => "The browser may clear this store when it runs short of space (persistent storage not granted).",
        None => "The browser did not say whether it keeps this store.",
    };
    let share = if figures.store_limit_bytes > 0 {
        figures.store_bytes as f64 * 100.0 / figures.store_limit_bytes as f64
    } else {
        0.0
    };
    let now = wall_clock_ms();
    let empty = items.is_empty();
    view! {
        <section class="store-total" data-testid="store-total">
            <p>
                <strong data-testid="store-used">{format::bytes(figures.store_bytes)}</strong>
                " of "
                <span data-testid="store-limit">{format::bytes(figures.store_limit_bytes)}</span>
                {format!(" used ({share:.0} %)")}
            </p>
            <meter min="0" max="100" value=share.to_string()></meter>
            <p class="hint" data-testid="store-persisted">{persisted}</p>
            {figures.notice.map(|n| view! { <p class="notice" data-notice="store">{n}</p> })}
        </section>
        {if empty {
            view! { <p class="addon-empty" data-testid="downloads-empty">"Nothing is stored yet. Play a torrent and it is kept here."</p> }.into_any()
        } else {
            view! {
                <div class="addon-actions">
                    <button class="danger" data-testid="clear-all" on:click=move |_| delete(None)>"Clear all"</button>
                </div>
                <ol class="addon-list" data-testid="download-list">
                    {items.into_iter().map(|item| {
                        let id = item.id.clone();
                        let kind = match item.kind {
                            runtime::ItemKind::Torrent => "Torrent".to_owned(),
                            runtime::ItemKind::HlsStream => match item.segments {
                                1 => "HLS stream · 1 segment".to_owned(),
                                n => format!("HLS stream · {n} segments"),
                            },
                            _ => "HLS segment".to_owned(),
                        };
                        // A torrent plays again from here by its info hash alone: the store
                        // keeps its info dict, so this works offline too. A stream plays its
                        // playlist again, its stored segments from the store.
                        let play = match item.kind {
                            runtime::ItemKind::Torrent => {
                                let magnet = format!("magnet:?xt=urn:btih:{}&dn={}", item.id, crate::addons::encode(&item.title));
                                Some(format!("/play?src={}", crate::addons::encode(&magnet)))
                            }
                            runtime::ItemKind::HlsStream => Some(format!("/watch?hls={}", crate::addons::encode(&item.id))),
                            _ => None,
                        };
                        view! {
                            <li class="addon-item download" data-testid="download" data-info-hash=item.id.clone() data-kind=format!("{:?}", item.kind) data-segments=item.segments>
                                <div class="addon-title"><h3>{item.title.clone()}</h3><span class="addon-version">{kind}</span></div>
                                <dl class="download-figures">
                                    <div><dt>"Stored"</dt><dd data-field="stored">{format!("{} / {}", format::bytes(item.stored_bytes), format::bytes(item.total_bytes))}</dd></div>
                                    <div><dt>"Complete"</dt><dd data-field="percent">{format!("{:.0} %", item.percent())}</dd></div>
                                    <div><dt>"Last watched"</dt><dd data-field="last-used">{ago(now - item.last_used_ms)}</dd></div>
                                    <div><dt>"Seeded"</dt><dd data-field="seeded">{format::bytes(item.seeded_bytes)}</dd></div>
                                </dl>
                                <code class="addon-url">{item.id.clone()}</code>
                                <div class="addon-actions">
                                    {play.map(|href| view! { <a class="stream-play" data-testid="download-play" href=href>"Play"</a> })}
                                    <button class="danger" data-testid="delete" on:click=move |_| delete(Some(id.clone()))>"Delete"</button>
                                </div>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            }.into_any()
        }}
    }
}

/// "just now", "5 min ago", "3 h ago", "2 days ago".
fn ago(ms: f64) -> String {
    let min = (ms / 60_000.0).max(0.0);
    if min < 1.0 {
        "just now".to_owned()
    } else if min < 60.0 {
        format!("{min:.0} min ago")
    } else if min < 48.0 * 60.0 {
        format!("{:.0} h ago", min / 60.0)
    } else {
        format!("{:.0} days ago", min / 1440.0)
    }
}

/// Size limit and expiry; saving reloads the tab (the store opens with them).
#[component]
fn StoreSettingsForm() -> impl IntoView {
    let saved = Settings::load();
    let limit = RwSignal::new(saved.store_limit_mib.to_string());
    let days = RwSignal::new(saved.store_expiry_days.to_string());
    let error = RwSignal::new(None::<String>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(l), Ok(d)) = (
            limit.get_untracked().trim().parse::<u64>(),
            days.get_untracked().trim().parse::<u32>(),
        ) else {
            error.set(Some(
                "The limit (MiB) and the expiry (days) must be whole numbers.".to_owned(),
            ));
            return;
        };
        if l == 0 || d == 0 {
            error.set(Some(
                "The limit and the expiry must be at least 1.".to_owned(),
            ));
            return;
        }
        let mut s = Settings::load();
        s.store_limit_mib = l;
        s.store_expiry_days = d;
        match s.save() {
            Ok(()) => {
                if let Some(w) = web_sys::window() {
                    let _ = w.location().reload();
                }
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <form class="settings store-settings" data-testid="store-settings" on:submit=save>
            <h2>"Store settings"</h2>
            <label>"Size limit (MiB) "
                <input type="number" min="1" name="limit" prop:value=move || limit.get() on:input=move |ev| limit.set(event_target_value(&ev))/>
            </label>
            <label>"Forget items unused for (days) "
                <input type="number" min="1" name="expiry" prop:value=move || days.get() on:input=move |ev| days.set(event_target_value(&ev))/>
            </label>
            <button type="submit">"Save and reload"</button>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </form>
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::ago;

    #[test]
    fn ages_read_as_words() {
        assert_eq!(ago(10_000.0), "just now");
        assert_eq!(ago(5.0 * 60_000.0), "5 min ago");
        assert_eq!(ago(3.0 * 3_600_000.0), "3 h ago");
        assert_eq!(ago(3.0 * 86_400_000.0), "3 days ago");
    }
}
