//! The store's index of items, platform-free (tested natively): what each cached torrent or
//! HLS segment is, how much of it is stored, when it was last used, and the rules that pick
//! what goes — expiry after the TTL, then least recently used first, never an item in use.

use vecmap::{VecMap, VecSet};

use serde::{Deserialize, Serialize};

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    /// A torrent's pieces.
    Torrent,
    /// One HLS segment (its per-segment torrent's info hash names it).
    HlsSegment,
    /// An HLS stream as the Downloads page lists it: the stored segments of one playlist
    /// together (never a record of its own; see [`Index::listing`]).
    HlsStream,
}

/// One cached item, as the Downloads page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// Lowercase hex info hash (the key).
    pub id: String,
    /// What the viewer calls it (the torrent's name or the segment's file name).
    pub title: String,
    /// Torrent or HLS segment.
    pub kind: ItemKind,
    /// Bytes of the whole item.
    pub total_bytes: u64,
    /// Bytes of it in the store.
    pub stored_bytes: u64,
    /// Piece length (0 for a segment, stored as one record).
    pub piece_length: u64,
    /// Last played or written, ms since the Unix epoch.
    pub last_used_ms: f64,
    /// Bytes of it uploaded to peers, over every session.
    pub seeded_bytes: u64,
    /// For a segment: the URL of the playlist that listed it (its stream); for a stream: its
    /// playlist URL too. Records written before streams were grouped have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// For a stream: how many of its segments are stored.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub segments: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Item {
    /// Share of the item stored, 0–100.
    pub fn percent(&self) -> f64 {
        if self.total_bytes == 0 {
            return 0.0;
        }
        (self.stored_bytes as f64 * 100.0 / self.total_bytes as f64).min(100.0)
    }
}

/// What the Downloads page calls a stream: the playlist's file name without its extension, or
/// its folder's name when the file name says nothing (`…/NAME/index.m3u8` → `NAME`).
pub(crate) fn stream_title(playlist: &str) -> String {
    let path = playlist.split(['?', '#']).next().unwrap_or(playlist);
    let mut parts = path.trim_end_matches('/').rsplit('/');
    let file = parts.next().unwrap_or(path);
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let generic = [
        "index",
        "playlist",
        "prog_index",
        "master",
        "media",
        "stream",
        "chunklist",
    ];
    let name = if generic.contains(&stem.to_ascii_lowercase().as_str()) {
        // The folder, or the host for a playlist at the root.
        parts
            .next()
            .filter(|dir| !dir.is_empty() && !dir.ends_with(':'))
    } else {
        Some(stem).filter(|s| !s.is_empty())
    };
    name.unwrap_or(playlist).to_owned()
}

/// Every item, by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Index {
    pub(crate) items: VecMap<String, Item>,
}

// Natively nothing opens a store; the rules are still tested there.
#[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
impl Index {
    /// Bytes stored, all items together.
    pub(crate) fn used(&self) -> u64 {
        self.items.values().map(|i| i.stored_bytes).sum()
    }

    /// Every item as the Downloads page lists it, most recently used first: torrents and
    /// ungrouped segments as they are, the segments of one stream as one [`ItemKind::HlsStream`]
    /// item (id and [`Item::stream`]: the playlist URL; sizes and seeded bytes summed, last
    /// used the latest, [`Item::segments`] counted).
    pub(crate) fn listing(&self) -> Vec<Item> {
        let mut out = Vec::new();
        let mut streams: VecMap<&str, Item> = VecMap::new();
        for item in self.items.values() {
            let Some(playlist) = item
                .stream
                .as_deref()
                .filter(|_| item.kind == ItemKind::HlsSegment)
            else {
                out.push(item.clone());
                continue;
            };
            let s = streams.entry(playlist).or_insert_with(|| Item {
                id: playlist.to_owned(),
                title: stream_title(playlist),
                kind: ItemKind::HlsStream,
                total_bytes: 0,
                stored_bytes: 0,
                piece_length: 0,
                last_used_ms: 0.0,
                seeded_bytes: 0,
                stream: Some(playlist.to_owned()),
                segments: 0,
            });
            s.total_bytes += item.total_bytes;
            s.stored_bytes += item.stored_bytes;
            s.seeded_bytes += item.seeded_bytes;
            s.last_used_ms = s.last_used_ms.max(item.last_used_ms);
            s.segments += u32::from(item.stored_bytes > 0);
        }
        out.extend(streams.into_values());
        vecmap::sort_by(&mut out, |a, b| b.last_used_ms.total_cmp(&a.last_used_ms));
        out
    }

    /// The item ids a deletion of `id` removes: the item itself, or every segment of the
    /// stream whose playlist URL is `id`.
    pub(crate) fn members(&self, id: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .items
            .values()
            .filter(|i| i.kind == ItemKind::HlsSegment && i.stream.as_deref() == Some(id))
            .map(|i| i.id.clone())
            .collect();
        if self.items.contains_key(id) {
            ids.push(id.to_owned());
        }
        ids
    }

    /// Sets item `id`'s stored bytes from the number of its records really held: whole pieces
    /// (the last one may be shorter, hence the cap at the total); a segment is one record.
    pub(crate) fn recount(&mut self, id: &str, records: usize) {
        if let Some(item) = self.items.get_mut(id) {
            let count = records as u64;
            item.stored_bytes = if item.piece_length == 0 {
                if count > 0 {
                    item.total_bytes
                } else {
                    0
                }
            } else {
                count
                    .saturating_mul(item.piece_length)
                    .min(item.total_bytes)
            };
        }
    }

    /// Items not used for `ttl_ms` before `now_ms`.
    pub(crate) fn expired(&self, now_ms: f64, ttl_ms: f64) -> Vec<String> {
        self.items
            .values()
            .filter(|i| now_ms - i.last_used_ms > ttl_ms)
            .map(|i| i.id.clone())
            .collect()
    }

    /// Items to evict, least recently used first, so that `incoming` more bytes fit within
    /// `limit`; items in `pinned` (playing now) are never chosen. `None` when even evicting
    /// every other item would not make room.
    pub(crate) fn victims(
        &self,
        incoming: u64,
        limit: u64,
        pinned: &VecSet<String>,
    ) -> Option<Vec<String>> {
        let mut used = self.used();
        if used + incoming <= limit {
            return Some(Vec::new());
        }
        let mut order: Vec<&Item> = self
            .items
            .values()
            .filter(|i| !pinned.contains(&i.id) && i.stored_bytes > 0)
            .collect();
        vecmap::sort_by(&mut order, |a, b| a.last_used_ms.total_cmp(&b.last_used_ms));
        let mut out = Vec::new();
        for item in order {
            if used + incoming <= limit {
                break;
            }
            used -= item.stored_bytes;
            out.push(item.id.clone());
        }
        (used + incoming <= limit).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn item(id: &str, stored: u64, last: f64) -> Item {
        Item {
            id: id.to_owned(),
            title: id.to_owned(),
            kind: ItemKind::Torrent,
            total_bytes: stored,
            stored_bytes: stored,
            piece_length: 16384,
            last_used_ms: last,
            seeded_bytes: 0,
            stream: None,
            segments: 0,
        }
    }

    fn segment(id: &str, playlist: &str, stored: u64, last: f64) -> Item {
        Item {
            kind: ItemKind::HlsSegment,
            piece_length: 0,
            stream: Some(playlist.to_owned()),
            ..item(id, stored, last)
        }
    }

    fn index(items: &[Item]) -> Index {
        Index {
            items: items.iter().map(|i| (i.id.clone(), i.clone())).collect(),
        }
    }

    #[test]
    fn least_recently_used_go_first_and_pinned_never() {
        let ix = index(&[item("a", 12, 1.0), item("b", 12, 3.0), item("c", 6, 2.0)]);
        let none = VecSet::new();
        assert_eq!(ix.victims(0, 30, &none), Some(vec![]));
        assert_eq!(ix.victims(12, 30, &none), Some(vec!["a".to_owned()]));
        assert_eq!(
            ix.victims(12, 20, &none),
            Some(vec!["a".to_owned(), "c".to_owned(), "b".to_owned()])
        );
        let pinned = VecSet::from(["a".to_owned()]);
        assert_eq!(ix.victims(12, 36, &pinned), Some(vec!["c".to_owned()]));
        assert_eq!(
            ix.victims(12, 24, &pinned),
            Some(vec!["c".to_owned(), "b".to_owned()])
        );
        // Only the pinned item would be left and it alone is too much: no room can be made.
        assert_eq!(ix.victims(12, 20, &pinned), None);
    }

    #[test]
    fn entries_unused_longer_than_the_ttl_expire() {
        let day = 86_400_000.0;
        let ix = index(&[item("old", 1, 0.0), item("new", 1, 6.0 * day)]);
        assert_eq!(ix.expired(7.5 * day, 7.0 * day), vec!["old".to_owned()]);
        assert!(ix.expired(6.9 * day, 7.0 * day).is_empty());
        assert_eq!(ix.used(), 2);
        assert_eq!(item("x", 5, 0.0).percent(), 100.0);
    }

    #[test]
    fn a_streams_segments_are_listed_and_deleted_as_one_item() {
        let a = "http://o.test/channels/news/index.m3u8";
        let b = "http://o.test/vod/film.m3u8?token=1";
        let ix = index(&[
            item("t", 100, 1.0),
            segment("s1", a, 10, 2.0),
            segment("s2", a, 20, 5.0),
            segment("s3", b, 7, 3.0),
            // Written before streams were grouped: listed alone, as before.
            Item {
                kind: ItemKind::HlsSegment,
                ..item("old", 4, 0.5)
            },
        ]);
        let list = ix.listing();
        let ids: Vec<&str> = list.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, vec![a, b, "t", "old"], "most recently used first");
        let news = &list[0];
        assert_eq!(news.kind, ItemKind::HlsStream);
        assert_eq!(news.title, "news");
        assert_eq!(
            (news.stored_bytes, news.total_bytes, news.segments),
            (30, 30, 2)
        );
        assert_eq!(news.last_used_ms, 5.0);
        assert_eq!(list[1].title, "film");
        let mut gone = ix.members(a);
        gone.sort();
        assert_eq!(gone, vec!["s1".to_owned(), "s2".to_owned()]);
        assert_eq!(ix.members("t"), vec!["t".to_owned()]);
        assert!(ix.members("nothing").is_empty());
    }

    #[test]
    fn stream_titles_name_the_stream() {
        assert_eq!(stream_title("http://h/channels/news/index.m3u8"), "news");
        assert_eq!(stream_title("http://h/a/b/film.m3u8#x"), "film");
        assert_eq!(stream_title("http://h:8000/index.m3u8"), "h:8000");
        assert_eq!(stream_title("index.m3u8"), "index.m3u8");
    }

    #[test]
    fn stored_bytes_follow_the_records_held() {
        let mut ix = index(&[Item {
            total_bytes: 40_000,
            ..item("t", 40_000, 1.0)
        }]);
        ix.recount("t", 2);
        assert_eq!(ix.items["t"].stored_bytes, 32_768);
        ix.recount("t", 3);
        assert_eq!(ix.items["t"].stored_bytes, 40_000, "the short last piece");
        ix.recount("t", 0);
        assert_eq!(ix.used(), 0);
        ix.recount("absent", 1);
    }
}
