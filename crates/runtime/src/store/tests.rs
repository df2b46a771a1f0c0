//! The store on the browser's real IndexedDB (headless Chromium): what eviction and expiry
//! remove besides an item's bytes.

use wasm_bindgen_test::wasm_bindgen_test as test;

// A segment's per-segment torrent: its item id is the torrent's info hash, so the file
// belongs to the segment's item.
use super::documents::tests::torrent_file;
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
