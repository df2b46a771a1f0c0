//! The loader hls.js instantiates (`config.fLoader` for segments, `config.pLoader` for
//! playlists): `new Loader(config)`, then `load(context, config, callbacks)`, `abort()`,
//! `destroy()`, with `stats` and `context` fields. The logic is [`ShoalSegmentLoader`]; a
//! five-line JS class wraps it because hls.js calls `new` on what it is given.
//!
//! Playlists come from HTTP and teach the [`HlsChannel`] the segments' Shoal tags. A segment
//! with a checked tag is verified piece by piece as it arrives and, once whole and right,
//! handed to the channel's sink; a segment without one is fetched over HTTP and never
//! shared. Stats are updated in place as bytes arrive, with real times, so hls.js's bandwidth
//! estimate and ABR see what the network did.

use std::{
    cell::{Cell, RefCell},
    rc::{Rc, Weak},
};

use gloo::timers::callback::Timeout;
use hls::{SegmentTag, SegmentVerifier};
use js_sys::{Function, Object, Reflect, Uint8Array};
use swarm::HashedPiece;
use wasm_bindgen::prelude::*;
use web_sys::AbortController;

use super::{
    channel::{ChannelState, Delivery, HlsChannel, SegmentRecord, VerifiedSegment},
    fetch::{stream, FetchError},
    from_peers, prefetch,
    stats::JsStats,
};

#[wasm_bindgen(inline_js = r#"
export function shoal_loader_class(make) {
  return class ShoalLoader {
    constructor(config) { this._inner = make(config); this.stats = this._inner.stats; this.context = null; }
    load(context, config, callbacks) { this.context = context; if (this._inner) this._inner.load(context, config, callbacks); }
    abort() { if (this._inner) this._inner.abort(); }
    destroy() { if (this._inner) { this._inner.destroy(); this._inner.free(); this._inner = null; } }
  };
}
"#)]
extern "C" {
    fn shoal_loader_class(make: &Function) -> Function;
}

impl HlsChannel {
    /// The class to pass hls.js as `fLoader` and `pLoader` (not `loader`: keys and other
    /// requests keep hls.js's own). Its loaders report into this channel.
    pub fn loader_class(&self) -> Function {
        let weak: Weak<RefCell<ChannelState>> = Rc::downgrade(&self.state);
        let make = Closure::<dyn FnMut(JsValue) -> ShoalSegmentLoader>::new(move |_config| {
            let channel = weak
                .upgrade()
                .map_or_else(Self::new, |state| Self { state });
            ShoalSegmentLoader::new(channel)
        });
        let class = shoal_loader_class(make.as_ref().unchecked_ref());
        self.state.borrow_mut().keep_alive.push(Box::new(make));
        class
    }
}

/// One hls.js loader: one request at a time.
#[wasm_bindgen]
pub struct ShoalSegmentLoader {
    inner: Rc<Inner>,
}

struct Inner {
    channel: HlsChannel,
    stats: JsStats,
    run: RefCell<Option<Run>>,
}

/// The request in flight.
struct Run {
    abort: AbortController,
    callbacks: JsValue,
    context: JsValue,
    /// Set once a callback was made (or the loader was destroyed): nothing more is said.
    over: Rc<Cell<bool>>,
    _timeout: Option<Timeout>,
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn callback(callbacks: &JsValue, name: &str) -> Option<Function> {
    get(callbacks, name).dyn_into().ok()
}

impl ShoalSegmentLoader {
    fn new(channel: HlsChannel) -> Self {
        Self {
            inner: Rc::new(Inner {
                channel,
                stats: JsStats::new(),
                run: RefCell::new(None),
            }),
        }
    }
}

#[wasm_bindgen]
impl ShoalSegmentLoader {
    /// The `LoaderStats` object (always the same one).
    #[wasm_bindgen(getter)]
    pub fn stats(&self) -> JsValue {
        self.inner.stats.js()
    }

    /// Starts loading `context.url`: a playlist when `context.responseType` is `"text"`, a
    /// segment otherwise.
    pub fn load(&self, context: JsValue, config: JsValue, callbacks: JsValue) {
        self.stop(false);
        let Ok(abort) = AbortController::new() else {
            fail(
                &callbacks,
                &context,
                &self.inner.stats,
                0,
                "no AbortController",
            );
            return;
        };
        self.inner.stats.reset(now_ms());
        let over = Rc::new(Cell::new(false));
        let timeout_ms = get(&config, "timeout").as_f64().unwrap_or(0.0);
        let timeout = (timeout_ms > 0.0).then(|| {
            let (inner, over) = (Rc::downgrade(&self.inner), Rc::clone(&over));
            Timeout::new(timeout_ms.min(f64::from(u32::MAX)) as u32, move || {
                let Some(inner) = inner.upgrade() else { return };
                if over.replace(true) {
                    return;
                }
                let run = inner.run.borrow_mut().take();
                if let Some(run) = run {
                    run.abort.abort();
                    if let Some(f) = callback(&run.callbacks, "onTimeout") {
                        let _ = f.call3(
                            &JsValue::NULL,
                            &inner.stats.js(),
                            &run.context,
                            &JsValue::NULL,
                        );
                    }
                }
            })
        });
        *self.inner.run.borrow_mut() = Some(Run {
            abort: abort.clone(),
            callbacks: callbacks.clone(),
            context: context.clone(),
            over: Rc::clone(&over),
            _timeout: timeout,
        });
        let inner = Rc::clone(&self.inner);
        let text = get(&context, "responseType").as_string().as_deref() == Some("text");
        wasm_bindgen_futures::spawn_local(async move {
            if text {
                load_playlist(&inner, &context, &callbacks, &abort, &over).await;
            } else {
                load_segment(&inner, &context, &callbacks, &abort, &over).await;
            }
        });
    }

    /// Cancels the request (its HTTP fetch is aborted) and reports `onAbort`.
    pub fn abort(&self) {
        self.stop(true);
    }

    /// Cancels the request without a word; the loader is not used again.
    pub fn destroy(&self) {
        self.stop(false);
    }
}

impl ShoalSegmentLoader {
    fn stop(&self, report: bool) {
        let Some(run) = self.inner.run.borrow_mut().take() else {
            return;
        };
        if run.over.replace(true) {
            return;
        }
        run.abort.abort();
        self.inner.stats.aborted();
        if report {
            if let Some(f) = callback(&run.callbacks, "onAbort") {
                let _ = f.call3(
                    &JsValue::NULL,
                    &self.inner.stats.js(),
                    &run.context,
                    &JsValue::NULL,
                );
            }
        }
    }
}

/// Reports an error (`onError({code, text}, context, null, stats)`).
fn fail(callbacks: &JsValue, context: &JsValue, stats: &JsStats, code: u16, text: &str) {
    let Some(f) = callback(callbacks, "onError") else {
        return;
    };
    let err = Object::new();
    let _ = Reflect::set(&err, &"code".into(), &f64::from(code).into());
    let _ = Reflect::set(&err, &"text".into(), &text.into());
    let args = js_sys::Array::of4(&err, context, &JsValue::NULL, &stats.js());
    let _ = f.apply(&JsValue::NULL, &args);
}

/// Reports success (`onSuccess({url, data, code}, stats, context, null)`).
fn succeed(callbacks: &JsValue, context: &JsValue, stats: &JsStats, url: &str, data: &JsValue) {
    let Some(f) = callback(callbacks, "onSuccess") else {
        return;
    };
    let resp = Object::new();
    let _ = Reflect::set(&resp, &"url".into(), &url.into());
    let _ = Reflect::set(&resp, &"data".into(), data);
    let _ = Reflect::set(&resp, &"code".into(), &200.into());
    let args = js_sys::Array::of4(&resp, &stats.js(), context, &JsValue::NULL);
    let _ = f.apply(&JsValue::NULL, &args);
}

fn fetch_error_text(e: &FetchError) -> (u16, String) {
    match e {
        FetchError::Status(s) => (*s, format!("HTTP {s}")),
        FetchError::Network => (0, "network error".to_owned()),
    }
}

async fn load_playlist(
    inner: &Rc<Inner>,
    context: &JsValue,
    callbacks: &JsValue,
    abort: &AbortController,
    over: &Rc<Cell<bool>>,
) {
    let url = get(context, "url").as_string().unwrap_or_default();
    let stats = &inner.stats;
    let mut body = Vec::new();
    let mut chunks = 0u32;
    let result = stream(&url, None, abort, |c| {
        stats.first_byte(now_ms());
        body.extend_from_slice(&c);
        chunks += 1;
        stats.progress(body.len() as u64, 0, chunks);
    })
    .await;
    let text = String::from_utf8_lossy(&body).into_owned();
    // The store is needed only to keep a replayable playlist or to answer from one kept when
    // the fetch failed: a live playlist (every reload, and the page's start) does not wait for
    // it to open.
    let keep = result.is_ok() && replayable(&text);
    let store = if keep || result.is_err() {
        inner.channel.settled_store().await
    } else {
        None
    };
    if over.replace(true) {
        return;
    }
    inner.run.borrow_mut().take();
    stats.end(now_ms());
    let len = body.len() as u64;
    stats.progress(len, len, chunks);
    match result {
        Ok(final_url) => {
            let base = if final_url.is_empty() {
                url.clone()
            } else {
                final_url
            };
            if let (true, Some(store)) = (keep, &store) {
                store.keep_playlist(&url, &text);
            }
            inner.channel.learn_playlist(&url, &text, |u| {
                web_sys::Url::new_with_base(u, &base).ok().map(|x| x.href())
            });
            succeed(callbacks, context, stats, &base, &text.into());
        }
        Err(e) => {
            // Offline (or the origin gone): a playlist kept from an earlier play replays the
            // stream from the store, its segments checked against their tags as always.
            if let Some(text) = store.and_then(|s| s.playlist(&url)) {
                inner.channel.learn_playlist(&url, &text, |u| {
                    web_sys::Url::new_with_base(u, &url).ok().map(|x| x.href())
                });
                succeed(callbacks, context, stats, &url, &text.into());
                return;
            }
            let (code, why) = fetch_error_text(&e);
            fail(callbacks, context, stats, code, &why);
        }
    }
}

/// Whether a playlist is worth keeping for an offline replay: a media playlist that has ended
/// (VOD: it will not change) or a master playlist (it names the media playlists). A live
/// playlist is stale at once.
fn replayable(text: &str) -> bool {
    match hls::MediaPlaylist::parse(text) {
        Ok(p) => p.ended,
        Err(hls::HlsError::Multivariant) => true,
        Err(_) => false,
    }
}

async fn load_segment(
    inner: &Rc<Inner>,
    context: &JsValue,
    callbacks: &JsValue,
    abort: &AbortController,
    over: &Rc<Cell<bool>>,
) {
    let url = get(context, "url").as_string().unwrap_or_default();
    let range_start = get(context, "rangeStart").as_f64().unwrap_or(0.0) as u64;
    let range_end = get(context, "rangeEnd").as_f64().unwrap_or(0.0) as u64;
    let byte_range = (range_end > range_start).then_some(range_start..range_end);
    let known = inner.channel.segment(&url);
    // A byte-range sub-segment is not the tagged file: HTTP only.
    let tag = known
        .as_ref()
        .and_then(|k| k.tag.clone())
        .filter(|_| byte_range.is_none());
    let stats = &inner.stats;
    let started = now_ms();
    inner.channel.note_asked(&url);
    if tag.is_some() {
        // While the buffer is healthy, the next segments start coming from peers now.
        prefetch::ahead(&inner.channel, &url);
    }
    if let Some(tag) = &tag {
        if from_store(inner, context, callbacks, over, &url, tag, started).await {
            return;
        }
        if over.get() {
            return;
        }
    }
    let total = tag.as_ref().map_or(0, |t| t.length);
    let mut verifier = tag.clone().map(SegmentVerifier::new);
    let mut mismatch = false;
    let mut body = Vec::new();
    let mut chunks = 0u32;
    let mut first = 0.0;
    let on_progress = callback(callbacks, "onProgress");
    let progress = |body_len: u64, chunks: u32, c: &[u8]| {
        stats.progress(body_len, total.max(body_len), chunks);
        if let Some(f) = &on_progress {
            if !over.get() {
                let data: JsValue = Uint8Array::from(c).buffer().into();
                let args = js_sys::Array::of4(&stats.js(), context, &data, &JsValue::NULL);
                let _ = f.apply(&JsValue::NULL, &args);
            }
        }
    };
    // Other viewers first, when the channel has peers and the budget allows.
    let mut peer_bytes = 0;
    let swarm = tag
        .as_ref()
        .and_then(|t| from_peers::segment_swarm(&inner.channel, &url, t));
    if let (Some(tag), Some(v), Some((swarm, seg))) = (&tag, verifier.as_mut(), &swarm) {
        let held = seg.complete();
        let mut len = 0u64;
        peer_bytes = from_peers::from_peers(
            &inner.channel,
            swarm,
            seg,
            &url,
            tag,
            v,
            &mut body,
            over,
            |c| {
                if first == 0.0 {
                    first = now_ms();
                    stats.first_byte(first);
                }
                len += c.len() as u64;
                chunks += 1;
                progress(len, chunks, c);
            },
        )
        .await;
        if over.get() {
            return;
        }
        if v.is_complete() {
            if held {
                inner.channel.count_prefetched();
            }
            over.set(true);
            inner.run.borrow_mut().take();
            let end = now_ms();
            stats.end(end);
            stats.progress(peer_bytes, peer_bytes, chunks);
            let record = SegmentRecord {
                sequence: known.as_ref().map(|k| k.sequence),
                name: hls::segment_name(&url).to_owned(),
                http_bytes: 0,
                peer_bytes,
                store_bytes: 0,
                delivery: Delivery::Peers,
                load_ms: (end - started).max(0.0) as u64,
            };
            if let Some(store) = inner.channel.store() {
                let playlist = known.as_ref().map(|k| k.playlist.clone());
                keep(store, tag, playlist, &url, body.clone());
            }
            // Every piece is in the segment's engine already: nothing to offer.
            deliver(
                inner,
                context,
                callbacks,
                &url,
                record,
                body,
                Some((tag.clone(), Vec::new())),
            );
            return;
        }
    }
    // HTTP for the rest: from the first byte peers did not deliver.
    let from = body.len() as u64;
    let byte_range = if from > 0 {
        Some(from..u64::MAX)
    } else {
        byte_range
    };
    let http_started = now_ms();
    let mut http_first = 0.0;
    // The HTTP bytes' pieces as the verifier hashed them, for the segment's engine.
    let mut pieces = Vec::new();
    let result = stream(&url, byte_range, abort, |c| {
        if first == 0.0 {
            first = now_ms();
            stats.first_byte(first);
        }
        if http_first == 0.0 {
            http_first = now_ms();
        }
        if let Some(v) = verifier.as_mut() {
            let pushed = v.push(&c);
            if let Some(released) = pushed.released {
                pieces.extend(released.pieces);
            }
            if pushed.mismatch.is_some() {
                mismatch = true;
                verifier = None;
            }
        }
        body.extend_from_slice(&c);
        chunks += 1;
        progress(body.len() as u64, chunks, &c);
    })
    .await;
    if over.replace(true) {
        return;
    }
    inner.run.borrow_mut().take();
    let end = now_ms();
    stats.end(end);
    let len = body.len() as u64;
    stats.progress(len, len, chunks);
    if let Err(e) = result {
        let (code, text) = fetch_error_text(&e);
        fail(callbacks, context, stats, code, &text);
        return;
    }
    let http_len = len - from;
    inner.channel.sample_http(
        http_len,
        (end - http_started).max(0.0) as u64,
        (http_first - http_started).max(0.0) as u64,
    );
    let complete = verifier.as_ref().is_some_and(SegmentVerifier::is_complete);
    let delivery = match (&tag, complete) {
        (None, _) => Delivery::HttpUntagged,
        (Some(_), true) if peer_bytes > 0 => Delivery::PeersThenHttp,
        (Some(_), true) => Delivery::HttpVerified,
        (Some(_), false) => {
            mismatch = true;
            Delivery::HttpMismatch
        }
    };
    let record = SegmentRecord {
        sequence: known.as_ref().map(|k| k.sequence),
        name: hls::segment_name(&url).to_owned(),
        http_bytes: http_len,
        peer_bytes,
        store_bytes: 0,
        delivery,
        load_ms: (end - started).max(0.0) as u64,
    };
    let verified = tag.filter(|_| !mismatch);
    if let (Some(tag), Some(store)) = (&verified, inner.channel.store()) {
        let playlist = known.as_ref().map(|k| k.playlist.clone());
        keep(store, tag, playlist, &url, body.clone());
    }
    let verified = verified.map(|tag| (tag, pieces));
    deliver(inner, context, callbacks, &url, record, body, verified);
}

/// Hands a segment to hls.js (`onSuccess`) and to the channel's figures. A `verified` tag
/// (every byte matched it) also tells the channel's verified-segment sink, and the pieces the
/// verifier hashed that the segment's engine lacks go to it as verified (no second hash).
fn deliver(
    inner: &Inner,
    context: &JsValue,
    callbacks: &JsValue,
    url: &str,
    record: SegmentRecord,
    bytes: Vec<u8>,
    verified: Option<(SegmentTag, Vec<(u32, HashedPiece)>)>,
) {
    let data: JsValue = Uint8Array::from(bytes.as_slice()).buffer().into();
    let verified = verified.map(|(tag, pieces)| {
        from_peers::offer(&inner.channel, url, &tag, pieces);
        tag
    });
    let verified = verified.map(|tag| VerifiedSegment {
        url: url.to_owned(),
        info_hash: tag.info_hash,
        tag,
        bytes,
    });
    inner.channel.delivered(record, verified);
    succeed(callbacks, context, &inner.stats, url, &data);
}

/// Delivers a tagged segment from the download store when it holds one whose every piece still
/// matches the tag (a damaged entry is simply not used: HTTP fetches it again and overwrites
/// it). Answers whether it delivered.
async fn from_store(
    inner: &Rc<Inner>,
    context: &JsValue,
    callbacks: &JsValue,
    over: &Rc<Cell<bool>>,
    url: &str,
    tag: &SegmentTag,
    started: f64,
) -> bool {
    let Some(store) = inner.channel.settled_store().await else {
        return false;
    };
    let Some(bytes) = store.get_segment(&tag.info_hash.to_hex(), tag.length).await else {
        return false;
    };
    let mut verifier = SegmentVerifier::new(tag.clone());
    let pushed = verifier.push(&bytes);
    if pushed.mismatch.is_some() || !verifier.is_complete() || over.replace(true) {
        return false;
    }
    let pieces = pushed.released.map(|r| r.pieces).unwrap_or_default();
    inner.run.borrow_mut().take();
    let stats = &inner.stats;
    let end = now_ms();
    let len = bytes.len() as u64;
    stats.first_byte(end);
    stats.end(end);
    stats.progress(len, len, 1);
    let record = SegmentRecord {
        sequence: inner.channel.segment(url).map(|k| k.sequence),
        name: hls::segment_name(url).to_owned(),
        http_bytes: 0,
        peer_bytes: 0,
        store_bytes: len,
        delivery: Delivery::Store,
        load_ms: (end - started).max(0.0) as u64,
    };
    deliver(
        inner,
        context,
        callbacks,
        url,
        record,
        bytes,
        Some((tag.clone(), pieces)),
    );
    true
}

/// Writes a verified segment to the store in the background (a failure only means the next
/// replay fetches it again; the store shows its own notice when it is full). The segments of
/// one playlist are one Downloads item; a segment no playlist listed goes under its folder.
fn keep(
    store: crate::Store,
    tag: &SegmentTag,
    playlist: Option<String>,
    url: &str,
    bytes: Vec<u8>,
) {
    let id = tag.info_hash.to_hex();
    let name = hls::segment_name(url).to_owned();
    let playlist = playlist.unwrap_or_else(|| {
        url.rsplit_once('/')
            .map_or_else(|| url.to_owned(), |(dir, _)| format!("{dir}/"))
    });
    wasm_bindgen_futures::spawn_local(async move {
        let _ = store.put_segment(&id, &playlist, &name, bytes).await;
    });
}
