//! `/play?src=<magnet, info hash or .torrent URL>[&file=N]`: plays a torrent's video in a
//! `<video>` fed by the Service Worker bridge, with live stats and plain-language messages.

use crate::route::use_query_map;
use leptos::{html, prelude::*, task::spawn_local, task::spawn_local_scoped_with_cancellation};
use wasm_bindgen_futures::JsFuture;

use crate::components::error_notice::ErrorNotice;
use crate::player::views::{NoticeList, SettingsPanel, StatsPanel};
use crate::player::{
    failure::PlayError,
    gateway,
    media::{self, Choice},
    now_ms,
    panel::{self, Figures, Playing},
    settings::Settings,
    source,
};
use crate::tab::{use_tab, Tab};

/// The route: re-creates the player whenever the query changes.
#[component]
pub(crate) fn Play() -> impl IntoView {
    let query = use_query_map();
    view! {
        <main class="shell player-page">
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
    /// Cannot go on.
    Failed(PlayError),
    /// The file is chosen; the video element can load it.
    Ready {
        url: String,
        path: String,
        mime: String,
        supported: bool,
    },
    /// The browser cannot play the file: a streaming server converts it, as HLS at `url`.
    Converted { url: String, path: String },
}

/// How the player starts: the `/play` page autoplays with sound (muted if the browser insists);
/// an embed follows its `autoplay`, `muted` and `start` parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Start {
    /// Play as soon as the first frame is there.
    pub(crate) autoplay: bool,
    /// Start muted.
    pub(crate) muted: bool,
    /// Seconds into the video to start at.
    pub(crate) at: Option<f64>,
}

impl Default for Start {
    fn default() -> Self {
        Self {
            autoplay: true,
            muted: false,
            at: None,
        }
    }
}

/// The torrent player. `video` lets a page (the embed) reach the `<video>` element; `compact`
/// leaves out the stats panel (the embed shows its own line of figures).
#[component]
pub(crate) fn Player(
    src: String,
    file: Option<String>,
    #[prop(optional)] start_with: Start,
    #[prop(optional)] video: Option<NodeRef<html::Video>>,
    #[prop(optional)] compact: bool,
    #[prop(optional)] on_failure: Option<Callback<String>>,
) -> impl IntoView {
    let tab = use_tab();
    let phase = RwSignal::new(Phase::Busy("Reading the link…".to_owned()));
    let figures = RwSignal::new(None::<Figures>);
    let video = video.unwrap_or_default();
    // The torrent this page added to the tab's client (and so closes when it goes).
    let added = RwSignal::new(None::<String>);
    let opened_at = now_ms();

    let tick = set_interval_with_handle(
        move || figures.set(tab.with_value(panel::figures)),
        std::time::Duration::from_secs(1),
    )
    .ok();
    on_cleanup(move || {
        if let Some(t) = tick {
            t.clear();
        }
        tab.with_value(|tab| {
            if let Some(torrent) = added.get_untracked().and_then(|hash| tab.torrent(&hash)) {
                torrent.destroy();
            }
            tab.playing.set(None);
        });
    });

    let asked_file = match file.as_deref().map(str::parse::<usize>) {
        None => Ok(None),
        Some(Ok(n)) => Ok(Some(n)),
        Some(Err(_)) => Err(()),
    };
    // Cancelled when the page goes: nothing is added or shown after that, and its downloads stop.
    spawn_local_scoped_with_cancellation(async move {
        let tab = tab.get_value();
        if let Err(error) = start(&tab, &src, asked_file, added, phase).await {
            panel::update_playing(&tab, |p| p.state = "error".to_owned());
            if let Some(report) = on_failure {
                report.run(format!("{} {}", error.title(), error.detail()));
            }
            phase.set(Phase::Failed(error));
        }
    });

    let on_loaded = move |_| {
        let ms = now_ms() - opened_at;
        tab.with_value(|tab| {
            panel::update_playing(tab, |p| {
                p.time_to_first_frame_ms.get_or_insert(ms);
                p.state = "playing".to_owned();
            });
            figures.set(panel::figures(tab));
        });
        if let Some(v) = video.get_untracked() {
            if let Some(at) = start_with.at {
                v.set_current_time(at);
            }
            if start_with.autoplay {
                start_playback(&v);
            }
        }
    };
    // Stalls: `waiting` after the first frame that is not a seek, until `playing` again.
    let on_waiting = move |_| {
        let seeking = video.get_untracked().is_some_and(|v| v.seeking());
        if !seeking {
            let now = now_ms();
            tab.with_value(|tab| panel::update_playing(tab, |p| p.stall_began(now)));
        }
    };
    let on_resumed = move |_| {
        let now = now_ms();
        tab.with_value(|tab| panel::update_playing(tab, |p| p.stall_ended(now)));
    };
    let on_media_error = move |_| {
        let Some(v) = video.get_untracked() else {
            return;
        };
        let reason = v
            .error()
            .map(|e| e.message())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "the browser gave no reason".to_owned());
        // A container or codec this browser cannot decode (HEVC or AC3 in an MKV…), although
        // it said it plays the type: a streaming server converts it, when one takes it.
        let code = v.error().map_or(0, |e| e.code());
        let playing = match phase.get_untracked() {
            Phase::Ready { url, path, .. } => url
                .strip_prefix("/stream/")
                .and_then(|rest| rest.split_once('/'))
                .and_then(|(hash, i)| Some((hash.to_owned(), i.parse::<usize>().ok()?, path))),
            _ => None,
        };
        let magnet = playing.as_ref().and_then(|(hash, _, _)| {
            tab.with_value(|tab| tab.torrent(hash).map(|t| t.magnet().to_uri()))
        });
        if let (true, Some((hash, index, path)), Some(magnet)) =
            (matches!(code, 3 | 4), playing, magnet)
        {
            phase.set(Phase::Busy(
                "This browser cannot decode the file: asking the streaming server to convert it…"
                    .to_owned(),
            ));
            spawn_local(async move {
                match converted(&magnet, &hash, index, path).await {
                    Ok(next) => phase.set(next),
                    Err(why) => {
                        leptos::logging::warn!("no streaming server converts it: {why}");
                        phase.set(Phase::Failed(PlayError::Undecodable(reason)));
                    }
                }
            });
            return;
        }
        tab.with_value(|tab| panel::update_playing(tab, |p| p.state = "error".to_owned()));
        let error = PlayError::Undecodable(reason);
        if let Some(report) = on_failure {
            report.run(format!("{} {}", error.title(), error.detail()));
        }
        phase.set(Phase::Failed(error));
    };

    view! {
        <section class="player" data-testid="player">
            {move || match phase.get() {
                Phase::Busy(what) => view! {
                    <p class="player-status" data-testid="player-status" aria-live="polite">{what}</p>
                }.into_any(),
                Phase::Failed(error) => view! {
                    <ErrorNotice testid="player-error" title=error.title() detail=error.detail()>
                        <p><a href="/">"Open another link on the start page"</a></p>
                    </ErrorNotice>
                }.into_any(),
                Phase::Converted { url, path } => view! {
                    <h2 class="player-title" data-testid="player-title">{path}</h2>
                    <p class="player-converted" data-testid="player-converted">
                        "This browser cannot play this file as it is: the streaming server converts it ("
                        <code>{url.clone()}</code>")."
                    </p>
                    <crate::live::player::HlsPlayer url=url/>
                }.into_any(),
                Phase::Ready { url, path, mime, supported } => {
                    let forced = RwSignal::new(supported);
                    view! {
                        <h2 class="player-title" data-testid="player-title">{path.clone()}</h2>
                        <Show when=move || !forced.get()>
                            <ErrorNotice
                                testid="player-codec"
                                title="This browser cannot play this kind of file."
                                detail=format!("It says it does not support {mime} ({path}). Shoal has not started the download. Another browser may play it, or you can try anyway.")
                            >
                                <button type="button" on:click=move |_| forced.set(true)>"Try anyway"</button>
                            </ErrorNotice>
                        </Show>
                        <Show when=move || forced.get()>
                            <video
                                node_ref=video
                                data-testid="video"
                                controls=true
                                autoplay=start_with.autoplay
                                prop:muted=start_with.muted
                                playsinline=true
                                preload="auto"
                                src=url.clone()
                                on:loadeddata=on_loaded
                                on:waiting=on_waiting
                                on:playing=on_resumed
                                on:seeking=on_resumed
                                on:error=on_media_error
                            ></video>
                        </Show>
                    }.into_any()
                }
            }}
            <NoticeList figures=figures/>
            // Nothing to count until a torrent is open (e.g. when the link is invalid).
            <Show when=move || !compact && figures.with(Option::is_some)>
                <StatsPanel figures=figures/>
            </Show>
        </section>
    }
}

/// Opens the source in the tab's client, waits for the file list, picks the file and checks the
/// browser can play it.
async fn start(
    tab: &Tab,
    src: &str,
    asked_file: Result<Option<usize>, ()>,
    added: RwSignal<Option<String>>,
    phase: RwSignal<Phase>,
) -> Result<(), PlayError> {
    let asked_file = asked_file.map_err(|()| {
        PlayError::BadLink("The file= parameter must be a file number, such as file=0.".to_owned())
    })?;
    let busy = |what: &str| phase.set(Phase::Busy(what.to_owned()));
    let (source, metadata_note) = source::resolve(tab, src, busy).await?;
    phase.set(Phase::Busy(
        "Starting the streaming service worker…".to_owned(),
    ));
    tab.bridge.install().await.map_err(PlayError::NoStreaming)?;
    // A torrent kept in the store resumes from it: the store must be open before the add.
    phase.set(Phase::Busy("Opening the download store…".to_owned()));
    tab.cache.settled().await;

    let torrent = match tab.client.add(source.clone()) {
        Ok(t) => {
            added.set(Some(t.info_hash()));
            t
        }
        // Open already (shared from this tab, say): played, and left open when the page goes.
        Err(runtime::AddError::Duplicate) => source::source_hash(&source)
            .and_then(|hash| tab.torrent(&hash))
            .ok_or_else(|| {
                PlayError::BadLink(
                    "This torrent is already open and could not be found again; reload the page."
                        .to_owned(),
                )
            })?,
        Err(e) => return Err(PlayError::Add(e)),
    };
    let hash = torrent.info_hash();
    tab.playing.set(Some(Playing {
        info_hash: hash.clone(),
        state: "metadata".to_owned(),
        ..Playing::default()
    }));
    // Too few WebRTC peers after a short wait: a companion's gateway joins the TCP swarm and
    // becomes an HTTP source (also for the metadata, which the wait below then receives).
    {
        let tab = tab.clone();
        let policy = gateway::Policy::of(&Settings::load());
        spawn_local_scoped_with_cancellation(gateway::fall_back(
            torrent.clone(),
            policy,
            move |state| {
                panel::update_playing(&tab, |p| p.gateway = Some(state));
            },
        ));
    }

    phase.set(Phase::Busy(match metadata_note {
        Some(note) => format!("Asking peers for the torrent's file list… ({note})"),
        None => "Asking peers for the torrent's file list…".to_owned(),
    }));
    let info = torrent.metadata().await.map_err(PlayError::Stopped)?;
    let index = match media::choose(&info.files, asked_file) {
        Choice::File(i) => i,
        Choice::NoSuchFile { asked, count } => return Err(PlayError::NoSuchFile { asked, count }),
        Choice::NoMedia => {
            return Err(PlayError::NoMedia {
                count: info.files.len(),
            })
        }
    };
    let path = info.files[index].path.clone();
    let mime = media::content_type(&path);
    panel::update_playing(tab, |p| {
        p.file = Some(index);
        p.path = Some(path.clone());
        p.state = "loading".to_owned();
    });
    let supported = media::browser_can_play(mime);
    // A type the browser cannot play (MKV in some browsers, AVI…) goes to a streaming server's
    // `/hls/`, which converts it; without one, or when none takes it, the notice below offers
    // to try anyway.
    if !supported {
        phase.set(Phase::Busy(format!(
            "This browser cannot play {mime}: asking the streaming server to convert it…"
        )));
        let magnet = torrent.magnet().to_uri();
        match converted(&magnet, &hash, index, path.clone()).await {
            Ok(next) => {
                phase.set(next);
                return Ok(());
            }
            Err(why) => leptos::logging::warn!("no streaming server converts {path}: {why}"),
        }
    }
    phase.set(Phase::Ready {
        url: format!("/stream/{hash}/{index}"),
        supported,
        path,
        mime: mime.to_owned(),
    });
    Ok(())
}

/// File `index` of torrent `hash` (`magnet`) as HLS from the first streaming server that
/// takes the torrent (`/hls/`: converted for browsers that cannot play it); `Err` says why not.
async fn converted(magnet: &str, hash: &str, index: usize, path: String) -> Result<Phase, String> {
    let servers = Settings::load().streaming_servers;
    if servers.is_empty() {
        return Err("no streaming server is set".to_owned());
    }
    let url = gateway::converted(&servers, magnet, hash, index).await?;
    Ok(Phase::Converted { url, path })
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
