//! One stable sort for every element type.
//!
//! `slice::sort_by` is compiled again for each element type and comparison closure (some twenty
//! functions each: the merge, the small-slice sorts, the pivot choice), and the browser app's wasm
//! carried some 80 of them for a dozen call sites. Here the element type only decides the
//! comparison and the final moves: the sort itself runs once, over indices, through a `dyn`
//! comparison, so it is compiled once for the whole program.

use std::cmp::Ordering;

/// Sorts `items` by `compare`, keeping equal items in their order (stable, like
/// `slice::sort_by`). `O(n log n)` comparisons and one `Vec<usize>` of `items.len()`.
pub fn sort_by<T>(items: &mut [T], mut compare: impl FnMut(&T, &T) -> Ordering) {
    let order = sorted_order(items.len(), &mut |a, b| compare(&items[a], &items[b]));
    permute(items, order);
}

/// Sorts `items` by the key `key` gives, stably (like `slice::sort_by_key`).
pub fn sort_by_key<T, K: Ord>(items: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` in their natural order (like `slice::sort`).
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// The indices `0..len` ordered by `compare`, ties by index (which makes the sort stable).
/// Not generic: this is the one copy of the sort the program holds.
fn sorted_order(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_unstable_by(|&a, &b| compare(a, b).then(a.cmp(&b)));
    order
}

/// Moves the items so that position `i` holds what was at `order[i]`, following each cycle of
/// the permutation once (`order` must be a permutation of `0..items.len()`).
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut at = start;
        loop {
            let from = order[at];
            if from == DONE {
                break;
            }
            order[at] = DONE;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}
