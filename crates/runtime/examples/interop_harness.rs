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
//! `download_timed` is the same download with timings, for `bench/browser/leecher-vs-webtorrent.mjs`
//! and `bench/browser/p2p-ceiling.mjs` (which build this example with the app's `wasm-release`
//! profile); `seed` shares bytes from the page (`Client::seed`) for the latter.
//!
//! `read_stored` reads a torrent in order with the download store open (IndexedDB, as the app
//! does), dropping each chunk once counted, for `bench/browser/store-memory.mjs` (page memory
//! while reading a file far larger than the memory window).
//!
//! Natively this example is empty.

#[cfg(target_family = "wasm")]
pub mod wasm {
    use shoal_runtime::{
        Client, ClientConfig, Reader, SeedOptions, Source, Store, StoreSettings, Torrent,
    };
    use wasm_bindgen::{prelude::wasm_bindgen, JsValue};

    fn js_err(e: impl std::fmt::Display) -> JsValue {
        JsValue::from_str(&e.to_string())
    }

    /// Adds `magnet` to a new client announcing to `tracker` only (no STUN: loopback only),
    /// waits for its metadata and opens a reader over its first file. The client is returned
    /// because dropping it stops the torrent.
    async fn open_first_file(
        magnet: &str,
        tracker: String,
    ) -> Result<(Client, Torrent, Reader), JsValue> {
        let magnet = metainfo::Magnet::parse(magnet).map_err(js_err)?;
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
        let reader = torrent.reader(0, 0, file.length).map_err(js_err)?;
        Ok((client, torrent, reader))
    }

    /// Downloads the first file of `magnet` through `tracker` (no STUN: loopback only) and
    /// resolves with its bytes, the tracker's last state and the transfer's figures, as
    /// `{ bytes, trackerState, peersSeen, bytesFromPeers, hashFailures, peersBanned }`.
    #[wasm_bindgen]
    pub async fn download(magnet: String, tracker: String) -> Result<js_sys::Object, JsValue> {
        let (_client, torrent, mut reader) = open_first_file(&magnet, tracker).await?;
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
        set(
            "hashFailures",
            &JsValue::from_f64(stats.hash_failures as f64),
        )?;
        set("peersBanned", &JsValue::from_f64(stats.peers_banned as f64))?;
        Ok(out)
    }

    /// Milliseconds on the page's clock.
    fn now() -> f64 {
        web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now())
    }

    /// Like [`download`], timed from the call: resolves with `{ length, metadataMs, firstMs,
    /// doneMs, bytesFromPeers }`, where `firstMs` is when the reader (in order, from byte 0)
    /// had handed over `first_bytes`, and `doneMs` when it had handed over the whole file. The
    /// bytes stay in wasm memory until [`take_download`]: copying the whole file into one
    /// JavaScript array is the harness's need, not the player's, and a benchmark measuring the
    /// page's CPU over the download should not count it.
    #[wasm_bindgen]
    pub async fn download_timed(
        magnet: String,
        tracker: String,
        first_bytes: f64,
    ) -> Result<js_sys::Object, JsValue> {
        let start = now();
        let (_client, torrent, mut reader) = open_first_file(&magnet, tracker).await?;
        LEECHING.with(|l| *l.borrow_mut() = Some(torrent.clone()));
        // Opening the reader after the metadata costs no time worth measuring.
        let metadata_ms = now() - start;
        let mut chunks = Vec::new();
        let mut read = 0usize;
        let mut first_ms = None;
        while let Some(chunk) = reader.next_chunk().await {
            let chunk = chunk.map_err(js_err)?;
            read += chunk.len();
            chunks.push(chunk);
            if first_ms.is_none() && read as f64 >= first_bytes {
                first_ms = Some(now() - start);
            }
        }
        let done_ms = now() - start;
        let stats = torrent.stats();
        DOWNLOADED.with(|d| *d.borrow_mut() = chunks);
        let out = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&out, &k.into(), v);
        set("length", &JsValue::from_f64(read as f64))?;
        set("metadataMs", &JsValue::from_f64(metadata_ms))?;
        set("firstMs", &JsValue::from_f64(first_ms.unwrap_or(done_ms)))?;
        set("doneMs", &JsValue::from_f64(done_ms))?;
        set(
            "bytesFromPeers",
            &JsValue::from_f64(stats.bytes_from_peers as f64),
        )?;
        Ok(out)
    }

    /// The bytes the last [`download_timed`] read, as one array (then dropped here).
    #[wasm_bindgen]
    pub fn take_download() -> js_sys::Uint8Array {
        let chunks = DOWNLOADED.with(|d| std::mem::take(&mut *d.borrow_mut()));
        let len: usize = chunks.iter().map(Vec::len).sum();
        let bytes = js_sys::Uint8Array::new_with_length(len as u32);
        let mut at = 0u32;
        for chunk in &chunks {
            bytes.subarray(at, at + chunk.len() as u32).copy_from(chunk);
            at += chunk.len() as u32;
        }
        bytes
    }

    thread_local! {
        /// What the last [`download_timed`] read, until [`take_download`].
        static DOWNLOADED: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
        /// The torrent `download_timed` is downloading, for [`leech_stats`].
        static LEECHING: std::cell::RefCell<Option<Torrent>> = const { std::cell::RefCell::new(None) };
    }

    /// The figures of the torrent `download_timed` is downloading (the stats panel's), without
    /// the per-piece map; `null` before it started. For watching a benchmark run.
    #[wasm_bindgen]
    pub fn leech_stats() -> Result<JsValue, JsValue> {
        LEECHING.with(|l| match l.borrow().as_ref() {
            Some(t) => stats_js(t),
            None => Ok(JsValue::NULL),
        })
    }

    fn stats_js(t: &Torrent) -> Result<JsValue, JsValue> {
        let mut stats = t.stats();
        stats.have.clear();
        serde_wasm_bindgen::to_value(&stats).map_err(js_err)
    }

    /// A torrent this page seeds; it keeps seeding until [`SeedingTorrent::stop`] or the page
    /// goes away.
    #[wasm_bindgen]
    pub struct SeedingTorrent {
        client: Option<Client>,
        torrent: Torrent,
    }

    #[wasm_bindgen]
    impl SeedingTorrent {
        /// The torrent's magnet link (with the tracker).
        pub fn magnet(&self) -> String {
            self.torrent.magnet().to_string()
        }

        /// Bytes uploaded to peers so far.
        pub fn uploaded(&self) -> f64 {
            self.torrent.stats().uploaded as f64
        }

        /// The seeding torrent's figures (as [`leech_stats`]).
        pub fn stats(&self) -> Result<JsValue, JsValue> {
            stats_js(&self.torrent)
        }

        /// Stops seeding (drops the client).
        pub fn stop(&mut self) {
            self.client = None;
        }
    }

    /// Seeds `bytes` as a one-file torrent called `name` announced to `tracker` (no STUN:
    /// loopback only), with the default piece length, as the app's "Share a file" does.
    #[wasm_bindgen]
    pub async fn seed(
        name: String,
        bytes: js_sys::Uint8Array,
        tracker: String,
    ) -> Result<SeedingTorrent, JsValue> {
        let client = Client::new(ClientConfig {
            trackers: vec![tracker.clone()],
            ice_servers: Vec::new(),
            ..ClientConfig::default()
        });
        let opts = SeedOptions {
            trackers: vec![tracker],
            ..SeedOptions::default()
        };
        let torrent = client
            .seed(&name, bytes.to_vec(), &opts, |_| {})
            .await
            .map_err(js_err)?;
        Ok(SeedingTorrent {
            client: Some(client),
            torrent,
        })
    }

    /// Sets `globalThis.__shoalProgress` to `{ read, fromPeers, fromStore, storeBytes,
    /// wasmBytes, notice }` so the benchmark can sample it while the read runs.
    fn progress(read: u64, torrent: &Torrent, store: &Store) -> Result<(), JsValue> {
        let stats = torrent.stats();
        let figures = store.figures();
        let p = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&p, &k.into(), v);
        set("read", &JsValue::from_f64(read as f64))?;
        set(
            "fromPeers",
            &JsValue::from_f64(stats.bytes_from_peers as f64),
        )?;
        set(
            "fromStore",
            &JsValue::from_f64(stats.bytes_read_from_store as f64),
        )?;
        set("storeBytes", &JsValue::from_f64(figures.store_bytes as f64))?;
        set("wasmBytes", &JsValue::from_f64(wasm_memory_bytes()))?;
        set(
            "notice",
            &figures
                .notice
                .map_or(JsValue::NULL, |n| JsValue::from_str(&n)),
        )?;
        js_sys::Reflect::set(&js_sys::global(), &"__shoalProgress".into(), &p)?;
        Ok(())
    }

    /// Resolves after `ms` milliseconds (`setTimeout`).
    async fn gloo_timers_sleep(ms: i32) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let _ = web_sys::window()
                .map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms));
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }

    /// Sets `globalThis.__shoalPhase`: where [`read_stored`] is.
    fn phase(what: &str) -> Result<(), JsValue> {
        js_sys::Reflect::set(&js_sys::global(), &"__shoalPhase".into(), &what.into()).map(|_| ())
    }

    /// The size of this module's linear memory (it only ever grows).
    fn wasm_memory_bytes() -> f64 {
        let memory: js_sys::WebAssembly::Memory =
            wasm_bindgen::JsCast::unchecked_into(wasm_bindgen::memory());
        let buffer: js_sys::ArrayBuffer = wasm_bindgen::JsCast::unchecked_into(memory.buffer());
        f64::from(buffer.byte_length())
    }

    /// Reads the first file of `magnet` in order with the download store open (limit
    /// `store_limit` bytes, the app's default memory window), as the player does, counting and
    /// dropping every chunk; with `rate` > 0 (bytes per second) no faster than that, as a
    /// player reads at the video's bitrate once its buffer is full. Resolves with `{ length,
    /// metadataMs, doneMs, bytesFromPeers, storeBytes, wasmBytes, notice }`;
    /// `globalThis.__shoalProgress` follows the read.
    #[wasm_bindgen]
    pub async fn read_stored(
        magnet: String,
        tracker: String,
        store_limit: f64,
        rate: f64,
    ) -> Result<js_sys::Object, JsValue> {
        let start = now();
        let store = Store::open(
            StoreSettings {
                limit_bytes: store_limit as u64,
                ..StoreSettings::default()
            },
            js_sys::Date::now(),
        )
        .await
        .map_err(js_err)?;
        phase("store open")?;
        let magnet = metainfo::Magnet::parse(&magnet).map_err(js_err)?;
        let client = Client::new(ClientConfig {
            trackers: vec![tracker],
            ice_servers: Vec::new(),
            ..ClientConfig::default()
        });
        client.set_store(store.clone());
        let torrent = client.add(Source::Magnet(magnet)).map_err(js_err)?;
        phase("waiting for the metadata")?;
        let info = torrent.metadata().await.map_err(js_err)?;
        let metadata_ms = now() - start;
        phase("reading")?;
        let length = info
            .files
            .first()
            .ok_or_else(|| js_err("the torrent has no file"))?
            .length;
        let mut reader = torrent.reader(0, 0, length).map_err(js_err)?;
        // Progress every second from a task of its own, so a stalled read still reports.
        let read = std::rc::Rc::new(std::cell::Cell::new(0u64));
        let ticking = std::rc::Rc::new(std::cell::Cell::new(true));
        {
            let (read, ticking, torrent, store) = (
                read.clone(),
                ticking.clone(),
                torrent.clone(),
                store.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                while ticking.get() {
                    let _ = progress(read.get(), &torrent, &store);
                    gloo_timers_sleep(1000).await;
                }
            });
        }
        let reading_from = now();
        while let Some(chunk) = reader.next_chunk().await {
            read.set(read.get() + chunk.map_err(js_err)?.len() as u64);
            if rate > 0.0 {
                // Ahead of the rate: wait until the clock catches up with what was read.
                let due = reading_from + read.get() as f64 * 1000.0 / rate;
                let wait = due - now();
                if wait >= 1.0 {
                    gloo_timers_sleep(wait.min(60_000.0) as i32).await;
                }
            }
        }
        ticking.set(false);
        let read = read.get();
        let done_ms = now() - start;
        progress(read, &torrent, &store)?;
        let stats = torrent.stats();
        let figures = store.figures();
        let out = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&out, &k.into(), v);
        set("length", &JsValue::from_f64(read as f64))?;
        set("metadataMs", &JsValue::from_f64(metadata_ms))?;
        set("doneMs", &JsValue::from_f64(done_ms))?;
        set(
            "bytesFromPeers",
            &JsValue::from_f64(stats.bytes_from_peers as f64),
        )?;
        set("storeBytes", &JsValue::from_f64(figures.store_bytes as f64))?;
        set("wasmBytes", &JsValue::from_f64(wasm_memory_bytes()))?;
        set(
            "notice",
            &figures
                .notice
                .map_or(JsValue::NULL, |n| JsValue::from_str(&n)),
        )?;
        drop(reader);
        torrent.destroy();
        Ok(out)
    }
}
