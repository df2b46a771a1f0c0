//! The decoded value tree: [`Value`] and [`Dict`].

use std::cmp::Ordering;

/// One bencoded value. Byte strings borrow from the decoded input (or from whatever the
/// builder of the value borrowed them from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// `i<digits>e`
    Int(i64),
    /// `<len>:<bytes>`; not necessarily UTF-8.
    Bytes(&'a [u8]),
    /// `l<values>e`
    List(Vec<Self>),
    /// `d<key><value>...e`
    Dict(Dict<'a>),
}

impl<'a> Value<'a> {
    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The byte string, if this is one.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Self::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The byte string as text, if this is a byte string holding valid UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The items, if this is a list.
    pub fn as_list(&self) -> Option<&[Self]> {
        match self {
            Self::List(items) => Some(items),
            _ => None,
        }
    }

    /// The dictionary, if this is one.
    pub fn as_dict(&self) -> Option<&Dict<'a>> {
        match self {
            Self::Dict(d) => Some(d),
            _ => None,
        }
    }
}

impl From<i64> for Value<'_> {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}

impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(b: &'a [u8]) -> Self {
        Self::Bytes(b)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Self::Bytes(s.as_bytes())
    }
}

impl<'a> From<Vec<Self>> for Value<'a> {
    fn from(items: Vec<Self>) -> Self {
        Self::List(items)
    }
}

impl<'a> From<Dict<'a>> for Value<'a> {
    fn from(d: Dict<'a>) -> Self {
        Self::Dict(d)
    }
}

/// A bencode dictionary.
///
/// Entries keep the order they were decoded (or inserted) in; keys are unique. Lookups are a
/// binary search while the keys are sorted, which canonical bencode guarantees, and a linear
/// scan for the rare unsorted dict from a sloppy encoder.
///
/// Equality compares contents only: the same keys with equal values, in any order, whether
/// or not either side remembers its raw bytes.
#[derive(Debug, Clone, Default)]
pub struct Dict<'a> {
    entries: Vec<(&'a [u8], Value<'a>)>,
    /// Whether the keys in `entries` are strictly increasing.
    sorted: bool,
    /// The exact input bytes of this dict, `d` to `e`, when it came from the decoder and has
    /// not been modified since.
    raw: Option<&'a [u8]>,
}

impl<'a> Dict<'a> {
    /// An empty dictionary, for building values to encode.
    pub fn new() -> Self {
        Self {
            entries: Vec::new(),
            sorted: true,
            raw: None,
        }
    }

    /// Sets `key` to `value`, replacing the value of an existing equal key in place.
    ///
    /// Any remembered raw span is dropped, since it no longer describes this dict.
    pub fn insert(&mut self, key: &'a [u8], value: Value<'a>) {
        self.raw = None;
        match self.position(key) {
            Ok(i) => self.entries[i].1 = value,
            Err(i) if self.sorted => self.entries.insert(i, (key, value)),
            Err(_) => self.entries.push((key, value)),
        }
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &[u8]) -> Option<&Value<'a>> {
        self.position(key).ok().map(|i| &self.entries[i].1)
    }

    /// The entries in input (or insertion) order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], &Value<'a>)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the dict has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The exact bytes this dict was decoded from, `d` through `e`, or `None` for a dict that
    /// was built or modified. Hash these (not a re-encoding) to get a torrent's info hash.
    pub fn raw(&self) -> Option<&'a [u8]> {
        self.raw
    }

    /// Where `key` is (`Ok`), or where it would go to keep sorted keys sorted (`Err`).
    fn position(&self, key: &[u8]) -> Result<usize, usize> {
        if self.sorted {
            self.entries.binary_search_by(|(k, _)| (*k).cmp(key))
        } else {
            self.entries
                .iter()
                .position(|(k, _)| *k == key)
                .ok_or(self.entries.len())
        }
    }

    /// Entries sorted by key (a cheap copy of references when already sorted).
    pub(crate) fn sorted_entries(&self) -> Vec<&(&'a [u8], Value<'a>)> {
        let mut refs: Vec<_> = self.entries.iter().collect();
        if !self.sorted {
            vecmap::sort_by(&mut refs, |a, b| a.0.cmp(b.0));
        }
        refs
    }

    // --- decoder hooks: the decoder appends in input order and checks keys itself. ---

    /// Appends an entry whose key the decoder has already checked against the previous one.
    pub(crate) fn push_decoded(&mut self, key: &'a [u8], value: Value<'a>) {
        if let Some((last, _)) = self.entries.last() {
            if *last >= key {
                self.sorted = false;
            }
        }
        self.entries.push((key, value));
    }

    /// The last key appended, to compare the next one against.
    pub(crate) fn last_key(&self) -> Option<&'a [u8]> {
        self.entries.last().map(|(k, _)| *k)
    }

    pub(crate) fn is_sorted(&self) -> bool {
        self.sorted
    }

    pub(crate) fn set_raw(&mut self, raw: &'a [u8]) {
        self.raw = Some(raw);
    }

    /// For an unsorted dict, the first key (in sorted order) that appears twice.
    pub(crate) fn find_duplicate(&self) -> Option<&'a [u8]> {
        if self.sorted {
            return None;
        }
        let mut keys: Vec<&'a [u8]> = self.entries.iter().map(|(k, _)| *k).collect();
        vecmap::sort(&mut keys);
        keys.windows(2).find(|w| w[0] == w[1]).map(|w| w[1])
    }
}

impl PartialEq for Dict<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .sorted_entries()
                .into_iter()
                .zip(other.sorted_entries())
                .all(|(a, b)| a.0.cmp(b.0) == Ordering::Equal && a.1 == b.1)
    }
}

impl Eq for Dict<'_> {}

impl<'a> FromIterator<(&'a [u8], Value<'a>)> for Dict<'a> {
    fn from_iter<I: IntoIterator<Item = (&'a [u8], Value<'a>)>>(iter: I) -> Self {
        let mut d = Self::new();
        for (k, v) in iter {
            d.insert(k, v);
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn insert_keeps_keys_sorted_and_replaces_existing_keys() {
        let mut d = Dict::new();
        d.insert(b"b", Value::Int(1));
        d.insert(b"a", Value::Int(2));
        d.insert(b"c", Value::Int(3));
        d.insert(b"b", Value::Int(4));
        let keys: Vec<_> = d.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [&b"a"[..], b"b", b"c"]);
        assert_eq!(d.get(b"b"), Some(&Value::Int(4)));
        assert_eq!(d.len(), 3);
        assert!(!d.is_empty());
        assert_eq!(d.get(b"zz"), None);
        assert_eq!(d.raw(), None);
    }

    #[test]
    fn equality_ignores_order_and_raw_span() {
        let mut unsorted = Dict::new();
        unsorted.push_decoded(b"b", Value::Int(1));
        unsorted.push_decoded(b"a", Value::Int(2));
        unsorted.set_raw(b"d1:bi1e1:ai2ee");
        assert!(!unsorted.is_sorted());
        assert_eq!(unsorted.get(b"a"), Some(&Value::Int(2)));
        let sorted: Dict = [(&b"a"[..], Value::Int(2)), (b"b", Value::Int(1))]
            .into_iter()
            .collect();
        assert_eq!(unsorted, sorted);
        let mut other = sorted.clone();
        other.insert(b"b", Value::Int(9));
        assert_ne!(unsorted, other);
    }

    #[test]
    fn accessors_match_only_their_variant() {
        let v = Value::from("hé");
        assert_eq!(v.as_str(), Some("hé"));
        assert_eq!(v.as_int(), None);
        assert_eq!(Value::Bytes(&[0xff]).as_str(), None);
        assert_eq!(Value::from(7).as_int(), Some(7));
        assert!(Value::from(vec![]).as_list().is_some());
        assert!(Value::from(Dict::new()).as_dict().is_some());
        assert!(Value::Int(1).as_dict().is_none());
    }

    #[test]
    fn duplicates_are_found_in_unsorted_dicts() {
        let mut d = Dict::new();
        d.push_decoded(b"b", Value::Int(1));
        d.push_decoded(b"a", Value::Int(2));
        assert_eq!(d.find_duplicate(), None);
        d.push_decoded(b"b", Value::Int(3));
        assert_eq!(d.find_duplicate(), Some(&b"b"[..]));
    }
}
