//! Documents a source needs besides its bytes, kept by URL so what was watched opens again
//! offline from the address it was opened with: the text of a VOD (or master) HLS playlist and
//! the .torrent file a link named. They share the info dicts' records (keyed there by info
//! hash, 40 hex digits) under a prefix and their URL, and go when their item goes: a playlist
//! with its stream's item (whose id is the playlist's URL), a .torrent file with the torrent
//! whose info hash it has — deleted, evicted or expired alike ([`going_with`]).

use vecmap::{VecMap, VecSet};

use super::{index::Index, Store};

const PLAYLIST_PREFIX: &str = "playlist:";
const TORRENT_PREFIX: &str = "torrent-file:";

impl Store {
    /// Keeps the text of the playlist at `url` (replaced when it changes), so the stream
    /// replays without the network. Only worth it for a playlist that will not change: a VOD
    /// media playlist (`#EXT-X-ENDLIST`) or a master playlist.
    pub fn keep_playlist(&self, url: &str, text: &str) {
        self.keep_document(format!("{PLAYLIST_PREFIX}{url}"), text.as_bytes());
    }

    /// The kept text of the playlist at `url`.
    pub fn playlist(&self, url: &str) -> Option<String> {
        let bytes = self.document(&format!("{PLAYLIST_PREFIX}{url}"))?;
        String::from_utf8(bytes).ok()
    }

    /// Keeps the .torrent file downloaded from `url` (its bytes as served; they are parsed
    /// again when used).
    pub fn keep_torrent_file(&self, url: &str, bytes: &[u8]) {
        self.keep_document(format!("{TORRENT_PREFIX}{url}"), bytes);
    }

    /// The kept .torrent file of `url`.
    pub fn torrent_file(&self, url: &str) -> Option<Vec<u8>> {
        self.document(&format!("{TORRENT_PREFIX}{url}"))
    }

    /// Keys of the kept documents that go when the items `gone` go ([`going_with`]).
    pub(super) fn documents_going_with(&self, gone: &[String]) -> Vec<String> {
        going_with(&self.inner.infos.borrow(), &self.inner.index.borrow(), gone)
    }

    /// Keys of every kept document.
    pub(super) fn all_documents(&self) -> Vec<String> {
        let infos = self.inner.infos.borrow();
        infos
            .keys()
            .filter(|k| k.starts_with(PLAYLIST_PREFIX) || k.starts_with(TORRENT_PREFIX))
            .cloned()
            .collect()
    }

    fn keep_document(&self, key: String, bytes: &[u8]) {
        if self.inner.infos.borrow().get(&key).map(Vec::as_slice) == Some(bytes) {
            return;
        }
        self.inner
            .infos
            .borrow_mut()
            .insert(key.clone(), bytes.to_vec());
        #[cfg(target_family = "wasm")]
        {
            let (store, bytes) = (self.clone(), bytes.to_vec());
            wasm_bindgen_futures::spawn_local(async move {
                // Without it the source needs the network to open again: nothing worse.
                let _ = store.inner.db.put_info(&key, &bytes).await;
            });
        }
    }

    fn document(&self, key: &str) -> Option<Vec<u8>> {
        self.inner.infos.borrow().get(key).cloned()
    }
}

/// Keys of the kept documents (`docs`, by key) that go when the items `gone` go, `index` being
/// the index before they go: the playlist of a stream whose id is among them or that is left
/// with no segment, and the .torrent files whose info hash is among them. A kept document is a
/// few KB, but without this it outlived its item until "clear all".
pub(super) fn going_with(
    docs: &VecMap<String, Vec<u8>>,
    index: &Index,
    gone: &[String],
) -> Vec<String> {
    let gone: VecSet<&str> = gone.iter().map(String::as_str).collect();
    // Streams some of whose segments go, and the streams named directly (a deleted stream).
    let mut streams: VecSet<&str> = gone
        .iter()
        .filter_map(|id| index.items.get(*id)?.stream.as_deref())
        .collect();
    // …less those that keep a segment.
    for item in index.items.values() {
        if let Some(s) = item.stream.as_deref() {
            if !gone.contains(item.id.as_str()) {
                streams.remove(s);
            }
        }
    }
    streams.extend(gone.iter().copied());
    docs.iter()
        .filter(|(key, bytes)| {
            key.strip_prefix(PLAYLIST_PREFIX)
                .is_some_and(|url| streams.contains(url))
                || (key.starts_with(TORRENT_PREFIX)
                    && metainfo::Metainfo::from_bytes(bytes)
                        .is_ok_and(|m| gone.contains(m.info_hash.to_hex().as_str())))
        })
        .map(|(key, _)| key.clone())
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;
    use crate::store::{Item, ItemKind};

    /// A .torrent file of `data` and its info hash (hex). The IndexedDB tests
    /// (`store/tests.rs`) use it too.
    pub(in crate::store) fn torrent_file(data: &[u8]) -> (Vec<u8>, String) {
        let files = vec![(vec!["s.ts".to_owned()], data.len() as u64)];
        let mut b = metainfo::TorrentBuilder::new("s.ts", files, 16384);
        b.update(data);
        let bytes = b.finish().expect("built");
        let hash = metainfo::Metainfo::from_bytes(&bytes)
            .expect("parses")
            .info_hash
            .to_hex();
        (bytes, hash)
    }

    fn segment(id: &str, stream: &str) -> Item {
        Item {
            id: id.to_owned(),
            title: id.to_owned(),
            kind: ItemKind::HlsSegment,
            total_bytes: 10,
            stored_bytes: 10,
            piece_length: 0,
            last_used_ms: 1.0,
            seeded_bytes: 0,
            stream: Some(stream.to_owned()),
            segments: 0,
        }
    }

    #[test]
    fn documents_go_with_the_last_segment_of_their_stream_and_with_their_torrent() {
        let (file, hash) = torrent_file(b"segment bytes");
        let index = Index {
            items: [
                segment("s1", "http://o/a.m3u8"),
                segment("s2", "http://o/a.m3u8"),
            ]
            .into_iter()
            .chain([segment(&hash, "http://o/b.m3u8")])
            .map(|i| (i.id.clone(), i))
            .collect(),
        };
        let docs: VecMap<String, Vec<u8>> = [
            ("playlist:http://o/a.m3u8".to_owned(), b"#EXTM3U".to_vec()),
            ("playlist:http://o/b.m3u8".to_owned(), b"#EXTM3U".to_vec()),
            (
                "playlist:http://o/master.m3u8".to_owned(),
                b"#EXTM3U".to_vec(),
            ),
            ("torrent-file:http://o/s.torrent".to_owned(), file),
            (hash.clone(), b"info dict".to_vec()),
        ]
        .into_iter()
        .collect();
        let going = |gone: &[&str]| {
            let gone: Vec<String> = gone.iter().map(|s| (*s).to_owned()).collect();
            going_with(&docs, &index, &gone)
        };
        assert!(going(&["s1"]).is_empty(), "a.m3u8 keeps a segment");
        assert_eq!(going(&["s1", "s2"]), vec!["playlist:http://o/a.m3u8"]);
        assert_eq!(
            going(&[&hash]),
            vec![
                "playlist:http://o/b.m3u8".to_owned(),
                "torrent-file:http://o/s.torrent".to_owned()
            ]
        );
        assert_eq!(
            going(&["http://o/master.m3u8"]),
            vec!["playlist:http://o/master.m3u8"],
            "a stream deleted by its id"
        );
        assert!(going(&["unknown"]).is_empty());
    }
}
