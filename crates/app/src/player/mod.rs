//! The player: the Service Worker bridge, the choice of file, the connection settings, and
//! `window.shoal` for tests and embedding sites.

pub(crate) mod bridge;
pub(crate) mod failure;
pub(crate) mod gateway;
pub(crate) mod media;
pub(crate) mod panel;
pub(crate) mod servers;
pub(crate) mod settings;
pub(crate) mod source;
pub(crate) mod views;

/// Milliseconds on the page's monotonic clock (`performance.now()`; 0 without a window).
pub(crate) fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}
