//! The IndexedDB layer, through the `idb` crate: one database `shoal-store` with two object
//! stores — `pieces` (key `[info hash hex, piece index, chunk index]`, value [`CHUNK_BYTES`]
//! of the piece's bytes as an `ArrayBuffer`; records of an older version are one
//! `[info hash hex, piece index]` record a piece, still read) and `items` (key path `id`, value
//! an [`Item`]). Every call is one transaction; a batch of writes is one transaction, so a
//! batch lands whole or not at all.

use idb::{
    DatabaseEvent, Factory, KeyPath, KeyRange, ObjectStoreParams, Query, TransactionMode,
    TransactionResult,
};
use std::cell::RefCell;

use js_sys::{Array, ArrayBuffer, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use super::index::Item;

const DB_NAME: &str = "shoal-store";
const DB_VERSION: u32 = 1;
const PIECES: &str = "pieces";
const ITEMS: &str = "items";
/// Info dicts of stored torrents (key: info hash hex; value: the bencoded dict), so a magnet
/// resumes without asking peers for the metadata — offline too; and the text of kept HLS
/// playlists (key: `playlist:` and the URL; value: the UTF-8 text).
const INFOS: &str = "infos";

/// The bytes of one record of `pieces`: a piece is stored as records of this size (the last
/// one shorter). Why not one record a piece: Chromium keeps values over 64 KiB in a blob
/// beside the database, and reading such a value back leaves the page's memory far higher
/// (reading 300 MiB of 1 MiB records raised the renderer by ≈ 180 MiB, of 32 KiB records by
/// ≈ 60–80 MiB, in `bench/browser/store-memory.mjs`'s Chromium; docs/benchmarks.md). Smaller
/// records cost write speed (≈ 60 MiB/s against ≈ 135 at 1 MiB, still far above a download).
pub(crate) const CHUNK_BYTES: usize = 32 << 10;

/// Why an IndexedDB call failed, as the store needs to tell it apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DbError {
    /// `QuotaExceededError`: the origin's storage is full.
    Quota,
    /// Not sent: the store's own size limit leaves no room (even after evicting all it may).
    OverLimit,
    /// Anything else, as a sentence.
    Other(String),
}

impl From<idb::Error> for DbError {
    fn from(e: idb::Error) -> Self {
        if let idb::Error::DomException(d) = &e {
            if d.name() == "QuotaExceededError" {
                return Self::Quota;
            }
        }
        Self::Other(e.to_string())
    }
}

/// One write of a batch.
pub(crate) struct PieceWrite<'a> {
    pub(crate) id: &'a str,
    pub(crate) piece: u32,
    pub(crate) data: &'a [u8],
}

/// The open database.
pub(crate) struct Db {
    db: idb::Database,
    /// The JS buffer each piece is copied into on its way to `put`, reused: `put` clones its
    /// value when called, so one buffer serves every write of the same length, where a fresh
    /// `ArrayBuffer` per piece left a piece's worth of garbage for the collector each time
    /// (the page's memory swung by tens of MiB between collections).
    scratch: RefCell<Option<Uint8Array>>,
}

/// The key of a record of the older layout (a whole piece in one record).
fn piece_key(id: &str, piece: u32) -> JsValue {
    Array::of2(&JsValue::from_str(id), &JsValue::from(piece)).into()
}

/// The key of chunk `chunk` of a piece.
fn chunk_key(id: &str, piece: u32, chunk: usize) -> JsValue {
    Array::of3(
        &JsValue::from_str(id),
        &JsValue::from(piece),
        &JsValue::from(chunk as u32),
    )
    .into()
}

/// Every record of one piece, in either layout: `[id, piece]` up to `[id, piece, +∞]`.
fn piece_range(id: &str, piece: u32) -> Result<KeyRange, DbError> {
    let upper: JsValue = Array::of3(
        &JsValue::from_str(id),
        &JsValue::from(piece),
        &JsValue::from(f64::INFINITY),
    )
    .into();
    Ok(KeyRange::bound(&piece_key(id, piece), &upper, None, None)?)
}

/// Every key of item `id`: `[id, 0]` up to `[id, +∞]`.
fn item_range(id: &str) -> Result<KeyRange, DbError> {
    let lower = piece_key(id, 0);
    let upper: JsValue = Array::of2(&JsValue::from_str(id), &JsValue::from(f64::INFINITY)).into();
    Ok(KeyRange::bound(&lower, &upper, None, None)?)
}

/// `(item id, piece)` of a key `[id, piece, …]`, or `None` for a key of another shape.
fn parse_piece_key(key: &JsValue) -> Option<(String, u32)> {
    let a: &Array = key.dyn_ref()?;
    let id = a.get(0).as_string()?;
    let piece = a.get(1).as_f64()?;
    let whole = piece >= 0.0 && piece <= f64::from(u32::MAX) && piece.fract() == 0.0;
    whole.then_some((id, piece as u32))
}

fn to_js(item: &Item) -> Result<JsValue, DbError> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    serde::Serialize::serialize(item, &ser).map_err(|e| DbError::Other(e.to_string()))
}

/// Commits `tx` and waits for it. `handle` is another handle on the same transaction (from one
/// of its object stores): a commit refused for quota fires only `abort`, with the reason in
/// the transaction's `error`, which the awaited handle no longer gives access to.
async fn done(tx: idb::Transaction, handle: idb::Transaction) -> Result<(), DbError> {
    match tx.commit()?.await? {
        TransactionResult::Committed => Ok(()),
        TransactionResult::Aborted => match handle.error() {
            Some(e) if e.name() == "QuotaExceededError" => Err(DbError::Quota),
            Some(e) => Err(DbError::Other(format!("{}: {}", e.name(), e.message()))),
            None => Err(DbError::Other("the transaction was aborted".into())),
        },
    }
}

impl Db {
    /// Opens (creating on first use) the database.
    pub(crate) async fn open() -> Result<Self, DbError> {
        let factory = Factory::new()?;
        let mut request = factory.open(DB_NAME, Some(DB_VERSION))?;
        request.on_upgrade_needed(|event| {
            // A fresh database: the object stores. (Later versions would migrate here.)
            let Ok(db) = event.database() else { return };
            if !db.store_names().iter().any(|n| n == PIECES) {
                let _ = db.create_object_store(PIECES, ObjectStoreParams::new());
            }
            if !db.store_names().iter().any(|n| n == INFOS) {
                let _ = db.create_object_store(INFOS, ObjectStoreParams::new());
            }
            if !db.store_names().iter().any(|n| n == ITEMS) {
                let mut params = ObjectStoreParams::new();
                params.key_path(Some(KeyPath::new_single("id")));
                let _ = db.create_object_store(ITEMS, params);
            }
        });
        let db = request.await?;
        Ok(Self {
            db,
            scratch: RefCell::new(None),
        })
    }

    /// Every item record (ones that do not parse are skipped: a newer schema's).
    pub(crate) async fn items(&self) -> Result<Vec<Item>, DbError> {
        let tx = self.db.transaction(&[ITEMS], TransactionMode::ReadOnly)?;
        let values = tx.object_store(ITEMS)?.get_all(None, None)?.await?;
        Ok(values
            .into_iter()
            .filter_map(|v| serde_wasm_bindgen::from_value(v).ok())
            .collect())
    }

    /// Every info dict kept, by item id.
    pub(crate) async fn infos(&self) -> Result<Vec<(String, Vec<u8>)>, DbError> {
        let tx = self.db.transaction(&[INFOS], TransactionMode::ReadOnly)?;
        let store = tx.object_store(INFOS)?;
        let keys = store.get_all_keys(None, None)?.await?;
        let values = store.get_all(None, None)?.await?;
        Ok(keys
            .into_iter()
            .zip(values)
            .filter_map(|(k, v)| {
                let buf = v.dyn_into::<ArrayBuffer>().ok()?;
                Some((k.as_string()?, Uint8Array::new(&buf).to_vec()))
            })
            .collect())
    }

    /// Keeps an item's info dict.
    pub(crate) async fn put_info(&self, id: &str, info: &[u8]) -> Result<(), DbError> {
        let tx = self.db.transaction(&[INFOS], TransactionMode::ReadWrite)?;
        let value = Uint8Array::from(info).buffer();
        let store = tx.object_store(INFOS)?;
        store.put(&value, Some(&JsValue::from_str(id)))?;
        done(tx, store.transaction()).await
    }

    /// Every stored piece, as `(item id, piece)`, each once, in key order. A key cursor visits
    /// one record a piece and jumps past the piece's other chunks: listing every key made a
    /// JS array of ≈ 32 keys per MiB stored (65,536 for a 2 GiB store) when the store opened.
    pub(crate) async fn piece_keys(&self) -> Result<Vec<(String, u32)>, DbError> {
        let tx = self.db.transaction(&[PIECES], TransactionMode::ReadOnly)?;
        let store = tx.object_store(PIECES)?;
        let mut found: Vec<(String, u32)> = Vec::new();
        let Some(cursor) = store.open_key_cursor(None, None)?.await? else {
            return Ok(found);
        };
        let mut cursor = cursor.into_managed();
        while let Some(key) = cursor.key()? {
            match parse_piece_key(&key) {
                Some((id, piece)) => {
                    // `[id, piece + 1]` sorts after every `[id, piece, chunk]` and before
                    // the next piece's records.
                    let next: JsValue = Array::of2(
                        &JsValue::from_str(&id),
                        &JsValue::from(f64::from(piece) + 1.0),
                    )
                    .into();
                    found.push((id, piece));
                    cursor.next(Some(&next)).await?;
                }
                // A key of another shape (not written by this store): step over it.
                None => cursor.next(None).await?,
            }
        }
        Ok(found)
    }

    /// Writes pieces and item records in one transaction, after deleting the items `evict`.
    pub(crate) async fn write(
        &self,
        evict: &[String],
        pieces: &[PieceWrite<'_>],
        items: &[Item],
    ) -> Result<(), DbError> {
        let tx = self
            .db
            .transaction(&[PIECES, ITEMS, INFOS], TransactionMode::ReadWrite)?;
        let store = tx.object_store(PIECES)?;
        let index = tx.object_store(ITEMS)?;
        let infos = tx.object_store(INFOS)?;
        for id in evict {
            store.delete(Query::KeyRange(item_range(id)?))?;
            index.delete(Query::Key(JsValue::from_str(id)))?;
            infos.delete(Query::Key(JsValue::from_str(id)))?;
        }
        for w in pieces {
            self.put_piece(&store, w.id, w.piece, w.data)?;
        }
        for item in items {
            index.put(&to_js(item)?, None)?;
        }
        done(tx, store.transaction()).await
    }

    /// Puts a piece as its chunks. A record of the older layout for the same piece is deleted
    /// first (it would be read back with the chunks); the chunks of an earlier write of the
    /// piece have the same keys and are overwritten.
    fn put_piece(
        &self,
        store: &idb::ObjectStore,
        id: &str,
        piece: u32,
        data: &[u8],
    ) -> Result<(), DbError> {
        store.delete(Query::Key(piece_key(id, piece)))?;
        for (i, chunk) in data.chunks(CHUNK_BYTES).enumerate() {
            let value = self.staged(chunk);
            store.put(&value, Some(&chunk_key(id, piece, i)))?;
        }
        Ok(())
    }

    /// `data` in the reused JS buffer, for a `put` made before anything else writes to it.
    /// (A view on the wasm memory cannot be handed over: its clone would be the whole memory.)
    fn staged(&self, data: &[u8]) -> ArrayBuffer {
        let mut scratch = self.scratch.borrow_mut();
        let len = data.len() as u32;
        let view = match scratch.take() {
            Some(v) if v.length() == len => v,
            _ => Uint8Array::new_with_length(len),
        };
        view.copy_from(data);
        let buf = view.buffer();
        *scratch = Some(view);
        buf
    }

    /// Item records only (last used, seeded bytes).
    pub(crate) async fn save_items(&self, items: &[Item]) -> Result<(), DbError> {
        self.write(&[], &[], items).await
    }

    /// Deletes items with their pieces.
    pub(crate) async fn delete(&self, ids: &[String]) -> Result<(), DbError> {
        self.write(ids, &[], &[]).await
    }

    /// One piece's bytes (its records one after the other, in key order), or `None` when no
    /// record of it is stored. A chunk missing or of another type gives bytes of the wrong
    /// length or content, which the engine's check drops.
    pub(crate) async fn read(&self, id: &str, piece: u32) -> Result<Option<Vec<u8>>, DbError> {
        let tx = self.db.transaction(&[PIECES], TransactionMode::ReadOnly)?;
        let values = tx
            .object_store(PIECES)?
            .get_all(Some(Query::KeyRange(piece_range(id, piece)?)), None)?
            .await?;
        if values.is_empty() {
            return Ok(None);
        }
        let len = values
            .iter()
            .filter_map(|v| v.dyn_ref::<ArrayBuffer>())
            .map(|b| b.byte_length() as usize)
            .sum();
        let mut bytes = Vec::with_capacity(len);
        for v in &values {
            if let Some(buf) = v.dyn_ref::<ArrayBuffer>() {
                let view = Uint8Array::new(buf);
                let at = bytes.len();
                bytes.resize(at + view.length() as usize, 0);
                view.copy_to(&mut bytes[at..]);
                crate::browser::detach::release(buf);
            } else if let Some(view) = v.dyn_ref::<Uint8Array>() {
                bytes.extend_from_slice(&view.to_vec());
            }
        }
        Ok(Some(bytes))
    }

    /// Overwrites a stored piece's bytes as they are, without touching the index: the test
    /// hook that damages an entry on purpose (`window.shoal.storeCorrupt`).
    pub(crate) async fn overwrite(&self, id: &str, piece: u32, data: &[u8]) -> Result<(), DbError> {
        let tx = self.db.transaction(&[PIECES], TransactionMode::ReadWrite)?;
        let store = tx.object_store(PIECES)?;
        store.delete(Query::KeyRange(piece_range(id, piece)?))?;
        for (i, chunk) in data.chunks(CHUNK_BYTES).enumerate() {
            let value = Uint8Array::from(chunk).buffer();
            store.put(&value, Some(&chunk_key(id, piece, i)))?;
        }
        done(tx, store.transaction()).await
    }

    /// Puts a piece as one record, the older layout (for the tests of reading it).
    #[cfg(test)]
    pub(crate) async fn put_older_layout(
        &self,
        id: &str,
        piece: u32,
        data: &[u8],
    ) -> Result<(), DbError> {
        let tx = self.db.transaction(&[PIECES], TransactionMode::ReadWrite)?;
        let store = tx.object_store(PIECES)?;
        store.put(
            &Uint8Array::from(data).buffer(),
            Some(&piece_key(id, piece)),
        )?;
        done(tx, store.transaction()).await
    }
}
