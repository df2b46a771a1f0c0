//! One torrent's shared state behind the handles: its [`Session`], the platform doing its I/O,
//! and the tasks waiting on it (metadata, readers). Platforms report results through a
//! [`Sink`] that holds this cell weakly, so a destroyed torrent's leftovers do nothing.

use std::{
    cell::RefCell,
    collections::VecDeque,
    ops::Range,
    rc::{Rc, Weak},
    task::Waker,
};
use vecmap::VecMap;

use session::{Event, GetId, Notice, Platform, Session, TrackerIdx};
use swarm::{MemoryStorage, Millis, PeerKey, ReaderId, Sha1Smol};

/// The session type of the browser runtime.
pub(crate) type TorrentSession = Session<MemoryStorage, Sha1Smol>;

/// Where a platform reports what happened. Calling it from inside a platform call only
/// queues the event.
pub(crate) type Sink = Rc<dyn Fn(Event)>;

/// Tasks waiting for something to change.
#[derive(Default)]
struct Waiters {
    metadata: Vec<Waker>,
    readers: VecMap<ReaderId, Waker>,
}

/// One torrent: session, platform, waiters.
pub(crate) struct TorrentCell {
    session: RefCell<TorrentSession>,
    platform: RefCell<Box<dyn Platform>>,
    waiters: RefCell<Waiters>,
    /// Events that arrived while the session was busy.
    queue: RefCell<VecDeque<Event>>,
    /// The torrent's link, for [`crate::Torrent::magnet`].
    pub(crate) magnet: RefCell<metainfo::Magnet>,
    /// The .torrent file, when this client made it (seeding).
    pub(crate) torrent_file: RefCell<Option<Vec<u8>>>,
    /// The store keeping this torrent's pieces, if any (its platform holds the link).
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) store: RefCell<Option<crate::Store>>,
    /// Uploaded bytes already added to the stored item's seeded figure.
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) uploaded_noted: std::cell::Cell<u64>,
    /// Marks its store item as playing; released by [`TorrentCell::destroy`].
    #[cfg(target_family = "wasm")]
    pub(crate) playing: RefCell<Option<Rc<crate::store::Playing>>>,
}

impl TorrentCell {
    /// Starts `engine`'s session on the platform `make_platform` builds around a sink into
    /// this cell. The platform must not feed the sink before this returns (a browser's
    /// results arrive from the event loop anyway).
    // Natively no platform exists (`Client::add` needs a browser).
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn start(
        engine: swarm::Engine<MemoryStorage, Sha1Smol>,
        cfg: session::SessionConfig,
        magnet: metainfo::Magnet,
        make_platform: impl FnOnce(Sink) -> Box<dyn Platform>,
    ) -> Rc<Self> {
        Rc::new_cyclic(|weak: &Weak<Self>| {
            let weak = weak.clone();
            let sink: Sink = Rc::new(move |event| {
                if let Some(cell) = weak.upgrade() {
                    cell.feed(event);
                }
            });
            let mut platform = make_platform(sink);
            let waiters = RefCell::new(Waiters::default());
            let session = Session::start(
                engine,
                cfg,
                crate::now(),
                &mut Waking {
                    inner: &mut *platform,
                    waiters: &waiters,
                },
            );
            Self {
                session: RefCell::new(session),
                platform: RefCell::new(platform),
                waiters,
                queue: RefCell::new(VecDeque::new()),
                magnet: RefCell::new(magnet),
                torrent_file: RefCell::new(None),
                store: RefCell::new(None),
                uploaded_noted: std::cell::Cell::new(0),
                #[cfg(target_family = "wasm")]
                playing: RefCell::new(None),
            }
        })
    }

    /// Feeds an event to the session (queued if the session is busy, then fed in order).
    pub(crate) fn feed(&self, event: Event) {
        self.queue.borrow_mut().push_back(event);
        self.with(|_, _| ());
    }

    /// Calls into the session with the platform, then feeds what queued up meanwhile. `None`
    /// when the session is already busy (a platform call re-entering).
    pub(crate) fn with<R>(
        &self,
        f: impl FnOnce(&mut TorrentSession, &mut Waking<'_>) -> R,
    ) -> Option<R> {
        let (Ok(mut session), Ok(mut platform)) = (
            self.session.try_borrow_mut(),
            self.platform.try_borrow_mut(),
        ) else {
            return None;
        };
        let mut p = Waking {
            inner: &mut **platform,
            waiters: &self.waiters,
        };
        let r = f(&mut session, &mut p);
        loop {
            let next = self.queue.borrow_mut().pop_front();
            let Some(event) = next else { break };
            session.handle(crate::now(), event, &mut p);
        }
        Some(r)
    }

    /// Reads the session (for figures and checks). Not for platform code: the session is
    /// borrowed while it calls the platform.
    pub(crate) fn session(&self) -> std::cell::Ref<'_, TorrentSession> {
        self.session.borrow()
    }

    /// Waits for the metadata.
    pub(crate) fn wait_metadata(&self, waker: &Waker) {
        self.waiters.borrow_mut().metadata.push(waker.clone());
    }

    /// Waits for reader `id` to have bytes or end.
    pub(crate) fn wait_reader(&self, id: ReaderId, waker: &Waker) {
        self.waiters.borrow_mut().readers.insert(id, waker.clone());
    }

    /// Leaves the swarm and wakes every waiting task (to an error).
    pub(crate) fn destroy(&self) {
        self.with(|session, p| session.stop(p));
        #[cfg(target_family = "wasm")]
        if let Some(playing) = self.playing.borrow_mut().take() {
            playing.release();
        }
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for w in waiters
            .metadata
            .into_iter()
            .chain(waiters.readers.into_values())
        {
            w.wake();
        }
    }
}

/// The platform as the session sees it: wake-ups go to the waiting tasks, the rest to the
/// real platform.
pub(crate) struct Waking<'a> {
    inner: &'a mut dyn Platform,
    waiters: &'a RefCell<Waiters>,
}

impl Platform for Waking<'_> {
    fn tracker_connect(&mut self, tracker: TrackerIdx, url: &str) {
        self.inner.tracker_connect(tracker, url);
    }
    fn tracker_send(&mut self, tracker: TrackerIdx, text: String) {
        self.inner.tracker_send(tracker, text);
    }
    fn tracker_close(&mut self, tracker: TrackerIdx) {
        self.inner.tracker_close(tracker);
    }
    fn create_offer(&mut self, peer: PeerKey) {
        self.inner.create_offer(peer);
    }
    fn answer_offer(&mut self, peer: PeerKey, offer_sdp: &str) {
        self.inner.answer_offer(peer, offer_sdp);
    }
    fn apply_answer(&mut self, peer: PeerKey, answer_sdp: &str) {
        self.inner.apply_answer(peer, answer_sdp);
    }
    fn dial(&mut self, peer: PeerKey, addr: std::net::SocketAddr) {
        self.inner.dial(peer, addr);
    }
    fn classic_tracker_request(
        &mut self,
        tracker: session::ClassicTrackerIdx,
        request: session::ClassicRequest,
    ) {
        self.inner.classic_tracker_request(tracker, request);
    }
    fn send(&mut self, peer: PeerKey, bytes: Vec<u8>) {
        self.inner.send(peer, bytes);
    }
    fn close_peer(&mut self, peer: PeerKey) {
        self.inner.close_peer(peer);
    }
    fn http_get(&mut self, get: GetId, url: &str, range: Range<u64>) {
        self.inner.http_get(get, url, range);
    }
    fn http_cancel(&mut self, get: GetId) {
        self.inner.http_cancel(get);
    }
    fn hash_piece(&mut self, piece: u32, data: Vec<u8>) {
        self.inner.hash_piece(piece, data);
    }
    fn store_write(&mut self, piece: u32, data: Vec<u8>) {
        self.inner.store_write(piece, data);
    }
    fn store_read(&mut self, piece: u32) {
        self.inner.store_read(piece);
    }
    fn set_timer(&mut self, at: Option<Millis>) {
        self.inner.set_timer(at);
    }
    fn notice(&mut self, notice: Notice) {
        match &notice {
            Notice::ReaderReady(id) => {
                if let Some(w) = self.waiters.borrow_mut().readers.remove(id) {
                    w.wake();
                }
            }
            Notice::MetadataReady => {
                for w in self.waiters.borrow_mut().metadata.drain(..) {
                    w.wake();
                }
            }
            Notice::Complete
            | Notice::PeerOpened(_)
            | Notice::PeerGone(_)
            | Notice::OfferRefused
            | Notice::TrackerWarning { .. } => {}
        }
        self.inner.notice(notice);
    }
}
