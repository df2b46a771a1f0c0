//! The channel's download store, which may still be opening when hls.js starts: the page
//! starts playing (playlist request, media attach) while IndexedDB opens, and only a load that
//! needs the store (a segment looked up before fetching it, a playlist kept for offline) waits
//! for it to be settled.

use std::task::{Context, Poll, Waker};

/// Where the store stands.
#[derive(Default)]
pub(crate) enum StoreSlot {
    /// No store: HTTP and peers only.
    #[default]
    Absent,
    /// Being opened; these loads wait for it.
    Coming(Vec<Waker>),
    /// Open.
    Ready(crate::Store),
}

impl StoreSlot {
    /// The store if it is open now (a load that can do without it does not wait).
    pub(crate) fn now(&self) -> Option<crate::Store> {
        match self {
            Self::Ready(store) => Some(store.clone()),
            Self::Absent | Self::Coming(_) => None,
        }
    }

    /// Settles the slot (to a store or to none) and wakes whoever waits.
    pub(crate) fn settle(&mut self, store: Option<crate::Store>) {
        let next = store.map_or(Self::Absent, Self::Ready);
        if let Self::Coming(waiters) = std::mem::replace(self, next) {
            for w in waiters {
                w.wake();
            }
        }
    }

    /// Marks the store as being opened, unless it is open already.
    pub(crate) fn expect(&mut self) {
        if let Self::Absent = self {
            *self = Self::Coming(Vec::new());
        }
    }

    /// Ready once the slot is settled: the store, if there is one.
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn poll_settled(&mut self, cx: &Context<'_>) -> Poll<Option<crate::Store>> {
        match self {
            Self::Coming(waiters) => {
                waiters.push(cx.waker().clone());
                Poll::Pending
            }
            Self::Absent => Poll::Ready(None),
            Self::Ready(store) => Poll::Ready(Some(store.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{
            atomic::{AtomicUsize, Ordering},
            Arc,
        },
        task::Wake,
    };

    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_coming_store_holds_loads_until_settled() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let cx = Context::from_waker(&waker);
        let mut slot = StoreSlot::default();
        // No store announced: nothing waits.
        assert!(matches!(slot.poll_settled(&cx), Poll::Ready(None)));
        slot.expect();
        assert!(slot.poll_settled(&cx).is_pending());
        assert!(slot.poll_settled(&cx).is_pending());
        assert!(slot.now().is_none());
        // Opening failed: both waiting loads are woken and go on without it.
        slot.settle(None);
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        assert!(matches!(slot.poll_settled(&cx), Poll::Ready(None)));
    }
}
