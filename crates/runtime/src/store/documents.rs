//! Documents a source needs besides its bytes, kept by URL so what was watched opens again
//! offline from the address it was opened with: the text of a VOD (or master) HLS playlist and
//! the .torrent file a link named. They share the info dicts' records (keyed there by info
//! hash, 40 hex digits) under a prefix and their URL, and go when their item goes: a playlist
//! with its stream's item (whose id is the playlist's URL), a .torrent file with the torrent
//! whose info hash it has.

use super::Store;

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

    /// Keys of the documents that go with item `id`.
    pub(super) fn documents_of(&self, id: &str) -> Vec<String> {
        let infos = self.inner.infos.borrow();
        infos
            .iter()
            .filter(|(key, bytes)| {
                key.strip_prefix(PLAYLIST_PREFIX) == Some(id)
                    || (key.starts_with(TORRENT_PREFIX)
                        && metainfo::Metainfo::from_bytes(bytes)
                            .is_ok_and(|m| m.info_hash.to_hex() == id))
            })
            .map(|(key, _)| key.clone())
            .collect()
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
