//! The store on the browser's real IndexedDB (headless Chromium): what eviction and expiry
//! remove besides an item's bytes; pieces stored in chunks.

use wasm_bindgen_test::wasm_bindgen_test as test;

// A segment's per-segment torrent: its item id is the torrent's info hash, so the file
// belongs to the segment's item.
use super::documents::tests::torrent_file;
use super::idb::{Db, PieceWrite, CHUNK_BYTES};
use super::{Store, StoreSettings};

const DAY_MS: f64 = 86_400_000.0;

async fn open(limit_bytes: u64, now_ms: f64) -> Store {
    Store::open(
        StoreSettings {
            limit_bytes,
            ..StoreSettings::default()
        },
        now_ms,
    )
    .await
    .expect("the store opens")
}

/// Lets the documents' writes (spawned tasks) start: their transactions are then created, and
/// IndexedDB runs transactions over the same object store in the order they were created, so
/// every later read or delete sees them, however long they take.
async fn settle() {
    gloo::timers::future::TimeoutFuture::new(100).await;
}

#[test]
async fn kept_documents_go_when_their_item_is_evicted_or_expires() {
    let now = js_sys::Date::now();
    let store = open(100_000, now).await;
    store.clear().await.expect("cleared");
    let (a_bytes, a) = torrent_file(&[1; 60_000]);
    let (b_bytes, b) = torrent_file(&[2; 60_000]);
    let (pa, pb) = ("http://o.test/a/index.m3u8", "http://o.test/b/index.m3u8");

    store
        .put_segment(&a, pa, "a.ts", vec![1; 60_000])
        .await
        .expect("a stored");
    store.keep_playlist(pa, "#EXTM3U\n#EXT-X-ENDLIST\n");
    store.keep_torrent_file("http://o.test/a.torrent", &a_bytes);
    settle().await;
    // 120,000 bytes do not fit in 100,000: a goes, and its documents with it.
    store
        .put_segment(&b, pb, "b.ts", vec![2; 60_000])
        .await
        .expect("b stored");
    store.keep_playlist(pb, "#EXTM3U\n#EXT-X-ENDLIST\n");
    store.keep_torrent_file("http://o.test/b.torrent", &b_bytes);
    settle().await;
    let ids: Vec<String> = store.items().into_iter().map(|i| i.id).collect();
    assert_eq!(ids, vec![pb.to_owned()], "a was evicted");
    assert_eq!(store.playlist(pa), None);
    assert_eq!(store.torrent_file("http://o.test/a.torrent"), None);

    // What IndexedDB holds: b's documents, not a's.
    let again = open(100_000, now).await;
    assert_eq!(again.playlist(pa), None);
    assert_eq!(again.torrent_file("http://o.test/a.torrent"), None);
    assert!(again.playlist(pb).is_some());
    assert_eq!(again.torrent_file("http://o.test/b.torrent"), Some(b_bytes));

    // Eight days later b has expired when the store opens: its documents are gone too.
    let later = open(100_000, now + 8.0 * DAY_MS).await;
    assert!(later.items().is_empty());
    assert_eq!(later.playlist(pb), None);
    assert_eq!(later.torrent_file("http://o.test/b.torrent"), None);
    let after = open(100_000, now + 8.0 * DAY_MS).await;
    assert_eq!(
        after.playlist(pb),
        None,
        "deleted from IndexedDB, not only forgotten"
    );
    assert_eq!(after.torrent_file("http://o.test/b.torrent"), None);
    after.clear().await.expect("cleared");
}

/// Bytes that differ from chunk to chunk (a chunk out of order would be seen).
fn numbered(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i / 7) as u8 ^ seed).collect()
}

#[test]
async fn a_piece_comes_back_whole_from_its_chunks_and_from_the_older_layout() {
    let db = Db::open().await.expect("the database opens");
    let id = "chunk-test-item";
    db.delete(&[id.to_owned()]).await.expect("a clean start");
    // Three whole chunks and a short last one; a piece of exactly one chunk; a short piece.
    let pieces = [
        (0, numbered(3 * CHUNK_BYTES + 1_696, 1)),
        (1, numbered(CHUNK_BYTES, 2)),
        (2, numbered(100, 3)),
    ];
    let writes: Vec<PieceWrite<'_>> = pieces
        .iter()
        .map(|(piece, data)| PieceWrite {
            id,
            piece: *piece,
            data,
        })
        .collect();
    db.write(&[], &writes, &[]).await.expect("written");
    for (piece, data) in &pieces {
        let back = db.read(id, *piece).await.expect("read").expect("stored");
        assert_eq!(&back, data, "piece {piece}");
    }
    assert_eq!(db.read(id, 3).await.expect("read"), None, "never written");
    // Listed once a piece (not once a chunk), another item's pieces beside them.
    let other = "chunk-test-item-2";
    let two = numbered(2 * CHUNK_BYTES, 6);
    let write = PieceWrite {
        id: other,
        piece: 0,
        data: &two,
    };
    db.write(&[], &[write], &[]).await.expect("written");
    let keys = db.piece_keys().await.expect("keys");
    let listed = |item: &str| -> Vec<u32> {
        keys.iter()
            .filter(|(i, _)| i == item)
            .map(|(_, p)| *p)
            .collect()
    };
    assert_eq!(listed(id), vec![0, 1, 2]);
    assert_eq!(listed(other), vec![0]);
    db.delete(&[other.to_owned()]).await.expect("deleted");

    // A piece stored by an older version, one record: read as it is, and replaced whole by a
    // new write of the piece (not read back with the new chunks after it).
    let old = numbered(2 * CHUNK_BYTES + 5, 4);
    db.put_older_layout(id, 5, &old).await.expect("put");
    assert_eq!(db.read(id, 5).await.expect("read"), Some(old));
    let keys = db.piece_keys().await.expect("keys");
    let mine: Vec<u32> = keys
        .iter()
        .filter(|(i, _)| i == id)
        .map(|(_, p)| *p)
        .collect();
    assert_eq!(mine, vec![0, 1, 2, 5], "an older record listed once");
    let new = numbered(2 * CHUNK_BYTES + 5, 5);
    let write = PieceWrite {
        id,
        piece: 5,
        data: &new,
    };
    db.write(&[], &[write], &[]).await.expect("rewritten");
    assert_eq!(db.read(id, 5).await.expect("read"), Some(new));

    // The test hook's damage lands as chunks too, in place of the piece's records.
    db.overwrite(id, 0, &[9; 10]).await.expect("overwritten");
    assert_eq!(db.read(id, 0).await.expect("read"), Some(vec![9; 10]));

    db.delete(&[id.to_owned()]).await.expect("deleted");
    assert_eq!(
        db.read(id, 1).await.expect("read"),
        None,
        "its chunks went with it"
    );
}
