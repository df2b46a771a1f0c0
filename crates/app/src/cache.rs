//! The tab's download store: opened once when the tab starts (with the saved limit and
//! expiry), handed to the runtime client so torrents are kept and resumed, awaited by the
//! player before it adds a torrent (so a reload finds its pieces), and read by the stats
//! panel and the Downloads page. A browser without IndexedDB plays from memory as before,
//! and the Downloads page says why.

use std::{
    cell::RefCell,
    future::poll_fn,
    rc::Rc,
    task::{Poll, Waker},
};

use js_sys::{Function, Object, Promise, Reflect};
use serde::Serialize;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};

use crate::player::settings::Settings;

/// Where opening the store stands.
#[derive(Clone)]
pub(crate) enum Opened {
    /// Still opening.
    Pending,
    /// Open and set on the client.
    Ready(runtime::Store),
    /// Could not be opened (the sentence says why).
    Failed(String),
}

/// The tab's store state. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Cache {
    state: Rc<RefCell<(Opened, Vec<Waker>)>>,
}

/// What the stats panel and `window.shoal.stats()` add about the cache.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct CacheFigures {
    /// Bytes the player got from the store.
    pub(crate) bytes_from_cache: u64,
    /// Bytes from the store over bytes the player read, 0–1 (`None` before a byte was read).
    pub(crate) cache_hit_rate: Option<f64>,
    #[serde(flatten)]
    pub(crate) store: runtime::StoreFigures,
}

impl CacheFigures {
    /// The figures for a torrent's stats.
    pub(crate) fn of(stats: &runtime::Stats, store: Option<&runtime::Store>) -> Self {
        Self {
            bytes_from_cache: stats.bytes_read_from_store,
            cache_hit_rate: (stats.bytes_read > 0)
                .then(|| stats.bytes_read_from_store as f64 / stats.bytes_read as f64),
            store: store.map(runtime::Store::figures).unwrap_or_default(),
        }
    }
}

impl Cache {
    /// Starts opening the store for `client` with the saved settings.
    pub(crate) fn open(client: &runtime::Client, settings: &Settings) -> Self {
        let cache = Self {
            state: Rc::new(RefCell::new((Opened::Pending, Vec::new()))),
        };
        let store_settings = settings.store_settings();
        let (client, me) = (client.clone(), cache.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let now = wall_clock_ms();
            let opened = match runtime::Store::open(store_settings, now).await {
                Ok(store) => {
                    client.set_store(store.clone());
                    Opened::Ready(store)
                }
                Err(e) => Opened::Failed(e.to_string()),
            };
            let wakers = {
                let mut s = me.state.borrow_mut();
                s.0 = opened;
                std::mem::take(&mut s.1)
            };
            for w in wakers {
                w.wake();
            }
        });
        cache
    }

    /// The state now.
    pub(crate) fn state(&self) -> Opened {
        self.state.borrow().0.clone()
    }

    /// The store, once open.
    pub(crate) fn store(&self) -> Option<runtime::Store> {
        match self.state() {
            Opened::Ready(s) => Some(s),
            Opened::Pending | Opened::Failed(_) => None,
        }
    }

    /// Waits until opening finished (either way).
    pub(crate) async fn settled(&self) -> Opened {
        poll_fn(|cx| {
            let mut s = self.state.borrow_mut();
            if matches!(s.0, Opened::Pending) {
                s.1.push(cx.waker().clone());
                Poll::Pending
            } else {
                Poll::Ready(s.0.clone())
            }
        })
        .await
    }

    /// Adds the test hooks `window.shoal.storeCorrupt(infoHash, piece, length)`, which
    /// overwrites a stored piece with `length` bytes that are not its own (a promise of whether
    /// it wrote), and `window.shoal.storeClear()`, which empties the store once it is open (a
    /// promise of whether it did; tests that must download start with it), and
    /// `window.shoal.storeQuota(bytes)`, which makes the store's writes fail as the browser's
    /// `QuotaExceededError` does once they would hold more than `bytes` (a promise of whether
    /// it was set; Chromium ignores CDP's quota override, see docs/store.md).
    pub(crate) fn expose_test_hook(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let cache = self.clone();
        let corrupt = Closure::<dyn Fn(String, u32, u32) -> Promise>::new(
            move |id: String, piece: u32, length: u32| {
                let cache = cache.clone();
                wasm_bindgen_futures::future_to_promise(async move {
                    let garbage: Vec<u8> = (0..length).map(|i| (i % 251) as u8 ^ 0x5a).collect();
                    let wrote = match cache.settled().await {
                        Opened::Ready(s) => s.corrupt_piece(&id, piece, &garbage).await,
                        Opened::Pending | Opened::Failed(_) => false,
                    };
                    Ok(JsValue::from_bool(wrote))
                })
            },
        );
        let shoal = Reflect::get(&window, &"shoal".into())
            .ok()
            .filter(JsValue::is_object)
            .unwrap_or_else(|| Object::new().into());
        let cache = self.clone();
        let clear = Closure::<dyn Fn() -> Promise>::new(move || {
            let cache = cache.clone();
            wasm_bindgen_futures::future_to_promise(async move {
                let cleared = match cache.settled().await {
                    Opened::Ready(s) => s.clear().await.is_ok(),
                    Opened::Pending | Opened::Failed(_) => false,
                };
                Ok(JsValue::from_bool(cleared))
            })
        });
        let f: &Function = corrupt.as_ref().unchecked_ref();
        let _ = Reflect::set(&shoal, &"storeCorrupt".into(), f);
        let f: &Function = clear.as_ref().unchecked_ref();
        let _ = Reflect::set(&shoal, &"storeClear".into(), f);
        let cache = self.clone();
        let quota = Closure::<dyn Fn(f64) -> Promise>::new(move |bytes: f64| {
            let cache = cache.clone();
            wasm_bindgen_futures::future_to_promise(async move {
                let set = match cache.settled().await {
                    Opened::Ready(s) => {
                        s.simulate_quota(Some(bytes as u64));
                        true
                    }
                    Opened::Pending | Opened::Failed(_) => false,
                };
                Ok(JsValue::from_bool(set))
            })
        });
        let f: &Function = quota.as_ref().unchecked_ref();
        let _ = Reflect::set(&shoal, &"storeQuota".into(), f);
        let _ = Reflect::set(&window, &"shoal".into(), &shoal);
        corrupt.forget();
        clear.forget();
        quota.forget();
    }
}

/// Wall-clock ms since the Unix epoch; `globalThis.__shoalNow()` replaces it when a test
/// defines it (expiry is checked with injected time).
pub(crate) fn wall_clock_ms() -> f64 {
    Reflect::get(&js_sys::global(), &"__shoalNow".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .and_then(|f| f.call0(&JsValue::UNDEFINED).ok())
        .and_then(|v| v.as_f64())
        .unwrap_or_else(js_sys::Date::now)
}
