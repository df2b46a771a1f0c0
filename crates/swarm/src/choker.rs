//! Who we upload to. Every `choke_interval` the best `upload_slots - 1` interested peers stay
//! unchoked (ranked by what they give us while we download, by how fast they take while we
//! seed: both reward the peers that make the swarm move), plus one optimistic slot that rotates
//! every `optimistic_interval` so newcomers get a first piece to trade. Between rounds, an
//! interested peer is unchoked at once while a slot is free (WebTorrent unchokes on the first
//! `interested`).

use vecmap::VecSet;

use crate::types::{PeerKey, Rng};

/// One peer as the choker sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    pub(crate) key: PeerKey,
    pub(crate) interested: bool,
    /// Bytes/s that ranks it (see module docs).
    pub(crate) score: u64,
    /// A seed needs nothing from us.
    pub(crate) seed: bool,
}

/// The unchoke set for one round. `optimistic` is kept if still eligible, else a random
/// interested peer outside the regular set is chosen; the new optimistic peer is returned.
pub(crate) fn choose(
    candidates: &[Candidate],
    slots: usize,
    optimistic: Option<PeerKey>,
    rotate: bool,
    rng: &mut Rng,
) -> (VecSet<PeerKey>, Option<PeerKey>) {
    let mut eligible: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.interested && !c.seed)
        .collect();
    // Highest score first; key order breaks ties so the result is deterministic.
    vecmap::sort_by(&mut eligible, |a, b| {
        b.score.cmp(&a.score).then(a.key.cmp(&b.key))
    });
    let regular = slots.saturating_sub(1);
    let mut set: VecSet<PeerKey> = eligible.iter().take(regular).map(|c| c.key).collect();
    let rest: Vec<PeerKey> = eligible.iter().skip(regular).map(|c| c.key).collect();
    let keep = optimistic.filter(|o| !rotate && rest.contains(o));
    let opt = keep.or_else(|| {
        let n = rest.len() as u64;
        (n > 0).then(|| rest[rng.below(n) as usize])
    });
    if let Some(o) = opt {
        if slots > 0 {
            set.insert(o);
        }
    }
    (set, opt)
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn c(key: u64, interested: bool, score: u64) -> Candidate {
        Candidate {
            key: PeerKey(key),
            interested,
            score,
            seed: false,
        }
    }

    #[test]
    fn best_plus_one_optimistic() {
        let cands = [
            c(1, true, 10),
            c(2, true, 50),
            c(3, false, 99),
            c(4, true, 30),
            c(5, true, 1),
        ];
        let mut rng = Rng::new(3);
        let (set, opt) = choose(&cands, 3, None, true, &mut rng);
        assert_eq!(set.len(), 3);
        assert!(set.contains(&PeerKey(2)) && set.contains(&PeerKey(4)));
        assert!(!set.contains(&PeerKey(3)), "not interested");
        let opt = opt.unwrap();
        assert!(opt == PeerKey(1) || opt == PeerKey(5));
        // Kept until rotation.
        let (set2, opt2) = choose(&cands, 3, Some(opt), false, &mut rng);
        assert_eq!((set, Some(opt)), (set2, opt2));
    }

    #[test]
    fn seeds_are_never_unchoked() {
        let mut s = c(1, true, 100);
        s.seed = true;
        let (set, _) = choose(&[s], 4, None, true, &mut Rng::new(1));
        assert!(set.is_empty());
    }
}
