//! The store's index of items, platform-free (tested natively): what each cached torrent or
//! HLS segment is, how much of it is stored, when it was last used, and the rules that pick
//! what goes — expiry after the TTL, then least recently used first, never an item in use.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    /// A torrent's pieces.
    Torrent,
    /// One HLS segment (its per-segment torrent's info hash names it).
    HlsSegment,
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

/// Every item, by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Index {
    pub(crate) items: BTreeMap<String, Item>,
}

// Natively nothing opens a store; the rules are still tested there.
#[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
impl Index {
    /// Bytes stored, all items together.
    pub(crate) fn used(&self) -> u64 {
        self.items.values().map(|i| i.stored_bytes).sum()
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
        pinned: &BTreeSet<String>,
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
        order.sort_by(|a, b| a.last_used_ms.total_cmp(&b.last_used_ms));
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
        let none = BTreeSet::new();
        assert_eq!(ix.victims(0, 30, &none), Some(vec![]));
        assert_eq!(ix.victims(12, 30, &none), Some(vec!["a".to_owned()]));
        assert_eq!(
            ix.victims(12, 20, &none),
            Some(vec!["a".to_owned(), "c".to_owned(), "b".to_owned()])
        );
        let pinned = BTreeSet::from(["a".to_owned()]);
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
}
