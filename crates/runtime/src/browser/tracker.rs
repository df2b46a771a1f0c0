//! WebSocket trackers, one [`Announcer`] each: the socket, the offers it asks for, relayed
//! offers and answers, reconnects (the announcer's backoff) and a status for the UI.

use std::rc::Rc;

use gloo::timers::callback::Timeout;
use metainfo::InfoHash;
use tracker_proto::{Announcer, AnnouncerConfig, InOffer, Input, OutMessage, Output};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{MessageEvent, WebSocket};

use crate::{client::TorrentCell, info::TrackerStatus};

use super::peer;

/// One tracker of one torrent.
pub(crate) struct TrackerConn {
    announcer: Announcer,
    ws: Option<WebSocket>,
    callbacks: Vec<Closure<dyn FnMut(JsValue)>>,
    timer: Option<Timeout>,
    pub(crate) status: TrackerStatus,
}

impl TrackerConn {
    pub(crate) fn new(
        url: String,
        info_hash: InfoHash,
        peer_id: [u8; 20],
        left: Option<u64>,
    ) -> Self {
        let seed = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
        let cfg = AnnouncerConfig::new(info_hash, metainfo::PeerId::from(peer_id))
            .with_rng_seed(seed)
            .with_stats(tracker_proto::Stats {
                left,
                ..tracker_proto::Stats::default()
            });
        Self {
            announcer: Announcer::new(cfg),
            ws: None,
            callbacks: Vec::new(),
            timer: None,
            status: TrackerStatus {
                url,
                state: "connecting".to_owned(),
                error: None,
                peers_seen: 0,
            },
        }
    }

    fn close_socket(&mut self) {
        if let Some(ws) = self.ws.take() {
            ws.set_onopen(None);
            ws.set_onmessage(None);
            ws.set_onclose(None);
            ws.set_onerror(None);
            let _ = ws.close();
        }
        self.callbacks.clear();
    }
}

fn tnow() -> tracker_proto::Millis {
    tracker_proto::Millis(super::now().0)
}

/// Feeds one input to tracker `i` and acts on its outputs.
fn feed(cell: &Rc<TorrentCell>, i: usize, input: Input) {
    if let Some(t) = cell.net.trackers.borrow_mut().get_mut(i) {
        t.announcer.handle_input(tnow(), input);
    }
    pump(cell, i);
}

/// Drains tracker `i`'s outputs and re-arms its timer.
pub(crate) fn pump(cell: &Rc<TorrentCell>, i: usize) {
    loop {
        let out = match cell.net.trackers.borrow_mut().get_mut(i) {
            Some(t) => t.announcer.poll_output(),
            None => return,
        };
        let Some(out) = out else { break };
        match out {
            Output::Connect => connect(cell, i),
            Output::Send(msg) => {
                let trackers = cell.net.trackers.borrow();
                if let Some(ws) = trackers.get(i).and_then(|t| t.ws.as_ref()) {
                    let _ = ws.send_with_str(&msg.to_json());
                }
            }
            Output::NeedOffers(n) => offers(cell, i, n),
            Output::ExpireOffer(id) => {
                let key = cell.net.conns.borrow_mut().by_offer.remove(&id);
                if let Some(key) = key {
                    peer::close(cell, key, false);
                }
            }
            Output::RelayedOffer {
                peer_id,
                offer_id,
                offer,
            } => {
                let room = peer::free_slots(cell.net.max_peers, cell.net.conns.borrow().len(), 1);
                if room == 0 {
                    continue;
                }
                seen(cell, i);
                let cell = Rc::clone(cell);
                wasm_bindgen_futures::spawn_local(async move {
                    if let Some(answer) = peer::make_answer(&cell, &offer.sdp).await {
                        feed(
                            &cell,
                            i,
                            Input::AnswerReady {
                                to_peer_id: peer_id,
                                offer_id,
                                answer,
                            },
                        );
                    }
                });
            }
            Output::RelayedAnswer {
                offer_id, answer, ..
            } => {
                let key = cell.net.conns.borrow().by_offer.get(&offer_id).copied();
                if let Some(key) = key {
                    seen(cell, i);
                    let cell = Rc::clone(cell);
                    wasm_bindgen_futures::spawn_local(async move {
                        peer::accept_answer(&cell, key, &answer.sdp).await;
                    });
                }
            }
            Output::Swarm { .. } => set_state(cell, i, "answered", None),
            Output::Warning(w) => {
                if let Some(t) = cell.net.trackers.borrow_mut().get_mut(i) {
                    t.status.error = Some(format!("the tracker said: {w}"));
                }
            }
            _ => {}
        }
    }
    arm(cell, i);
}

fn seen(cell: &Rc<TorrentCell>, i: usize) {
    if let Some(t) = cell.net.trackers.borrow_mut().get_mut(i) {
        t.status.peers_seen += 1;
    }
}

fn set_state(cell: &Rc<TorrentCell>, i: usize, state: &str, error: Option<String>) {
    if let Some(t) = cell.net.trackers.borrow_mut().get_mut(i) {
        t.status.state = state.to_owned();
        if error.is_some() {
            t.status.error = error;
        }
    }
}

fn arm(cell: &Rc<TorrentCell>, i: usize) {
    let mut trackers = cell.net.trackers.borrow_mut();
    let Some(t) = trackers.get_mut(i) else { return };
    let Some(at) = t.announcer.poll_timeout() else {
        t.timer = None;
        return;
    };
    let delay = at.0.saturating_sub(tnow().0).min(u64::from(u32::MAX)) as u32;
    let weak = Rc::downgrade(cell);
    t.timer = Some(Timeout::new(delay, move || {
        let Some(cell) = weak.upgrade() else { return };
        let stats = {
            let s = cell.core.borrow().engine.stats();
            tracker_proto::Stats {
                uploaded: s.uploaded,
                downloaded: s.downloaded_from_peers + s.downloaded_from_webseeds,
                left: s.left,
            }
        };
        if let Some(t) = cell.net.trackers.borrow_mut().get_mut(i) {
            t.announcer.handle_input(tnow(), Input::Stats(stats));
            t.announcer.handle_timeout(tnow());
        }
        pump(&cell, i);
    }));
}

fn connect(cell: &Rc<TorrentCell>, i: usize) {
    let url = {
        let mut trackers = cell.net.trackers.borrow_mut();
        let Some(t) = trackers.get_mut(i) else { return };
        if t.ws
            .as_ref()
            .is_some_and(|ws| ws.ready_state() <= WebSocket::OPEN)
        {
            return;
        }
        t.close_socket();
        t.status.state = "connecting".to_owned();
        t.status.url.clone()
    };
    let Ok(ws) = WebSocket::new(&url) else {
        let why = format!("{url} is not a WebSocket address");
        set_state(cell, i, "failed", Some(why));
        feed(cell, i, Input::Disconnected);
        return;
    };
    let mut callbacks = Vec::new();
    let weak = Rc::downgrade(cell);
    let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        if let Some(cell) = weak.upgrade() {
            if let Some(t) = cell.net.trackers.borrow_mut().get_mut(i) {
                t.status.connected();
            }
            feed(&cell, i, Input::Connected);
        }
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    callbacks.push(on_open);
    let weak = Rc::downgrade(cell);
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
        let Some(cell) = weak.upgrade() else { return };
        let Some(text) = ev
            .dyn_into::<MessageEvent>()
            .ok()
            .and_then(|e| e.data().as_string())
        else {
            return;
        };
        match OutMessage::from_json(&text) {
            Ok(msg) => feed(&cell, i, Input::Message(msg)),
            Err(e) => set_state(
                &cell,
                i,
                "connected",
                Some(format!("the tracker sent a message we cannot read: {e}")),
            ),
        }
    });
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    callbacks.push(on_message);
    let weak = Rc::downgrade(cell);
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        let Some(cell) = weak.upgrade() else { return };
        let url = {
            let mut trackers = cell.net.trackers.borrow_mut();
            let Some(t) = trackers.get_mut(i) else { return };
            t.close_socket();
            t.status.url.clone()
        };
        set_state(
            &cell,
            i,
            "failed",
            Some(format!(
                "the connection to {url} closed or could not be opened"
            )),
        );
        feed(&cell, i, Input::Disconnected);
    });
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    callbacks.push(on_close);
    let mut trackers = cell.net.trackers.borrow_mut();
    if let Some(t) = trackers.get_mut(i) {
        t.ws = Some(ws);
        t.callbacks = callbacks;
    }
}

/// Makes up to `n` offers (within the peer cap) and hands them to tracker `i`.
fn offers(cell: &Rc<TorrentCell>, i: usize, n: usize) {
    let n = peer::free_slots(cell.net.max_peers, cell.net.conns.borrow().len(), n);
    let cell = Rc::clone(cell);
    wasm_bindgen_futures::spawn_local(async move {
        // All at once: each offer waits for its ICE gathering, and the announce waits for them
        // all, so making them one after another delayed the first announce n times over.
        let ready = futures_util::future::join_all((0..n).map(|_| peer::make_offer(&cell))).await;
        let mut made = Vec::with_capacity(n);
        for (key, offer) in ready.into_iter().flatten() {
            let mut id = [0u8; 20];
            for b in &mut id {
                *b = (js_sys::Math::random() * 256.0) as u8;
            }
            let offer_id = metainfo::Id20(id);
            cell.net.conns.borrow_mut().by_offer.insert(offer_id, key);
            made.push(InOffer { offer_id, offer });
        }
        if cell.core.borrow().destroyed {
            return;
        }
        feed(&cell, i, Input::OffersReady(made));
    });
}

/// The download finished: every tracker announces `completed` once.
pub(crate) fn completed(cell: &Rc<TorrentCell>) {
    let n = cell.net.trackers.borrow().len();
    for i in 0..n {
        let left = Some(0);
        let stats = {
            let s = cell.core.borrow().engine.stats();
            tracker_proto::Stats {
                uploaded: s.uploaded,
                downloaded: s.downloaded_from_peers + s.downloaded_from_webseeds,
                left,
            }
        };
        if let Some(t) = cell.net.trackers.borrow_mut().get_mut(i) {
            t.announcer.handle_input(tnow(), Input::Stats(stats));
        }
        feed(cell, i, Input::Completed);
    }
}

/// Announces `stopped` everywhere and closes the sockets a second later.
pub(crate) fn stop_all(cell: &Rc<TorrentCell>) {
    let n = cell.net.trackers.borrow().len();
    for i in 0..n {
        feed(cell, i, Input::Stop);
    }
    let mut trackers = std::mem::take(&mut *cell.net.trackers.borrow_mut());
    for t in &mut trackers {
        t.timer = None;
    }
    // WebTorrent gives the `stopped` announce up to a second on the wire.
    Timeout::new(1_000, move || {
        for t in &mut trackers {
            t.close_socket();
        }
    })
    .forget();
}
