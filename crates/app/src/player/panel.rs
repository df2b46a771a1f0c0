//! The figures the stats panel shows, also offered to scripts as `window.shoal.stats()`.
//!
//! `stats()` returns a fresh snapshot each call (the runtime's [`runtime::Stats`] plus what the
//! page knows: which file plays, its state, time to first frame), or `null` when nothing plays.

use std::cell::{Cell, RefCell};

use js_sys::{Function, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};

use super::bridge;

/// What the page tells the panel about the torrent it plays.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Playing {
    /// Lowercase hex info hash.
    pub(crate) info_hash: String,
    /// The file index playing, once chosen.
    pub(crate) file: Option<usize>,
    /// The file's path inside the torrent.
    pub(crate) path: Option<String>,
    /// What the player is doing, one word: `starting`, `metadata`, `playing`, `error`…
    pub(crate) state: String,
    /// Milliseconds from opening the page to the first decoded frame.
    pub(crate) time_to_first_frame_ms: Option<f64>,
}

/// A snapshot for the panel and for `window.shoal.stats()`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Figures {
    #[serde(flatten)]
    pub(crate) playing: Playing,
    #[serde(flatten)]
    pub(crate) stats: runtime::Stats,
}

thread_local! {
    static PLAYING: RefCell<Option<Playing>> = const { RefCell::new(None) };
    static EXPOSED: Cell<bool> = const { Cell::new(false) };
}

/// Records what plays now (`None` when the player page closes).
pub(crate) fn set_playing(playing: Option<Playing>) {
    PLAYING.with(|p| *p.borrow_mut() = playing);
}

/// Changes the record of what plays, if anything does.
pub(crate) fn update_playing(change: impl FnOnce(&mut Playing)) {
    PLAYING.with(|p| {
        if let Some(playing) = p.borrow_mut().as_mut() {
            change(playing);
        }
    });
}

/// The current figures, if a torrent is open.
pub(crate) fn figures() -> Option<Figures> {
    let playing = PLAYING.with(|p| p.borrow().clone())?;
    let stats = bridge::torrent(&playing.info_hash)
        .map(|t| t.stats())
        .unwrap_or_default();
    Some(Figures { playing, stats })
}

/// Defines `window.shoal.stats()` once per page.
pub(crate) fn expose() {
    if EXPOSED.with(|e| e.replace(true)) {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let stats = Closure::<dyn Fn() -> JsValue>::new(|| {
        figures()
            .and_then(|f| serde_json::to_string(&f).ok())
            .and_then(|json| js_sys::JSON::parse(&json).ok())
            .unwrap_or(JsValue::NULL)
    });
    let shoal = Reflect::get(&window, &"shoal".into())
        .ok()
        .filter(JsValue::is_object)
        .unwrap_or_else(|| Object::new().into());
    let function: &Function = stats.as_ref().unchecked_ref();
    let _ = Reflect::set(&shoal, &"stats".into(), function);
    let _ = Reflect::set(&window, &"shoal".into(), &shoal);
    // `window.shoal.stats` lives as long as the page.
    stats.forget();
}
