//! The browser as a [`session::Platform`]: WebRTC peers ([`peer`]), WebSocket trackers
//! ([`tracker`]), webseed fetches ([`webseed`]), SubtleCrypto hashing ([`hashing`]) and one
//! timer. Every result reaches the session through the [`Sink`] from the event loop, never
//! from inside a platform call. Callbacks hold the platform's state weakly, so a destroyed
//! torrent's leftovers do nothing.

pub(crate) mod detach;
mod hashing;
pub(crate) mod peer;
mod tracker;
mod webseed;

#[cfg(test)]
mod tests;

use std::{cell::RefCell, ops::Range, rc::Rc};
use vecmap::VecMap;

use gloo::timers::callback::Timeout;
use session::{Event, GetId, Platform, TrackerIdx};
use swarm::{Millis, PeerKey};

use crate::{cell::Sink, config::IceServer};

pub(crate) use hashing::available as subtle_sha1_available;

/// The browser-side state of one torrent, shared with its JS callbacks.
pub(crate) struct Net {
    sink: Sink,
    ice_servers: Vec<IceServer>,
    conns: peer::Conns,
    trackers: VecMap<TrackerIdx, tracker::Socket>,
    http: VecMap<GetId, web_sys::AbortController>,
    timer: Option<Timeout>,
    /// The torrent's link to the persistent store, if it has one.
    store: Option<crate::store::TorrentStore>,
    /// Where data channels the remote opens beyond a connection's first go.
    extra_channel: Option<peer::ExtraChannel>,
}

/// Shared handle to a torrent's [`Net`].
pub(crate) type SharedNet = Rc<RefCell<Net>>;

/// The platform object the session calls.
pub(crate) struct BrowserPlatform {
    net: SharedNet,
}

impl BrowserPlatform {
    /// A platform reporting to `sink`, connecting peers through `ice_servers`.
    pub(crate) fn new(
        sink: Sink,
        ice_servers: Vec<IceServer>,
        store: Option<crate::store::TorrentStore>,
    ) -> Self {
        let net = Net {
            sink,
            ice_servers,
            conns: peer::Conns::default(),
            trackers: VecMap::new(),
            http: VecMap::new(),
            timer: None,
            store,
            extra_channel: None,
        };
        Self {
            net: Rc::new(RefCell::new(net)),
        }
    }
}

impl BrowserPlatform {
    /// The shared state (tests drive peers through it; HLS borrows its connections).
    pub(crate) fn net(&self) -> SharedNet {
        Rc::clone(&self.net)
    }
}

/// Sends data channels the remote opens beyond a connection's first to `hook`.
pub(crate) fn on_extra_channel(net: &SharedNet, hook: peer::ExtraChannel) {
    net.borrow_mut().extra_channel = Some(hook);
}

/// Feeds `event` to the session from the event loop (a microtask later), for results the
/// browser gives synchronously.
fn report_later(net: &SharedNet, event: Event) {
    let sink = Rc::clone(&net.borrow().sink);
    wasm_bindgen_futures::spawn_local(async move { sink(event) });
}

/// Feeds `event` to the session now (from a callback or a finished future; never while `net`
/// is borrowed).
fn report(net: &SharedNet, event: Event) {
    let sink = Rc::clone(&net.borrow().sink);
    sink(event);
}

impl Platform for BrowserPlatform {
    fn tracker_connect(&mut self, tracker: TrackerIdx, url: &str) {
        tracker::connect(&self.net, tracker, url);
    }

    fn tracker_send(&mut self, tracker: TrackerIdx, text: String) {
        tracker::send(&self.net, tracker, &text);
    }

    fn tracker_close(&mut self, tracker: TrackerIdx) {
        tracker::close(&self.net, tracker);
    }

    fn create_offer(&mut self, peer: PeerKey) {
        peer::create_offer(&self.net, peer);
    }

    fn answer_offer(&mut self, peer: PeerKey, offer_sdp: &str) {
        peer::answer_offer(&self.net, peer, offer_sdp);
    }

    fn apply_answer(&mut self, peer: PeerKey, answer_sdp: &str) {
        peer::apply_answer(&self.net, peer, answer_sdp);
    }

    fn dial(&mut self, peer: PeerKey, _addr: std::net::SocketAddr) {
        // A page cannot open TCP connections; its sessions are given no addresses.
        report_later(&self.net, Event::PeerClosed { peer });
    }

    fn classic_tracker_request(
        &mut self,
        tracker: session::ClassicTrackerIdx,
        _request: session::ClassicRequest,
    ) {
        // HTTP trackers answer without CORS headers and UDP is out of reach: a page announces
        // to WebSocket trackers only (the runtime leaves `classic_trackers` empty).
        let reply = Err("a browser cannot reach HTTP or UDP trackers".to_owned());
        report_later(&self.net, Event::ClassicTrackerReply { tracker, reply });
    }

    fn send(&mut self, peer: PeerKey, bytes: Vec<u8>) {
        peer::send(&self.net, peer, bytes);
    }

    fn close_peer(&mut self, peer: PeerKey) {
        peer::close(&self.net, peer);
    }

    fn http_get(&mut self, get: GetId, url: &str, range: Range<u64>) {
        webseed::get(&self.net, get, url, range);
    }

    fn http_cancel(&mut self, get: GetId) {
        if let Some(c) = self.net.borrow_mut().http.remove(&get) {
            c.abort();
        }
    }

    fn hash_piece(&mut self, piece: u32, data: Vec<u8>) {
        hashing::hash_piece(&self.net, piece, data);
    }

    fn store_write(&mut self, piece: u32, data: Vec<u8>) {
        match &self.net.borrow().store {
            Some(store) => store.write(piece, data),
            None => report_later(
                &self.net,
                Event::PieceStored {
                    piece,
                    result: Err(swarm::StoreError::Failed),
                },
            ),
        }
    }

    fn store_read(&mut self, piece: u32) {
        match &self.net.borrow().store {
            Some(store) => store.read(piece),
            None => report_later(
                &self.net,
                Event::PieceLoaded {
                    piece,
                    result: Err(swarm::StoreError::Missing),
                },
            ),
        }
    }

    fn set_timer(&mut self, at: Option<Millis>) {
        let timer = at.map(|at| {
            let delay = at.0.saturating_sub(now().0).min(u64::from(u32::MAX)) as u32;
            let weak = Rc::downgrade(&self.net);
            Timeout::new(delay, move || {
                if let Some(net) = weak.upgrade() {
                    net.borrow_mut().timer = None;
                    report(&net, Event::Timer);
                }
            })
        });
        // Replacing the old Timeout cancels it.
        self.net.borrow_mut().timer = timer;
    }
}

thread_local! {
    /// The global's `performance` (a page's or a worker's), looked up once: the clock is read
    /// for every event, and the lookup cost more than the reading.
    static PERFORMANCE: Option<web_sys::Performance> =
        js_sys::Reflect::get(&js_sys::global(), &"performance".into())
            .ok()
            .and_then(|p| wasm_bindgen::JsCast::dyn_into::<web_sys::Performance>(p).ok());
}

/// Milliseconds since the page started (`performance.now()`).
pub(crate) fn now() -> Millis {
    let ms = PERFORMANCE.with(|perf| perf.as_ref().map_or_else(js_sys::Date::now, |p| p.now()));
    Millis(ms.max(0.0) as u64)
}
