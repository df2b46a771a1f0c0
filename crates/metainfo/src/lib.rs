//! BitTorrent v1 metainfo and magnet URIs (work in progress: see id.rs).

mod id;

pub use id::{Id20, IdParseError, InfoHash, PeerId};

// Run the unit tests in headless Chromium when built for the browser.
#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
