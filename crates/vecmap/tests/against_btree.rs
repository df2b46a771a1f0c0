//! VecMap and VecSet against std's BTreeMap and BTreeSet: the same operations in the same
//! order give the same answers and the same iteration order.

use shoal_vecmap::{VecMap, VecSet};
use std::collections::{BTreeMap, BTreeSet};

/// A fixed xorshift sequence: the test is the same on every run.
fn sequence(n: usize) -> impl Iterator<Item = u32> {
    let mut x: u32 = 0x9e37_79b9;
    (0..n).map(move |_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    })
}

#[test]
fn map_matches_btreemap() {
    let mut ours = VecMap::new();
    let mut std = BTreeMap::new();
    for (step, r) in sequence(5000).enumerate() {
        let key = r % 300;
        let value = step as u64;
        match r >> 29 {
            0..=2 => assert_eq!(ours.insert(key, value), std.insert(key, value)),
            3 | 4 => assert_eq!(ours.remove(&key), std.remove(&key)),
            5 => *ours.entry(key).or_insert(0) += 1,
            6 => assert_eq!(ours.pop_first(), std.pop_first()),
            _ => {
                let lo = key.saturating_sub(20);
                let a: Vec<_> = ours.range(lo..=key).collect();
                let b: Vec<_> = std.range(lo..=key).collect();
                assert_eq!(a, b);
            }
        }
        if r >> 29 == 5 {
            *std.entry(key).or_insert(0) += 1;
        }
        assert_eq!(ours.len(), std.len());
        assert_eq!(ours.get(&key), std.get(&key));
    }
    assert_eq!(
        ours.iter().collect::<Vec<_>>(),
        std.iter().collect::<Vec<_>>()
    );
    assert_eq!(ours.first_key_value(), std.first_key_value());
    assert_eq!(ours.last_key_value(), std.last_key_value());
    ours.retain(|k, _| k % 2 == 0);
    std.retain(|k, _| k % 2 == 0);
    assert_eq!(
        ours.into_iter().collect::<Vec<_>>(),
        std.into_iter().collect::<Vec<_>>()
    );
}

#[test]
fn set_matches_btreeset() {
    let mut ours = VecSet::new();
    let mut std = BTreeSet::new();
    for r in sequence(5000) {
        let value = r % 500;
        match r >> 30 {
            0 | 1 => assert_eq!(ours.insert(value), std.insert(value)),
            2 => assert_eq!(ours.remove(&value), std.remove(&value)),
            _ => {
                let a: Vec<_> = ours.range(..value).collect();
                let b: Vec<_> = std.range(..value).collect();
                assert_eq!(a, b);
            }
        }
        assert_eq!(ours.contains(&value), std.contains(&value));
        assert_eq!(ours.len(), std.len());
    }
    assert_eq!(
        ours.iter().collect::<Vec<_>>(),
        std.iter().collect::<Vec<_>>()
    );
    assert_eq!(ours.first(), std.first());
    assert_eq!(ours.last(), std.last());
}

#[test]
fn string_keys_are_found_by_str() {
    let map: VecMap<String, u8> = [
        ("b".to_owned(), 2),
        ("a".to_owned(), 1),
        ("b".to_owned(), 3),
    ]
    .into();
    assert_eq!(map.get("b"), Some(&3));
    assert_eq!(
        map.keys().map(String::as_str).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let set: VecSet<String> = ["x".to_owned(), "a".to_owned()].into();
    assert!(set.contains("x"));
    assert_eq!(
        set.range::<str, _>((std::ops::Bound::Included("b"), std::ops::Bound::Unbounded))
            .collect::<Vec<_>>(),
        ["x"]
    );
}

#[test]
fn reversed_range_is_empty() {
    let map: VecMap<u32, ()> = (0..10).map(|k| (k, ())).collect();
    #[allow(clippy::reversed_empty_ranges)]
    let r = map.range(7..3);
    assert_eq!(r.count(), 0);
}

#[test]
fn difference_matches_btreeset() {
    let a: Vec<u32> = sequence(400).map(|r| r % 200).collect();
    let b: Vec<u32> = sequence(900).skip(400).map(|r| r % 200).collect();
    let (ours_a, ours_b): (VecSet<u32>, VecSet<u32>) =
        (a.iter().copied().collect(), b.iter().copied().collect());
    let (std_a, std_b): (BTreeSet<u32>, BTreeSet<u32>) =
        (a.into_iter().collect(), b.into_iter().collect());
    assert_eq!(
        ours_a.difference(&ours_b).collect::<Vec<_>>(),
        std_a.difference(&std_b).collect::<Vec<_>>()
    );
    assert_eq!(
        ours_b.difference(&ours_a).collect::<Vec<_>>(),
        std_b.difference(&std_a).collect::<Vec<_>>()
    );
}
