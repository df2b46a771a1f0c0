//! Reader flow control: a reader never holds more than [`READ_AHEAD`] bytes that its consumer
//! has not pulled yet.
//!
//! The engine pushes verified bytes from a reader's position up to the end it was given. We
//! give it a short end — the consumer's position plus [`READ_AHEAD`] — and move that end only
//! once the engine has delivered everything up to it and the consumer has pulled at least half.
//! Re-seeking only when the engine's reader stands at its end keeps the engine's notion of
//! "how long has this reader waited" truthful (a seek restarts that clock).

use std::collections::VecDeque;

/// Most bytes queued per reader ahead of its consumer.
pub const READ_AHEAD: u64 = 4 * 1024 * 1024;

/// One reader's window over torrent bytes `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReaderFlow {
    /// Exclusive end of the whole read.
    pub(crate) end: u64,
    /// Bytes handed to the consumer end here.
    pub(crate) consumed: u64,
    /// Bytes received from the engine end here.
    pub(crate) delivered: u64,
    /// The end the engine was last given.
    pub(crate) granted: u64,
    queue: VecDeque<Vec<u8>>,
}

impl ReaderFlow {
    /// A reader over `[start, end)`; returns it and the first `Seek` range for the engine.
    pub(crate) fn new(start: u64, end: u64) -> (Self, (u64, u64)) {
        let granted = end.min(start.saturating_add(READ_AHEAD));
        let flow = Self {
            end,
            consumed: start,
            delivered: start,
            granted,
            queue: VecDeque::new(),
        };
        (flow, (start, granted))
    }

    /// Bytes from the engine at torrent offset `offset`. Bytes that are not exactly the next
    /// ones (which the engine never sends) are dropped rather than reordered.
    pub(crate) fn push(&mut self, offset: u64, bytes: Vec<u8>) {
        if offset != self.delivered || bytes.is_empty() {
            return;
        }
        self.delivered += bytes.len() as u64;
        self.queue.push_back(bytes);
    }

    /// The next chunk for the consumer, if any.
    pub(crate) fn pop(&mut self) -> Option<Vec<u8>> {
        let chunk = self.queue.pop_front()?;
        self.consumed += chunk.len() as u64;
        Some(chunk)
    }

    /// Whether every byte of the read was handed out.
    pub(crate) fn finished(&self) -> bool {
        self.consumed >= self.end
    }

    /// Bytes queued and not pulled yet.
    pub(crate) fn queued(&self) -> u64 {
        self.delivered - self.consumed
    }

    /// A new `Seek` range for the engine when the window should move on, and records it.
    pub(crate) fn regrant(&mut self) -> Option<(u64, u64)> {
        if self.delivered < self.granted || self.granted >= self.end {
            return None;
        }
        if self.queued() > READ_AHEAD / 2 {
            return None;
        }
        self.granted = self.end.min(self.consumed.saturating_add(READ_AHEAD));
        (self.granted > self.delivered).then_some((self.delivered, self.granted))
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn window_is_bounded_and_moves_as_the_consumer_pulls() {
        let (mut f, first) = ReaderFlow::new(10, 10 + 20 * MIB);
        assert_eq!(first, (10, 10 + READ_AHEAD));
        // The engine fills the whole window: no regrant while the consumer has not pulled.
        for i in 0..4 {
            f.push(10 + i * MIB, vec![0; MIB as usize]);
        }
        assert_eq!(f.queued(), 4 * MIB);
        assert_eq!(f.regrant(), None);
        f.pop();
        assert_eq!(
            f.regrant(),
            None,
            "3 MiB still queued is more than half the window"
        );
        f.pop();
        assert_eq!(f.queued(), 2 * MIB);
        assert_eq!(f.regrant(), Some((10 + 4 * MIB, 10 + 6 * MIB)));
        assert_eq!(
            f.regrant(),
            None,
            "the engine has not delivered the new window yet"
        );
        // Queued bytes never exceed READ_AHEAD: the grant is measured from the consumer.
        assert!(f.granted - f.consumed <= READ_AHEAD);
    }

    #[test]
    fn out_of_order_bytes_are_dropped_and_the_end_is_respected() {
        let (mut f, first) = ReaderFlow::new(0, 100);
        assert_eq!(first, (0, 100));
        f.push(50, vec![1; 10]);
        assert_eq!(f.queued(), 0);
        f.push(0, vec![1; 100]);
        assert_eq!(f.pop().map(|c| c.len()), Some(100));
        assert!(f.finished());
        assert_eq!(f.regrant(), None);
    }
}
