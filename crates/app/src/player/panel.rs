//! The figures the stats panel shows, also offered to scripts as `window.shoal.stats()`.
//!
//! `stats()` returns a fresh snapshot each call (the runtime's [`runtime::Stats`] plus what the
//! page knows: which file plays, its state, time to first frame), or `null` when nothing plays.
//! What plays is the tab's [`Tab::playing`] signal, set by the player page.

use js_sys::{Function, Object, Reflect};
use leptos::prelude::*;
use serde::Serialize;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};

use crate::{cache::CacheFigures, tab::Tab};

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
    /// What the streaming-server fallback does (`asking …`, `via …`, `unavailable …`), once
    /// it started.
    pub(crate) gateway: Option<String>,
    /// Times playback stopped to wait for data after the first frame (seeks not counted).
    pub(crate) stalls: u32,
    /// Milliseconds spent in those stalls, the one going on included once it ends.
    pub(crate) stalled_ms: f64,
    /// The longest of them, ms.
    pub(crate) longest_stall_ms: f64,
    /// When the stall going on began (page clock, ms).
    #[serde(skip)]
    pub(crate) stall_since: Option<f64>,
}

impl Playing {
    /// The video stopped to wait for data at `now` (not for a seek).
    pub(crate) fn stall_began(&mut self, now: f64) {
        if self.time_to_first_frame_ms.is_some() && self.stall_since.is_none() {
            self.stall_since = Some(now);
            self.stalls += 1;
        }
    }

    /// The video plays again (or was seeked, which ends the wait's meaning) at `now`.
    pub(crate) fn stall_ended(&mut self, now: f64) {
        if let Some(began) = self.stall_since.take() {
            let ms = (now - began).max(0.0);
            self.stalled_ms += ms;
            self.longest_stall_ms = self.longest_stall_ms.max(ms);
        }
    }
}

/// A snapshot for the panel and for `window.shoal.stats()`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Figures {
    #[serde(flatten)]
    pub(crate) playing: Playing,
    #[serde(flatten)]
    pub(crate) stats: runtime::Stats,
    #[serde(flatten)]
    pub(crate) cache: CacheFigures,
}

/// Changes the record of what plays, if anything does.
pub(crate) fn update_playing(tab: &Tab, change: impl FnOnce(&mut Playing)) {
    tab.playing.update(|p| {
        if let Some(playing) = p.as_mut() {
            change(playing);
        }
    });
}

/// The current figures, if a torrent is open.
pub(crate) fn figures(tab: &Tab) -> Option<Figures> {
    let playing = tab.playing.try_get_untracked().flatten()?;
    let stats = tab
        .torrent(&playing.info_hash)
        .map(|t| t.stats())
        .unwrap_or_default();
    let cache = CacheFigures::of(&stats, tab.cache.store().as_ref());
    Some(Figures {
        playing,
        stats,
        cache,
    })
}

/// Defines `window.shoal.stats()` for the tab (called once, when the tab's state is made).
pub(crate) fn expose(tab: &Tab) {
    let tab = tab.clone();
    define_figures("stats", move || figures(&tab));
}

/// Defines `window.shoal[name]()` (making `window.shoal` if needed): what `read` gives, as
/// plain objects and numbers as JSON would give them (not `Map`s and `BigInt`s), or null. The
/// function lives as long as the page; a later call with the same name replaces it.
pub(crate) fn define_figures<T: Serialize>(name: &str, read: impl Fn() -> Option<T> + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let function = Closure::<dyn Fn() -> JsValue>::new(move || {
        let to_js = serde_wasm_bindgen::Serializer::json_compatible();
        read()
            .and_then(|f| f.serialize(&to_js).ok())
            .unwrap_or(JsValue::NULL)
    });
    let shoal = Reflect::get(&window, &"shoal".into())
        .ok()
        .filter(JsValue::is_object)
        .unwrap_or_else(|| Object::new().into());
    let f: &Function = function.as_ref().unchecked_ref();
    let _ = Reflect::set(&shoal, &name.into(), f);
    let _ = Reflect::set(&window, &"shoal".into(), &shoal);
    function.forget();
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn stalls_count_only_after_the_first_frame_and_add_up() {
        let mut p = Playing::default();
        p.stall_began(100.0); // still starting: not a stall
        p.stall_ended(200.0);
        assert_eq!((p.stalls, p.stalled_ms), (0, 0.0));
        p.time_to_first_frame_ms = Some(300.0);
        p.stall_began(1_000.0);
        p.stall_began(1_200.0); // a second `waiting` during the same stall
        p.stall_ended(1_500.0);
        p.stall_ended(1_600.0); // `playing` and `seeking` both end it; only once counts
        p.stall_began(2_000.0);
        p.stall_ended(4_000.0);
        assert_eq!(p.stalls, 2);
        assert_eq!(p.stalled_ms, 2_500.0);
        assert_eq!(p.longest_stall_ms, 2_000.0);
    }
}
