//! Test-only harness: exposes `download(magnet, tracker)` to a page so that
//! `tests/e2e/runtime-interop.test.mjs` can make the runtime fetch a file that npm webtorrent
//! seeds in another page. Built by `tests/support/runtime-harness.mjs`:
//!
//! ```text
//! cargo build --target wasm32-unknown-unknown -p shoal-runtime --example interop_harness
//! wasm-bindgen --target web --out-dir test-results/runtime-harness \
//!     $CARGO_TARGET_DIR/wasm32-unknown-unknown/debug/examples/interop_harness.wasm
//! ```
//!
//! Natively this example is empty.

#[cfg(target_family = "wasm")]
pub mod wasm {
    use shoal_runtime::{Client, ClientConfig, Source};
    use wasm_bindgen::{prelude::wasm_bindgen, JsValue};

    fn js_err(e: impl std::fmt::Display) -> JsValue {
        JsValue::from_str(&e.to_string())
    }

    /// Downloads the first file of `magnet` through `tracker` (no STUN: loopback only) and
    /// resolves with its bytes and the tracker's last state, as `{ bytes, trackerState }`.
    #[wasm_bindgen]
    pub async fn download(magnet: String, tracker: String) -> Result<js_sys::Object, JsValue> {
        let magnet = metainfo::Magnet::parse(&magnet).map_err(js_err)?;
        let client = Client::new(ClientConfig {
            trackers: vec![tracker],
            ice_servers: Vec::new(),
            ..ClientConfig::default()
        });
        let torrent = client.add(Source::Magnet(magnet)).map_err(js_err)?;
        let info = torrent.metadata().await.map_err(js_err)?;
        let file = info
            .files
            .first()
            .ok_or_else(|| js_err("the torrent has no file"))?;
        let mut reader = torrent.reader(0, 0, file.length).map_err(js_err)?;
        let mut bytes = Vec::new();
        while let Some(chunk) = reader.next_chunk().await {
            bytes.extend_from_slice(&chunk.map_err(js_err)?);
        }
        let stats = torrent.stats();
        let out = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&out, &k.into(), v);
        set("bytes", &js_sys::Uint8Array::from(bytes.as_slice()).into())?;
        let state = stats
            .trackers
            .first()
            .map(|t| t.state.clone())
            .unwrap_or_default();
        set("trackerState", &JsValue::from_str(&state))?;
        set(
            "peersSeen",
            &JsValue::from_f64(stats.trackers.first().map_or(0, |t| t.peers_seen) as f64),
        )?;
        set(
            "bytesFromPeers",
            &JsValue::from_f64(stats.bytes_from_peers as f64),
        )?;
        Ok(out)
    }
}
