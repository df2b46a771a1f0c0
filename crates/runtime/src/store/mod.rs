//! The browser's persistent store: verified torrent pieces and HLS segments in IndexedDB, so
//! a reload resumes, a replay needs no network, what was watched keeps being seeded, and a
//! file larger than memory streams through a bounded window.
//!
//! # What it promises
//!
//! * Only verified bytes are written (the engine hands out pieces that passed SHA-1), and
//!   nothing read back is trusted: the engine checks length and SHA-1 again
//!   (`swarm::Config::external_store`), so a damaged entry is dropped and fetched again.
//! * Writes are batched ([`BATCH_BYTES`] a transaction); a batch lands whole or not at all.
//! * A size limit (default [`DEFAULT_LIMIT_BYTES`], clamped to `navigator.storage.estimate()`),
//!   least recently used items evicted first, never an item that plays now; items unused for
//!   the expiry (default 7 days) are removed when the store opens.
//! * `QuotaExceededError` evicts and retries once; if nothing can be evicted, the pieces stay
//!   in memory only and [`Store::notice`] says so.
//! * One writer per item across tabs (Web Locks): a second tab playing the same torrent reads
//!   the store but leaves writing it to the first.
//! * [`Store::put_segment`] / [`Store::get_segment`]: HLS segments, each stored as piece 0 of
//!   an item keyed by the segment torrent's info hash (the HLS loader's seam).
//! * [`Store::keep_playlist`] / [`Store::playlist`] and [`Store::keep_torrent_file`] /
//!   [`Store::torrent_file`]: the documents a source needs besides its bytes (a VOD or master
//!   playlist's text, a .torrent file), by URL, so what was watched replays offline from the
//!   address it was opened with; deleted, evicted and expired with their item.

mod documents;
mod index;

#[cfg(target_family = "wasm")]
mod browser;
#[cfg(target_family = "wasm")]
mod idb;
#[cfg(target_family = "wasm")]
mod locks;
#[cfg(all(test, target_family = "wasm"))]
mod tests;

pub use index::{Item, ItemKind};

#[cfg(target_family = "wasm")]
pub(crate) use browser::{Playing, TorrentStore};

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};
use vecmap::{VecMap, VecSet};

use index::Index;

/// Default total size of the store: 2 GiB.
pub const DEFAULT_LIMIT_BYTES: u64 = 2 << 30;
/// Default expiry of an unused item: 7 days.
pub const DEFAULT_EXPIRY_DAYS: u32 = 7;
/// Most bytes written in one IndexedDB transaction.
pub const BATCH_BYTES: usize = 2 << 20;

/// How long opening the store may take before the player goes on without it.
#[cfg(target_family = "wasm")]
const OPEN_TIMEOUT_MS: u32 = 10_000;

/// How the store behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSettings {
    /// Most bytes kept (the browser's quota may lower it).
    pub limit_bytes: u64,
    /// Items unused this many days are removed when the store opens.
    pub expiry_days: u32,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            limit_bytes: DEFAULT_LIMIT_BYTES,
            expiry_days: DEFAULT_EXPIRY_DAYS,
        }
    }
}

/// Why the store could not do something, as a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Not in a browser, or the browser has no IndexedDB (some private modes).
    #[error("this browser gives Shoal no persistent storage (IndexedDB): {0}")]
    Unavailable(String),
    /// An IndexedDB call failed.
    #[error("the download store failed: {0}")]
    Failed(String),
}

/// Figures of the store for the stats panel and the Downloads page.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct StoreFigures {
    /// Bytes stored, all items.
    pub store_bytes: u64,
    /// The size limit in force (the setting, clamped to the browser's quota).
    pub store_limit_bytes: u64,
    /// Whether the browser granted persistent storage (`None`: not answered or no API).
    pub persisted: Option<bool>,
    /// What went wrong, when the store is not keeping what plays (full, failing).
    pub notice: Option<String>,
}

/// The shared state behind [`Store`] handles.
struct Inner {
    #[cfg(target_family = "wasm")]
    db: idb::Db,
    settings: StoreSettings,
    /// The limit in force.
    limit: Cell<u64>,
    index: RefCell<Index>,
    /// Stored pieces per item.
    pieces: RefCell<VecMap<String, VecSet<u32>>>,
    /// Info dicts of stored torrents, by item id; kept documents (playlists, .torrent files)
    /// by their key (`documents.rs`).
    infos: RefCell<VecMap<String, Vec<u8>>>,
    /// Items playing now (never evicted), with how many handles hold them.
    pinned: RefCell<VecMap<String, usize>>,
    persisted: Cell<Option<bool>>,
    notice: RefCell<Option<String>>,
    /// Whether a write found no room (the notice then stays until a delete makes room).
    full: Cell<bool>,
    /// Test hook: a quota the writes meet as `QuotaExceededError` ([`Store::simulate_quota`]).
    simulated_quota: Cell<Option<u64>>,
    #[cfg(target_family = "wasm")]
    writer: browser::Writer,
}

/// The tab's persistent store. Cheap to clone; open it once with [`Store::open`].
#[derive(Clone)]
pub struct Store {
    inner: Rc<Inner>,
}

impl Store {
    /// Opens the store: reads the index, removes expired items, clamps the limit to the
    /// browser's estimate and asks for persistent storage. `now_ms` is the wall clock in ms
    /// since the Unix epoch (injected so expiry can be tested).
    pub async fn open(settings: StoreSettings, now_ms: f64) -> Result<Self, StoreError> {
        #[cfg(target_family = "wasm")]
        {
            // A browser that never answers (IndexedDB blocked by another tab's upgrade, a
            // permission it waits on) must not keep the player waiting: play from memory.
            let opening = std::pin::pin!(browser::open(settings, now_ms));
            let late = gloo::timers::future::TimeoutFuture::new(OPEN_TIMEOUT_MS);
            match futures_util::future::select(opening, late).await {
                futures_util::future::Either::Left((opened, _)) => opened,
                futures_util::future::Either::Right(_) => Err(StoreError::Unavailable(format!(
                    "the browser did not open IndexedDB within {} s",
                    OPEN_TIMEOUT_MS / 1000
                ))),
            }
        }
        #[cfg(not(target_family = "wasm"))]
        {
            let _ = (settings, now_ms);
            Err(StoreError::Unavailable("not in a browser".to_owned()))
        }
    }

    /// Every cached item, most recently used first; the stored segments of one HLS stream are
    /// one item (kind [`ItemKind::HlsStream`], id its playlist URL).
    pub fn items(&self) -> Vec<Item> {
        self.inner.index.borrow().listing()
    }

    /// The store's figures.
    pub fn figures(&self) -> StoreFigures {
        StoreFigures {
            store_bytes: self.inner.index.borrow().used(),
            store_limit_bytes: self.inner.limit.get(),
            persisted: self.inner.persisted.get(),
            notice: self.inner.notice.borrow().clone(),
        }
    }

    /// The settings it was opened with.
    pub fn settings(&self) -> StoreSettings {
        self.inner.settings
    }

    /// Stored pieces of item `id` (a torrent's info hash, lowercase hex).
    pub fn stored_pieces(&self, id: &str) -> Vec<u32> {
        self.inner
            .pieces
            .borrow()
            .get(id)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The info dict kept for item `id`, if any (a magnet then starts without peers).
    pub fn info_dict(&self, id: &str) -> Option<Vec<u8>> {
        self.inner.infos.borrow().get(id).cloned()
    }

    /// Deletes one item with its bytes (an HLS stream's id: every segment of it, and its
    /// playlist).
    pub async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let mut ids = self.inner.index.borrow().members(id);
        let mut named = ids.clone();
        named.push(id.to_owned());
        ids.extend(self.documents_going_with(&named));
        self.delete_many(ids).await
    }

    /// Deletes every item that is not playing now.
    pub async fn clear(&self) -> Result<(), StoreError> {
        let mut ids: Vec<String> = {
            let pinned = self.inner.pinned.borrow();
            self.inner
                .index
                .borrow()
                .items
                .keys()
                .filter(|id| !pinned.contains_key(*id))
                .cloned()
                .collect()
        };
        ids.extend(self.all_documents());
        self.delete_many(ids).await
    }

    async fn delete_many(&self, ids: Vec<String>) -> Result<(), StoreError> {
        #[cfg(target_family = "wasm")]
        {
            self.inner
                .db
                .delete(&ids)
                .await
                .map_err(|e| StoreError::Failed(format!("{e:?}")))?;
        }
        self.forget(&ids);
        // Room was made: a "store is full" notice no longer holds.
        self.inner.full.set(false);
        *self.inner.notice.borrow_mut() = None;
        Ok(())
    }

    /// Drops items from the in-memory index (after their records went).
    fn forget(&self, ids: &[String]) {
        let mut index = self.inner.index.borrow_mut();
        let mut pieces = self.inner.pieces.borrow_mut();
        let mut infos = self.inner.infos.borrow_mut();
        for id in ids {
            index.items.remove(id);
            pieces.remove(id);
            infos.remove(id);
        }
    }

    /// Test hook: from now on a write that would leave more than `bytes` stored fails as the
    /// browser's `QuotaExceededError` does (evict and retry, then the notice). The real error
    /// cannot be caused in a test: Chromium ignores CDP's `Storage.overrideQuotaForOrigin`.
    pub fn simulate_quota(&self, bytes: Option<u64>) {
        self.inner.simulated_quota.set(bytes);
    }

    /// Test hook: replaces the stored bytes of piece `piece` of item `id` with `data`, leaving
    /// the index alone, to check that a damaged entry is caught when read. Whether it wrote.
    pub async fn corrupt_piece(&self, id: &str, piece: u32, data: &[u8]) -> bool {
        #[cfg(target_family = "wasm")]
        {
            self.inner.db.overwrite(id, piece, data).await.is_ok()
        }
        #[cfg(not(target_family = "wasm"))]
        {
            let _ = (id, piece, data);
            false
        }
    }

    /// Keeps an HLS segment (its per-segment torrent's info hash, lowercase hex, and its
    /// verified bytes) under the same limit and expiry as torrents. `playlist` is the URL of
    /// the playlist that listed it: the segments of one playlist are one Downloads item.
    /// `name` is the segment's file name.
    pub async fn put_segment(
        &self,
        info_hash: &str,
        playlist: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<(), StoreError> {
        #[cfg(target_family = "wasm")]
        {
            browser::put_segment(self, info_hash, playlist, name, bytes).await
        }
        #[cfg(not(target_family = "wasm"))]
        {
            let _ = (info_hash, playlist, name, bytes);
            Err(StoreError::Unavailable("not in a browser".to_owned()))
        }
    }

    /// A stored HLS segment of `length` bytes, or `None`. The bytes are as stored: check
    /// them against the segment's piece hashes before use.
    pub async fn get_segment(&self, info_hash: &str, length: u64) -> Option<Vec<u8>> {
        #[cfg(target_family = "wasm")]
        {
            browser::get_segment(self, info_hash, length).await
        }
        #[cfg(not(target_family = "wasm"))]
        {
            let _ = (info_hash, length);
            None
        }
    }
}
