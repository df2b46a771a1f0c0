//! hls.js, loaded on demand from the copy Trunk ships (`/hls.min.js`), with Shoal's loader
//! for its playlists and segments. Only pages that play HLS need it, so other pages never
//! download it.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function attach_hls(video, url, loader, onError, onReady) {
  const start = () => {
    if (!window.Hls.isSupported()) {
      // No MediaSource: the browser's own HLS, if it has one (no peers then).
      if (video.canPlayType('application/vnd.apple.mpegurl')) { video.src = url; return }
      onError('This browser cannot play HLS streams.'); return
    }
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
  if (window.Hls) { start(); return }
  const script = document.createElement('script');
  script.src = '/hls.min.js';
  script.onload = start;
  script.onerror = () => onError('Shoal could not load its HLS player.');
  document.head.appendChild(script);
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
    /// Seconds behind the live edge (hls.js's `latency`), or -1 when unknown or not live.
    pub(crate) fn hls_latency(hls: &JsValue) -> f64;
    /// Stops hls.js and its loaders.
    pub(crate) fn hls_destroy(hls: &JsValue);
}
