//! The store in the browser: opening it (index, expiry, estimate, persist), the batched
//! writer, and [`TorrentStore`], one torrent's link between its platform and the store.

use std::{
    cell::{Cell, RefCell},
    future::poll_fn,
    rc::Rc,
    task::{Poll, Waker},
};
use vecmap::{VecMap, VecSet};

use js_sys::Reflect;
use session::Event;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::{
    idb::{Db, DbError, PieceWrite},
    index::{Index, Item, ItemKind},
    locks::{Lock, Locks},
    Inner, Store, StoreError, StoreSettings, BATCH_BYTES,
};
use crate::cell::Sink;

/// What a write's answer goes to.
type Done = Box<dyn FnOnce(Result<(), swarm::StoreError>)>;

/// A piece waiting to be written.
struct Queued {
    id: String,
    piece: u32,
    data: Rc<Vec<u8>>,
    done: Done,
}

/// A piece of the batch being written: item, piece, bytes.
type Unwritten = (String, u32, Rc<Vec<u8>>);

/// The write queue, shared by every torrent of the tab.
#[derive(Default)]
pub(crate) struct Writer {
    queue: RefCell<Vec<Queued>>,
    /// The batch being written (reads of its pieces are answered from here).
    inflight: RefCell<Vec<Unwritten>>,
    flushing: Cell<bool>,
    locks: Locks,
}

const MS_PER_DAY: f64 = 86_400_000.0;

fn db_error(e: DbError) -> StoreError {
    match e {
        DbError::Quota | DbError::OverLimit => {
            StoreError::Failed("the browser's storage quota is used up".into())
        }
        DbError::Other(s) => StoreError::Failed(s),
    }
}

/// Wall-clock ms since the Unix epoch; `globalThis.__shoalNow()` replaces it when defined (the
/// e2e tests inject time to check expiry).
pub(crate) fn wall_clock_ms() -> f64 {
    let hook = Reflect::get(&js_sys::global(), &"__shoalNow".into()).ok();
    hook.and_then(|f| wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok())
        .and_then(|f| f.call0(&JsValue::UNDEFINED).ok())
        .and_then(|v| v.as_f64())
        .unwrap_or_else(js_sys::Date::now)
}

async fn storage_call(method: &str) -> Option<JsValue> {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let storage = Reflect::get(&navigator, &"storage".into()).ok()?;
    let f = Reflect::get(&storage, &method.into()).ok()?;
    let f: js_sys::Function = wasm_bindgen::JsCast::dyn_into(f).ok()?;
    let promise: js_sys::Promise = wasm_bindgen::JsCast::dyn_into(f.call0(&storage).ok()?).ok()?;
    JsFuture::from(promise).await.ok()
}

pub(super) async fn open(settings: StoreSettings, now_ms: f64) -> Result<Store, StoreError> {
    let db = Db::open()
        .await
        .map_err(|e| StoreError::Unavailable(format!("{e:?}")))?;
    let items = db.items().await.map_err(db_error)?;
    let keys = db.piece_keys().await.map_err(db_error)?;
    let mut infos: VecMap<String, Vec<u8>> =
        db.infos().await.map_err(db_error)?.into_iter().collect();
    let mut index = Index {
        items: items.into_iter().map(|i| (i.id.clone(), i)).collect(),
    };
    let mut pieces: VecMap<String, VecSet<u32>> = VecMap::new();
    for (id, p) in keys {
        pieces.entry(id).or_default().insert(p);
    }
    // Stored bytes follow the pieces really there (a crash between writes cannot skew them).
    let ids: Vec<String> = index.items.keys().cloned().collect();
    for id in ids {
        index.recount(&id, pieces.get(&id).map_or(0, VecSet::len));
    }
    // Pieces without an item record are unreachable: delete them with the expired items.
    let mut gone = index.expired(now_ms, f64::from(settings.expiry_days) * MS_PER_DAY);
    gone.extend(
        pieces
            .keys()
            .filter(|id| !index.items.contains_key(*id))
            .cloned(),
    );
    if !gone.is_empty() {
        let documents = super::documents::going_with(&infos, &index, &gone);
        gone.extend(documents);
        db.delete(&gone).await.map_err(db_error)?;
        for id in &gone {
            index.items.remove(id);
            pieces.remove(id);
            infos.remove(id);
        }
    }
    let quota = storage_call("estimate")
        .await
        .and_then(|e| Reflect::get(&e, &"quota".into()).ok())
        .and_then(|q| q.as_f64());
    let limit = quota.map_or(settings.limit_bytes, |q| settings.limit_bytes.min(q as u64));
    let store = Store {
        inner: Rc::new(Inner {
            db,
            settings,
            limit: Cell::new(limit),
            index: RefCell::new(index),
            pieces: RefCell::new(pieces),
            infos: RefCell::new(infos),
            pinned: RefCell::new(VecMap::new()),
            persisted: Cell::new(None),
            notice: RefCell::new(None),
            full: Cell::new(false),
            simulated_quota: Cell::new(None),
            writer: Writer::default(),
        }),
    };
    // Asked, not awaited: Firefox answers `persist()` only once the viewer answers its
    // permission prompt, which may be never; the store works meanwhile.
    let asking = store.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let granted = storage_call("persist").await.and_then(|v| v.as_bool());
        asking.inner.persisted.set(granted);
    });
    Ok(store)
}

impl Store {
    /// Describes item `id` (created if new) and marks it used now.
    pub(crate) fn describe(&self, id: &str, title: &str, kind: ItemKind, total: u64, plen: u64) {
        let now = wall_clock_ms();
        let mut index = self.inner.index.borrow_mut();
        let item = index.items.entry(id.to_owned()).or_insert_with(|| Item {
            id: id.to_owned(),
            title: title.to_owned(),
            kind,
            total_bytes: total,
            stored_bytes: 0,
            piece_length: plen,
            last_used_ms: now,
            seeded_bytes: 0,
            stream: None,
            segments: 0,
        });
        item.title = title.to_owned();
        item.last_used_ms = now;
        let saved = item.stored_bytes > 0;
        let copy = item.clone();
        drop(index);
        if saved {
            self.save_later(copy);
        }
    }

    /// Keeps the info dict of item `id` (once; it never changes for an info hash).
    pub(crate) fn keep_info(&self, id: &str, info: &[u8]) {
        if self.inner.infos.borrow().contains_key(id) {
            return;
        }
        self.inner
            .infos
            .borrow_mut()
            .insert(id.to_owned(), info.to_vec());
        let (store, id, info) = (self.clone(), id.to_owned(), info.to_vec());
        wasm_bindgen_futures::spawn_local(async move {
            // Without it a magnet asks peers for the metadata again: nothing worse.
            let _ = store.inner.db.put_info(&id, &info).await;
        });
    }

    /// Records `bytes` more uploaded from item `id`.
    pub(crate) fn add_seeded(&self, id: &str, bytes: u64) {
        if let Some(item) = self.inner.index.borrow_mut().items.get_mut(id) {
            item.seeded_bytes += bytes;
        }
    }

    fn save_later(&self, item: Item) {
        let store = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // Only an index record: failing to save it loses a date, nothing else.
            let _ = store.inner.db.save_items(&[item]).await;
        });
    }

    /// Saves the index records of items whose figures moved (seeded bytes, last used).
    pub(crate) fn save_item(&self, id: &str) {
        let item = self.inner.index.borrow().items.get(id).cloned();
        if let Some(item) = item.filter(|i| i.stored_bytes > 0) {
            self.save_later(item);
        }
    }

    fn pin(&self, id: &str) {
        *self
            .inner
            .pinned
            .borrow_mut()
            .entry(id.to_owned())
            .or_default() += 1;
    }

    fn unpin(&self, id: &str) {
        let mut pinned = self.inner.pinned.borrow_mut();
        if let Some(n) = pinned.get_mut(id) {
            *n -= 1;
            if *n == 0 {
                pinned.remove(id);
            }
        }
    }

    fn enqueue(&self, id: &str, piece: u32, data: Vec<u8>, done: Done) {
        let w = &self.inner.writer;
        w.queue.borrow_mut().push(Queued {
            id: id.to_owned(),
            piece,
            data: Rc::new(data),
            done,
        });
        if !w.flushing.replace(true) {
            let store = self.clone();
            wasm_bindgen_futures::spawn_local(async move { store.flush().await });
        }
    }

    /// A piece still waiting to be written or being written.
    fn unwritten(&self, id: &str, piece: u32) -> Option<Rc<Vec<u8>>> {
        let w = &self.inner.writer;
        let inflight = w.inflight.borrow();
        let found = inflight
            .iter()
            .rev()
            .find(|(i, p, _)| i == id && *p == piece)
            .map(|(_, _, d)| Rc::clone(d));
        found.or_else(|| {
            w.queue
                .borrow()
                .iter()
                .rev()
                .find(|q| q.id == id && q.piece == piece)
                .map(|q| Rc::clone(&q.data))
        })
    }

    /// Writes the queue out, a batch a transaction, until it is empty.
    async fn flush(&self) {
        let w = &self.inner.writer;
        loop {
            let (batch, waiting) = self.next_batch();
            if batch.is_empty() {
                if waiting {
                    // Lock answers are still out: look again shortly.
                    gloo::timers::future::TimeoutFuture::new(20).await;
                    continue;
                }
                w.flushing.set(false);
                return;
            }
            *w.inflight.borrow_mut() = batch
                .iter()
                .map(|q| (q.id.clone(), q.piece, Rc::clone(&q.data)))
                .collect();
            let result = self.write_batch(&batch).await;
            w.inflight.borrow_mut().clear();
            for q in batch {
                (q.done)(result);
            }
            // Give the page a turn between batches.
            gloo::timers::future::TimeoutFuture::new(0).await;
        }
    }

    /// Up to [`BATCH_BYTES`] of queued writes whose items this tab may write; writes of items
    /// another tab holds are answered at once. Also whether writes wait on a lock answer.
    fn next_batch(&self) -> (Vec<Queued>, bool) {
        let w = &self.inner.writer;
        let queued = std::mem::take(&mut *w.queue.borrow_mut());
        let (mut batch, mut rest, mut bytes, mut waiting) = (Vec::new(), Vec::new(), 0, false);
        for q in queued {
            match w.locks.state(&q.id) {
                Lock::Denied => (q.done)(Err(swarm::StoreError::Failed)),
                Lock::Pending => {
                    waiting = true;
                    rest.push(q);
                }
                Lock::Held if bytes < BATCH_BYTES => {
                    bytes += q.data.len();
                    batch.push(q);
                }
                Lock::Held => rest.push(q),
            }
        }
        // New writes queued while this ran go after the ones held back.
        let mut queue = w.queue.borrow_mut();
        rest.append(&mut queue);
        *queue = rest;
        (batch, waiting)
    }

    /// One transaction: evictions to make room, the pieces, their items' records. Quota
    /// errors evict every item not playing and retry once.
    async fn write_batch(&self, batch: &[Queued]) -> Result<(), swarm::StoreError> {
        let mut result = self.try_write(batch, false).await;
        if result == Err(DbError::Quota) {
            result = self.try_write(batch, true).await;
        }
        match result {
            Ok(()) => {
                // A failure's notice ends with a write that works; "full" stays until room
                // is made (a delete): the video that did not fit is not kept whole.
                if !self.inner.full.get() && self.inner.notice.borrow().is_some() {
                    *self.inner.notice.borrow_mut() = None;
                }
                Ok(())
            }
            Err(DbError::Quota | DbError::OverLimit) => {
                self.inner.full.set(true);
                *self.inner.notice.borrow_mut() = Some(
                    "The download store is full and nothing can be evicted: this video plays \
                     from memory and will not be kept."
                        .to_owned(),
                );
                Err(swarm::StoreError::Quota)
            }
            Err(DbError::Other(e)) => {
                *self.inner.notice.borrow_mut() = Some(format!(
                    "The download store failed ({e}): playing from memory."
                ));
                Err(swarm::StoreError::Failed)
            }
        }
    }

    async fn try_write(&self, batch: &[Queued], evict_all: bool) -> Result<(), DbError> {
        let now = wall_clock_ms();
        // The items' records as they will be once the batch lands.
        let mut items: VecMap<String, Item> = VecMap::new();
        let mut incoming = 0u64;
        {
            let index = self.inner.index.borrow();
            let pieces = self.inner.pieces.borrow();
            for q in batch {
                let item = items.entry(q.id.clone()).or_insert_with(|| {
                    index.items.get(&q.id).cloned().unwrap_or_else(|| Item {
                        id: q.id.clone(),
                        title: q.id.clone(),
                        kind: ItemKind::Torrent,
                        total_bytes: 0,
                        stored_bytes: 0,
                        piece_length: 0,
                        last_used_ms: now,
                        seeded_bytes: 0,
                        stream: None,
                        segments: 0,
                    })
                });
                let known = pieces.get(&q.id).is_some_and(|s| s.contains(&q.piece));
                if !known {
                    let len = q.data.len() as u64;
                    item.stored_bytes = (item.stored_bytes + len).min(item.total_bytes.max(len));
                    incoming += len;
                }
                item.last_used_ms = now;
            }
        }
        // What plays now and what this batch writes are never evicted.
        let mut keep: VecSet<String> = self.inner.pinned.borrow().keys().cloned().collect();
        keep.extend(items.keys().cloned());
        let mut evict: Vec<String> = {
            let index = self.inner.index.borrow();
            if evict_all {
                // The browser's quota ran out below our limit: everything else goes.
                index
                    .items
                    .keys()
                    .filter(|id| !keep.contains(*id))
                    .cloned()
                    .collect()
            } else {
                index
                    .victims(incoming, self.inner.limit.get(), &keep)
                    .ok_or(DbError::OverLimit)?
            }
        };
        // Their kept documents (playlist, .torrent file) go in the same transaction.
        if !evict.is_empty() {
            let documents = self.documents_going_with(&evict);
            evict.extend(documents);
        }
        let writes: Vec<PieceWrite<'_>> = batch
            .iter()
            .map(|q| PieceWrite {
                id: &q.id,
                piece: q.piece,
                data: &q.data,
            })
            .collect();
        let records: Vec<Item> = items.values().cloned().collect();
        if let Some(quota) = self.inner.simulated_quota.get() {
            let index = self.inner.index.borrow();
            let freed: u64 = evict
                .iter()
                .filter_map(|id| index.items.get(id))
                .map(|i| i.stored_bytes)
                .sum();
            if index.used() - freed + incoming > quota {
                return Err(DbError::Quota);
            }
        }
        self.inner.db.write(&evict, &writes, &records).await?;
        self.forget(&evict);
        let mut index = self.inner.index.borrow_mut();
        let mut pieces = self.inner.pieces.borrow_mut();
        for q in batch {
            pieces.entry(q.id.clone()).or_default().insert(q.piece);
        }
        for (id, item) in items {
            index.items.insert(id, item);
        }
        Ok(())
    }
}

/// A one-shot slot a callback fills and a task awaits.
struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

pub(super) async fn put_segment(
    store: &Store,
    id: &str,
    playlist: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Result<(), StoreError> {
    let total = bytes.len() as u64;
    store.describe(id, name, ItemKind::HlsSegment, total, 0);
    if let Some(item) = store.inner.index.borrow_mut().items.get_mut(id) {
        item.stream = Some(playlist.to_owned());
    }
    let slot = Rc::new(RefCell::new(Slot {
        value: None,
        waker: None,
    }));
    let fill = Rc::clone(&slot);
    store.enqueue(
        id,
        0,
        bytes,
        Box::new(move |r| {
            let mut s = fill.borrow_mut();
            s.value = Some(r);
            if let Some(w) = s.waker.take() {
                w.wake();
            }
        }),
    );
    let result = poll_fn(|cx| {
        let mut s = slot.borrow_mut();
        match s.value.take() {
            Some(r) => Poll::Ready(r),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    })
    .await;
    result.map_err(|e| StoreError::Failed(e.to_string()))
}

pub(super) async fn get_segment(store: &Store, id: &str, length: u64) -> Option<Vec<u8>> {
    let bytes = match store.unwritten(id, 0) {
        Some(d) => d.as_ref().clone(),
        None => store.inner.db.read(id, 0).await.ok()??,
    };
    if bytes.len() as u64 != length {
        return None;
    }
    if let Some(item) = store.inner.index.borrow_mut().items.get_mut(id) {
        item.last_used_ms = wall_clock_ms();
    }
    Some(bytes)
}

/// An item marked as playing (never evicted) until released: by its torrent's `destroy`, or
/// when the last holder lets go (a destroyed torrent's platform may outlive it a while).
pub(crate) struct Playing {
    store: Store,
    id: String,
    held: Cell<bool>,
}

impl Playing {
    pub(crate) fn new(store: Store, id: String) -> Rc<Self> {
        store.pin(&id);
        Rc::new(Self {
            store,
            id,
            held: Cell::new(true),
        })
    }

    /// Unmarks the item (once) and saves its record's figures.
    pub(crate) fn release(&self) {
        if self.held.replace(false) {
            self.store.unpin(&self.id);
            self.store.save_item(&self.id);
        }
    }
}

impl Drop for Playing {
    fn drop(&mut self) {
        self.release();
    }
}

/// One torrent's link to the store, held by its platform: writes and reads of its pieces,
/// answered through the torrent's sink.
pub(crate) struct TorrentStore {
    store: Store,
    id: String,
    sink: Sink,
    _playing: Rc<Playing>,
}

impl TorrentStore {
    pub(crate) fn new(store: Store, id: String, sink: Sink, playing: Rc<Playing>) -> Self {
        Self {
            store,
            id,
            sink,
            _playing: playing,
        }
    }

    pub(crate) fn write(&self, piece: u32, data: Vec<u8>) {
        let sink = Rc::clone(&self.sink);
        let done: Done = Box::new(move |result| sink(Event::PieceStored { piece, result }));
        self.store.enqueue(&self.id, piece, data, done);
    }

    pub(crate) fn read(&self, piece: u32) {
        let sink = Rc::clone(&self.sink);
        let store = self.store.clone();
        let id = self.id.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let result = match store.unwritten(&id, piece) {
                Some(d) => Ok(d.as_ref().clone()),
                None => match store.inner.db.read(&id, piece).await {
                    Ok(Some(bytes)) => Ok(bytes),
                    Ok(None) => Err(swarm::StoreError::Missing),
                    Err(_) => Err(swarm::StoreError::Failed),
                },
            };
            if result.is_err() {
                // The engine fetches it again; the index must not count it meanwhile (nor its
                // bytes, which used to be recounted only when the store next opened).
                let held = store.inner.pieces.borrow_mut().get_mut(&id).map(|s| {
                    s.remove(&piece);
                    s.len()
                });
                if let Some(held) = held {
                    store.inner.index.borrow_mut().recount(&id, held);
                }
            }
            sink(Event::PieceLoaded { piece, result });
        });
    }
}
