//! The shared sort against std's stable `sort_by`: the same order, equal items included (each
//! item carries its original position, which only stability keeps in order).

/// A fixed xorshift sequence: the test is the same on every run.
fn sequence(n: usize) -> impl Iterator<Item = u32> {
    let mut x: u32 = 0x2545_f491;
    (0..n).map(move |_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    })
}

#[test]
fn sort_by_matches_std_and_is_stable() {
    for len in [0usize, 1, 2, 3, 7, 20, 64, 500, 3000] {
        // Few distinct keys, so many items tie; the second field is the original position.
        let items: Vec<(u32, usize)> = sequence(len).map(|x| x % 7).zip(0..).collect();
        let mut ours = items.clone();
        let mut std = items.clone();
        shoal_vecmap::sort_by(&mut ours, |a, b| b.0.cmp(&a.0));
        std.sort_by_key(|item| std::cmp::Reverse(item.0));
        assert_eq!(ours, std, "length {len}");
        let mut ours = items.clone();
        let mut std = items;
        shoal_vecmap::sort_by_key(&mut ours, |item| item.0);
        std.sort_by_key(|item| item.0);
        assert_eq!(ours, std, "length {len}");
    }
}

#[test]
fn sort_matches_std_for_owned_items() {
    let items: Vec<String> = sequence(1000).map(|x| format!("{}", x % 97)).collect();
    let mut ours = items.clone();
    let mut std = items;
    shoal_vecmap::sort(&mut ours);
    std.sort();
    assert_eq!(ours, std);
}
