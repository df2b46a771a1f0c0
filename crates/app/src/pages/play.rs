//! `/play?src=<magnet, info hash or .torrent URL>[&file=N]`: plays a torrent's video in a
//! `<video>` fed by the Service Worker bridge, with live stats and plain-language messages.

use std::cell::RefCell;

use leptos::{html, prelude::*, task::spawn_local};
use leptos_router::hooks::use_query_map;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::player::views::{NoticeList, SettingsPanel, StatsPanel};
use crate::player::{
    bridge,
    media::{self, Choice},
    panel::{self, Figures, Playing},
    settings::Settings,
};

/// A .torrent larger than this is refused before parsing (real ones are kilobytes; a few MiB
/// for huge multi-file torrents).
const MAX_TORRENT_BYTES: f64 = 16.0 * 1024.0 * 1024.0;

thread_local! {
    /// One runtime client per page, rebuilt when the settings change.
    static CLIENT: RefCell<Option<(runtime::ClientConfig, runtime::Client)>> = const { RefCell::new(None) };
}

/// The route: re-creates the player whenever the query changes.
#[component]
pub(crate) fn Play() -> impl IntoView {
    let query = use_query_map();
    view! {
        <main class="shell player-page">
            <nav class="crumbs"><a href="/">"← Shoal"</a></nav>
            {move || {
                let q = query.get();
                let src = q.get("src").unwrap_or_default();
                let file = q.get("file");
                view! { <Player src=src file=file/> }
            }}
            <SettingsPanel/>
        </main>
    }
}

/// What the player is doing, for the main area of the page.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Working; the sentence says on what.
    Busy(String),
    /// Cannot go on: a title, and what to do about it.
    Failed { title: String, detail: String },
    /// The file is chosen; the video element can load it.
    Ready {
        url: String,
        path: String,
        mime: String,
        supported: bool,
    },
}

/// What the `src` parameter names.
enum SourceArg {
    Magnet(metainfo::Magnet),
    Url(String),
}

fn parse_src(src: &str) -> Result<SourceArg, String> {
    let src = src.trim();
    if src.is_empty() {
        return Err("The link has no src= parameter: give a magnet link, an info hash or the address of a .torrent file.".to_owned());
    }
    if ["http://", "https://", "blob:"]
        .iter()
        .any(|p| src.starts_with(p))
    {
        return Ok(SourceArg::Url(src.to_owned()));
    }
    metainfo::parse_source(src)
        .map(SourceArg::Magnet)
        .map_err(|e| crate::format::sentence(&e.to_string()))
}

#[component]
fn Player(src: String, file: Option<String>) -> impl IntoView {
    let phase = RwSignal::new(Phase::Busy("Reading the link…".to_owned()));
    let figures = RwSignal::new(None::<Figures>);
    let video = NodeRef::<html::Video>::new();
    let info_hash = RwSignal::new(None::<String>);
    let opened_at = now_ms();
    let alive = StoredValue::new(true);
    panel::expose();

    let tick = set_interval_with_handle(
        move || figures.set(panel::figures()),
        std::time::Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        alive.set_value(false);
        if let Some(t) = tick {
            t.clear();
        }
        if let Some(hash) = info_hash.get_untracked() {
            bridge::withdraw(&hash);
        }
        panel::set_playing(None);
    });

    let asked_file = match file.as_deref().map(str::parse::<usize>) {
        None => Ok(None),
        Some(Ok(n)) => Ok(Some(n)),
        Some(Err(_)) => Err(()),
    };
    spawn_local(async move {
        let outcome = start(&src, asked_file, info_hash, phase, alive).await;
        if let Err((title, detail)) = outcome {
            if alive.get_value() {
                panel::update_playing(|p| p.state = "error".to_owned());
                phase.set(Phase::Failed { title, detail });
            }
        }
    });

    let on_loaded = move |_| {
        let ms = now_ms() - opened_at;
        panel::update_playing(|p| {
            p.time_to_first_frame_ms.get_or_insert(ms);
            p.state = "playing".to_owned();
        });
        figures.set(panel::figures());
        if let Some(v) = video.get_untracked() {
            start_playback(&v);
        }
    };
    let on_media_error = move |_| {
        let Some(v) = video.get_untracked() else {
            return;
        };
        let detail = v
            .error()
            .map(|e| e.message())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "the browser gave no reason".to_owned());
        panel::update_playing(|p| p.state = "error".to_owned());
        phase.set(Phase::Failed {
            title: "The video could not be played.".to_owned(),
            detail: format!(
                "The browser stopped decoding it ({detail}). The file may use a codec this browser lacks; try another browser, or another file of the torrent with &file=N."
            ),
        });
    };

    view! {
        <section class="player" data-testid="player">
            {move || match phase.get() {
                Phase::Busy(what) => view! {
                    <p class="player-status" data-testid="player-status" aria-live="polite">{what}</p>
                }.into_any(),
                Phase::Failed { title, detail } => view! {
                    <div class="error" role="alert" data-testid="player-error">
                        <strong>{title}</strong>
                        <span>{detail}</span>
                        <p><a href="/">"Open another link on the start page"</a></p>
                    </div>
                }.into_any(),
                Phase::Ready { url, path, mime, supported } => {
                    let forced = RwSignal::new(supported);
                    view! {
                        <h2 class="player-title" data-testid="player-title">{path.clone()}</h2>
                        <Show when=move || !forced.get()>
                            <div class="error" role="alert" data-testid="player-codec">
                                <strong>"This browser cannot play this kind of file."</strong>
                                <span>{format!("It says it does not support {mime} ({path}). Shoal has not started the download. Another browser may play it, or you can try anyway.")}</span>
                                <button type="button" on:click=move |_| forced.set(true)>"Try anyway"</button>
                            </div>
                        </Show>
                        <Show when=move || forced.get()>
                            <video
                                node_ref=video
                                data-testid="video"
                                controls=true
                                autoplay=true
                                playsinline=true
                                preload="auto"
                                src=url.clone()
                                on:loadeddata=on_loaded
                                on:error=on_media_error
                            ></video>
                        </Show>
                    }.into_any()
                }
            }}
            <NoticeList figures=figures/>
            // Nothing to count until a torrent is open (e.g. when the link is invalid).
            <Show when=move || figures.with(Option::is_some)>
                <StatsPanel figures=figures/>
            </Show>
        </section>
    }
}

/// Opens the source, waits for the file list, picks the file and checks the browser can play
/// it. The error is a (title, what to do) pair for the page.
async fn start(
    src: &str,
    asked_file: Result<Option<usize>, ()>,
    info_hash: RwSignal<Option<String>>,
    phase: RwSignal<Phase>,
    alive: StoredValue<bool>,
) -> Result<(), (String, String)> {
    let invalid = |detail: String| {
        (
            "That link is not something Shoal can play.".to_owned(),
            detail,
        )
    };
    let asked_file = asked_file.map_err(|()| {
        invalid("The file= parameter must be a file number, such as file=0.".to_owned())
    })?;
    let mut metadata_note = None;
    let source = match parse_src(src).map_err(invalid)? {
        SourceArg::Magnet(m) => {
            let (source, note) = with_exact_source(m, phase).await?;
            metadata_note = note;
            source
        }
        SourceArg::Url(url) => {
            phase.set(Phase::Busy("Downloading the .torrent file…".to_owned()));
            runtime::Source::Torrent(fetch_torrent(&url).await?)
        }
    };
    phase.set(Phase::Busy(
        "Starting the streaming service worker…".to_owned(),
    ));
    bridge::install().await.map_err(|e| {
        (
            "This browser cannot stream into the video player here.".to_owned(),
            e,
        )
    })?;
    if !alive.get_value() {
        return Ok(());
    }

    let client = client(&Settings::load());
    let torrent = match client.add(source.clone()) {
        Ok(t) => t,
        Err(runtime::AddError::Duplicate) => {
            let hash = source_hash(&source);
            client
                .torrents()
                .into_iter()
                .find(|t| Some(t.info_hash()) == hash)
                .ok_or_else(|| invalid("This torrent is already open and could not be found again; reload the page.".to_owned()))?
        }
        Err(e) => return Err(invalid(crate::format::sentence(&e.to_string()))),
    };
    let hash = torrent.info_hash();
    bridge::publish(&torrent);
    info_hash.set(Some(hash.clone()));
    panel::set_playing(Some(Playing {
        info_hash: hash.clone(),
        state: "metadata".to_owned(),
        ..Playing::default()
    }));

    phase.set(Phase::Busy(match metadata_note {
        Some(note) => format!("Asking peers for the torrent's file list… ({note})"),
        None => "Asking peers for the torrent's file list…".to_owned(),
    }));
    let info = torrent.metadata().await.map_err(|e| {
        (
            "The torrent stopped.".to_owned(),
            crate::format::sentence(&e.to_string()),
        )
    })?;
    if !alive.get_value() {
        return Ok(());
    }
    let index = match media::choose(&info.files, asked_file) {
        Choice::File(i) => i,
        Choice::NoSuchFile { asked, count } => {
            return Err(invalid(format!(
                "The link asks for file {asked}, but this torrent has {count} file{} (numbered from 0).",
                if count == 1 { "" } else { "s" }
            )))
        }
        Choice::NoMedia => {
            return Err((
                "This torrent has no video or audio file.".to_owned(),
                format!(
                    "Its {} file{} are not media Shoal can play. Add &file=N to the link to try a particular one.",
                    info.files.len(),
                    if info.files.len() == 1 { "" } else { "s" }
                ),
            ))
        }
    };
    let path = info.files[index].path.clone();
    let mime = media::media_type(&path).unwrap_or("application/octet-stream");
    panel::update_playing(|p| {
        p.file = Some(index);
        p.path = Some(path.clone());
        p.state = "loading".to_owned();
    });
    phase.set(Phase::Ready {
        url: format!("/stream/{hash}/{index}"),
        supported: media::browser_can_play(mime),
        path,
        mime: mime.to_owned(),
    });
    Ok(())
}

/// A magnet with `xs=` http(s) addresses (BEP 9's exact source): the first .torrent that
/// downloads is used with the magnet, so a magnet with only web seeds (no peer to ask for the
/// metadata) plays. A .torrent for another torrent is an error; when none downloads, the
/// magnet is used alone and the note says why.
async fn with_exact_source(
    magnet: metainfo::Magnet,
    phase: RwSignal<Phase>,
) -> Result<(runtime::Source, Option<String>), (String, String)> {
    let urls: Vec<String> = magnet
        .exact_sources
        .iter()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .cloned()
        .collect();
    let mut failure = None;
    for url in urls {
        phase.set(Phase::Busy(
            "Downloading the .torrent file the magnet link points to…".to_owned(),
        ));
        let bytes = match fetch_torrent(&url).await {
            Ok(bytes) => bytes,
            Err((_, detail)) => {
                failure = Some(detail);
                continue;
            }
        };
        match metainfo::Metainfo::from_bytes(&bytes) {
            Ok(meta) if meta.info_hash != magnet.info_hash => {
                return Err((
                    "The magnet link points to the .torrent file of another torrent.".to_owned(),
                    format!(
                        "{url} describes info hash {}, but the magnet link is for {}. Shoal did not use it; ask whoever shared the link for a corrected one.",
                        meta.info_hash.to_hex(),
                        magnet.info_hash.to_hex()
                    ),
                ))
            }
            Ok(_) => {
                let source = runtime::Source::MagnetWithTorrent {
                    magnet,
                    torrent: bytes,
                };
                return Ok((source, None));
            }
            Err(e) => {
                failure = Some(format!(
                    "{url} is not a .torrent file: {}",
                    crate::format::sentence(&e.to_string())
                ))
            }
        }
    }
    let note = failure
        .map(|why| format!("the .torrent file named in the magnet link was not usable: {why}"));
    Ok((runtime::Source::Magnet(magnet), note))
}

/// The info hash a source names, if it can be read without adding it.
fn source_hash(source: &runtime::Source) -> Option<String> {
    match source {
        runtime::Source::Magnet(m) => Some(m.info_hash.to_hex()),
        runtime::Source::MagnetWithTorrent { magnet, .. } => Some(magnet.info_hash.to_hex()),
        runtime::Source::Torrent(bytes) => metainfo::Metainfo::from_bytes(bytes)
            .ok()
            .map(|m| m.info_hash.to_hex()),
    }
}

/// The page's client for these settings (a new one when they changed since the last play).
fn client(settings: &Settings) -> runtime::Client {
    let cfg = settings.client_config();
    CLIENT.with(|c| {
        let mut slot = c.borrow_mut();
        match slot.as_ref() {
            Some((old, client)) if *old == cfg => client.clone(),
            _ => {
                let client = runtime::Client::new(cfg.clone());
                *slot = Some((cfg, client.clone()));
                client
            }
        }
    })
}

/// Downloads a .torrent file (http(s) or a picked file's blob: URL).
async fn fetch_torrent(url: &str) -> Result<Vec<u8>, (String, String)> {
    let failed = |detail: String| {
        (
            "The .torrent file could not be downloaded.".to_owned(),
            detail,
        )
    };
    let window =
        web_sys::window().ok_or_else(|| failed("There is no browser window.".to_owned()))?;
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|_| failed(format!("The request to {url} failed: the server is unreachable, or it does not allow other sites to read the file (CORS).")))?
        .dyn_into::<web_sys::Response>()
        .map_err(|_| failed("The browser returned no response.".to_owned()))?;
    if !response.ok() {
        return Err(failed(format!(
            "{url} answered HTTP {} {}.",
            response.status(),
            response.status_text()
        )));
    }
    let buffer = JsFuture::from(
        response
            .array_buffer()
            .map_err(|_| failed("The response body could not be read.".to_owned()))?,
    )
    .await
    .map_err(|_| failed("The download broke off.".to_owned()))?;
    let bytes = js_sys::Uint8Array::new(&buffer);
    if f64::from(bytes.length()) > MAX_TORRENT_BYTES {
        return Err((
            "That file is too large to be a .torrent.".to_owned(),
            format!(
                "It is {} bytes; Shoal reads .torrent files up to 16 MiB.",
                bytes.length()
            ),
        ));
    }
    Ok(bytes.to_vec())
}

/// Starts the video; if the browser blocks autoplay with sound, starts it muted instead.
fn start_playback(video: &web_sys::HtmlVideoElement) {
    if !video.paused() {
        return;
    }
    let Ok(promise) = video.play() else { return };
    let video = video.clone();
    spawn_local(async move {
        if JsFuture::from(promise).await.is_err() {
            video.set_muted(true);
            if let Ok(p) = video.play() {
                let _ = JsFuture::from(p).await;
            }
        }
    });
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}
