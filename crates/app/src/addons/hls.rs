//! hls.js, loaded on demand from the copy Trunk ships (`/hls.min.js`), with Shoal's loader
//! for its playlists and segments. Only pages that play HLS need it, so other pages never
//! download it.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
let loading = null;
// hls.js's script, fetched once: the live page starts it while the download store opens, so
// neither waits for the other.
function load_hls() {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      if (window.Hls) { resolve(); return }
      // index.html starts it early on live pages: wait for that one unless it failed.
      const early = document.querySelector('script[data-shoal-hls=""]');
      if (early) {
        early.addEventListener('load', () => window.Hls ? resolve() : reject());
        early.addEventListener('error', () => { loading = null; reject() });
        return;
      }
      const script = document.createElement('script');
      script.src = '/hls.min.js';
      script.onload = resolve;
      script.onerror = () => { loading = null; reject() };
      document.head.appendChild(script);
    });
  }
  return loading;
}
export function preload_hls() { load_hls().catch(() => {}); }
export function attach_hls(video, url, loader, onError, onReady) {
  const start = () => {
    if (!window.Hls.isSupported()) {
      // No MediaSource: the browser's own HLS, if it has one (no peers then).
      if (video.canPlayType('application/vnd.apple.mpegurl')) { video.src = url; return }
      onError('This browser cannot play HLS streams.'); return
    }
    // hls.js's default distance to the live edge (three target durations), as
    // p2p-media-loader's viewers play: five cost ~4 s of live distance for a few points of P2P
    // share, and 0 stalls were seen with three at N = 4 on a loaded machine
    // (docs/benchmarks.md, 2026-12-07).
    const hls = new window.Hls({ fLoader: loader, pLoader: loader });
    hls.on(window.Hls.Events.ERROR, (_e, data) => {
      if (data.fatal) onError('The HLS stream failed: ' + data.details + '.');
    });
    // Start playing once hls.js knows the stream; where the browser refuses sound without a
    // gesture (a link opened directly), start muted rather than not at all.
    hls.once(window.Hls.Events.MANIFEST_PARSED, () => {
      video.play().catch(() => { video.muted = true; video.play().catch(() => {}) });
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    onReady(hls);
  };
  load_hls().then(start, () => onError('Shoal could not load its HLS player.'));
}
export function hls_latency(hls) {
  const l = hls && hls.latency;
  return typeof l === 'number' && isFinite(l) ? l : -1;
}
export function hls_destroy(hls) { if (hls) hls.destroy(); }
"#)]
extern "C" {
    /// Plays the HLS playlist at `url` in `video` through hls.js with `loader` as its
    /// fragment and playlist loader; `on_error` gets a sentence on failure, `on_ready` the
    /// hls.js instance.
    pub(crate) fn attach_hls(
        video: &web_sys::HtmlVideoElement,
        url: &str,
        loader: &js_sys::Function,
        on_error: &js_sys::Function,
        on_ready: &js_sys::Function,
    );
    /// Starts fetching hls.js (once per page) without playing anything yet.
    pub(crate) fn preload_hls();
    /// Seconds behind the live edge (hls.js's `latency`), or -1 when unknown or not live.
    pub(crate) fn hls_latency(hls: &JsValue) -> f64;
    /// Stops hls.js and its loaders.
    pub(crate) fn hls_destroy(hls: &JsValue);
}
