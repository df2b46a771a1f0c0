//! An ordered map ([`VecMap`]) and set ([`VecSet`]) kept as one sorted `Vec`.
//!
//! They promise what Shoal's code relied on from `BTreeMap`/`BTreeSet`: iteration in key order
//! (so the sans-IO engine stays deterministic), `O(log n)` lookups, ranges, first and last. They
//! differ in cost: an insert or remove in the middle moves the entries after it (`O(n)`), which is
//! cheap for the tens to a few thousands of entries these maps hold, and appending in key order is
//! `O(1)`. What they buy is size: the browser app's wasm holds one copy of a collection's code per
//! key and value type, and a B-tree's node splitting, merging and iterators are several times the
//! code of a binary search over a slice (see docs/benchmarks.md, bundle size).
//!
//! Drive them like the std types: `insert`, `get`, `remove`, `entry`, `iter`, `range`.
//!
//! [`sort_by`], [`sort_by_key`] and [`sort`] are the slice sorts for the same reason: one
//! compiled sort for every element type instead of one per type and comparison.

mod map;
mod set;
mod sort;

pub use map::{Entry, VecMap};
pub use set::VecSet;
pub use sort::{sort, sort_by, sort_by_key};

use std::{
    borrow::Borrow,
    ops::{Bound, RangeBounds},
};

/// The index range of `sorted` (ordered by `key`) whose keys fall within `range`.
fn index_range<T, K, Q, R>(
    sorted: &[T],
    key: impl Fn(&T) -> &K,
    range: &R,
) -> std::ops::Range<usize>
where
    K: Borrow<Q>,
    Q: Ord + ?Sized,
    R: RangeBounds<Q>,
{
    let start = match range.start_bound() {
        Bound::Included(s) => sorted.partition_point(|e| key(e).borrow() < s),
        Bound::Excluded(s) => sorted.partition_point(|e| key(e).borrow() <= s),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(e) => sorted.partition_point(|x| key(x).borrow() <= e),
        Bound::Excluded(e) => sorted.partition_point(|x| key(x).borrow() < e),
        Bound::Unbounded => sorted.len(),
    };
    // `BTreeMap::range` panics on a reversed range; an empty one is the gentler answer here.
    start..end.max(start)
}
