//! hls.js, loaded on demand from the copy Trunk ships (`/hls.min.js`), for browsers without
//! native HLS. Only the watch page needs it, so other pages never download it.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function attach_hls(video, url, onError) {
  const start = () => {
    if (!window.Hls.isSupported()) { onError('This browser cannot play HLS streams.'); return }
    const hls = new window.Hls();
    hls.on(window.Hls.Events.ERROR, (_e, data) => {
      if (data.fatal) onError('The HLS stream failed: ' + data.details + '.');
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  };
  if (window.Hls) { start(); return }
  const script = document.createElement('script');
  script.src = '/hls.min.js';
  script.onload = start;
  script.onerror = () => onError('Shoal could not load its HLS player.');
  document.head.appendChild(script);
}
"#)]
extern "C" {
    /// Plays the HLS playlist at `url` in `video`; `on_error` gets a sentence on failure.
    pub(crate) fn attach_hls(
        video: &web_sys::HtmlVideoElement,
        url: &str,
        on_error: &js_sys::Function,
    );
}
