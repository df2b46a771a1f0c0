//! The browser side: WebRTC peers, WebSocket trackers, webseed fetches and the engine timer,
//! all feeding one torrent's [`Core`](crate::core::Core). Callbacks hold `Weak` references, so
//! a destroyed torrent's leftovers do nothing.

mod hashing;
mod peer;
mod tracker;
mod webseed;

#[cfg(test)]
mod tests;

use std::{
    cell::RefCell,
    collections::BTreeMap,
    rc::{Rc, Weak},
};

use gloo::timers::callback::Timeout;
use swarm::{HttpRequestId, Input, Millis, Output};

use crate::{
    client::TorrentCell,
    config::{ClientConfig, IceServer},
    core::Core,
    info::TrackerStatus,
};

pub(crate) use hashing::available as subtle_sha1_available;
pub(crate) use peer::Conns;
use tracker::TrackerConn;

/// Everything of one torrent that talks to the outside.
pub(crate) struct Net {
    pub(crate) ice_servers: Vec<IceServer>,
    pub(crate) max_peers: usize,
    pub(crate) conns: RefCell<Conns>,
    pub(crate) trackers: RefCell<Vec<TrackerConn>>,
    pub(crate) webseeds: Vec<String>,
    pub(crate) http: RefCell<BTreeMap<HttpRequestId, web_sys::AbortController>>,
    engine_timer: RefCell<Option<(Millis, Timeout)>>,
}

impl Net {
    /// Each tracker's state for the UI.
    pub(crate) fn tracker_statuses(&self) -> Vec<TrackerStatus> {
        self.trackers
            .borrow()
            .iter()
            .map(|t| t.status.clone())
            .collect()
    }
}

/// Milliseconds since the page started (`performance.now()`).
pub(crate) fn now() -> Millis {
    let perf = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| wasm_bindgen::JsCast::dyn_into::<web_sys::Performance>(p).ok());
    let ms = perf.map_or_else(js_sys::Date::now, |p| p.now());
    Millis(ms.max(0.0) as u64)
}

/// Starts a torrent: its trackers connect at once.
pub(crate) fn start(
    engine: swarm::Engine<swarm::MemoryStorage, swarm::Sha1Smol>,
    cfg: &ClientConfig,
    peer_id: [u8; 20],
    tracker_urls: Vec<String>,
    webseeds: Vec<String>,
) -> Rc<TorrentCell> {
    let info_hash = engine.info_hash();
    // A seed's first announce already says it has everything (`left` 0).
    let left = engine.stats().left;
    let cell = Rc::new(TorrentCell {
        core: RefCell::new(Core::new(engine, now())),
        net: Net {
            ice_servers: cfg.ice_servers.clone(),
            max_peers: cfg.max_peers.max(1),
            conns: RefCell::new(Conns::default()),
            trackers: RefCell::new(
                tracker_urls
                    .into_iter()
                    .map(|u| TrackerConn::new(u, info_hash, peer_id, left))
                    .collect(),
            ),
            webseeds,
            http: RefCell::new(BTreeMap::new()),
            engine_timer: RefCell::new(None),
        },
    });
    let n = cell.net.trackers.borrow().len();
    for i in 0..n {
        tracker::pump(&cell, i);
    }
    // The engine may want to start webseed requests or arm its timers right away.
    feed(&cell, Input::Tick);
    cell
}

/// Feeds one input to the engine and performs what it asks for.
pub(crate) fn feed(cell: &Rc<TorrentCell>, input: Input<'_>) {
    let outs = cell.core.borrow_mut().input(now(), input);
    act(cell, outs);
}

/// Performs the engine's outputs, then re-arms its timer.
pub(crate) fn act(cell: &Rc<TorrentCell>, outs: Vec<Output>) {
    if cell.core.borrow().destroyed {
        return;
    }
    for out in outs {
        match out {
            Output::Send { peer, bytes } => peer::send(cell, peer, bytes),
            Output::Close { peer, .. } => peer::close(cell, peer, false),
            Output::HttpRequest { id, webseed, range } => webseed::start(cell, id, webseed, range),
            Output::HttpCancel { id } => {
                if let Some(c) = cell.net.http.borrow_mut().remove(&id) {
                    c.abort();
                }
            }
            Output::HashPiece { piece, data } => hashing::hash_piece(cell, piece, data),
            Output::Complete => tracker::completed(cell),
            _ => {}
        }
    }
    arm_engine_timer(cell);
}

fn arm_engine_timer(cell: &Rc<TorrentCell>) {
    let at = cell.core.borrow().engine.poll_timeout();
    let mut slot = cell.net.engine_timer.borrow_mut();
    if slot.as_ref().is_some_and(|(t, _)| *t == at) {
        return;
    }
    let delay = at.0.saturating_sub(now().0).min(u64::from(u32::MAX)) as u32;
    let weak: Weak<TorrentCell> = Rc::downgrade(cell);
    let timer = Timeout::new(delay, move || {
        if let Some(cell) = weak.upgrade() {
            cell.net.engine_timer.borrow_mut().take();
            feed(&cell, Input::Tick);
        }
    });
    // Replacing the old Timeout cancels it.
    *slot = Some((at, timer));
}

/// Leaves the trackers and closes every connection and request.
pub(crate) fn stop(cell: &Rc<TorrentCell>) {
    tracker::stop_all(cell);
    peer::close_all(cell);
    for (_, c) in std::mem::take(&mut *cell.net.http.borrow_mut()) {
        c.abort();
    }
    cell.net.engine_timer.borrow_mut().take();
}
