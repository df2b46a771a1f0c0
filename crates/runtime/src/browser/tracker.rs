//! WebSocket trackers: one socket per tracker of a torrent, its frames decoded and reported
//! to the session.

use std::rc::Rc;

use gloo::timers::callback::Timeout;
use session::{Event, TrackerIdx};
use tracker_proto::OutMessage;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{MessageEvent, WebSocket};

use super::{report, report_later, SharedNet};

/// One tracker's socket.
pub(crate) struct Socket {
    ws: WebSocket,
    /// JS callbacks; dropped (and detached) with the socket.
    callbacks: Vec<Closure<dyn FnMut(JsValue)>>,
}

impl Socket {
    fn close(self) {
        let Self { ws, callbacks } = self;
        ws.set_onopen(None);
        ws.set_onmessage(None);
        ws.set_onclose(None);
        ws.set_onerror(None);
        let _ = ws.close();
        // Detached above, so the closures can go.
        drop(callbacks);
    }
}

/// Opens the socket (unless one is open or opening).
pub(crate) fn connect(net: &SharedNet, tracker: TrackerIdx, url: &str) {
    let old = {
        let mut n = net.borrow_mut();
        let busy = n
            .trackers
            .get(&tracker)
            .is_some_and(|s| s.ws.ready_state() <= WebSocket::OPEN);
        if busy {
            return;
        }
        n.trackers.remove(&tracker)
    };
    if let Some(old) = old {
        old.close();
    }
    let Ok(ws) = WebSocket::new(url) else {
        report_later(net, Event::TrackerClosed { tracker });
        return;
    };
    let mut callbacks = Vec::new();
    let weak = Rc::downgrade(net);
    let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        if let Some(net) = weak.upgrade() {
            report(&net, Event::TrackerOpen { tracker });
        }
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    callbacks.push(on_open);
    let weak = Rc::downgrade(net);
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
        let Some(net) = weak.upgrade() else { return };
        let Some(text) = ev
            .dyn_into::<MessageEvent>()
            .ok()
            .and_then(|e| e.data().as_string())
        else {
            return;
        };
        let message = OutMessage::from_json(&text);
        report(&net, Event::TrackerMessage { tracker, message });
    });
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    callbacks.push(on_message);
    let weak = Rc::downgrade(net);
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        let Some(net) = weak.upgrade() else { return };
        let socket = net.borrow_mut().trackers.remove(&tracker);
        if let Some(socket) = socket {
            socket.close();
        }
        report(&net, Event::TrackerClosed { tracker });
    });
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    callbacks.push(on_close);
    net.borrow_mut()
        .trackers
        .insert(tracker, Socket { ws, callbacks });
}

/// Sends one text frame (dropped unless the socket is open).
pub(crate) fn send(net: &SharedNet, tracker: TrackerIdx, text: &str) {
    if let Some(s) = net.borrow().trackers.get(&tracker) {
        let _ = s.ws.send_with_str(text);
    }
}

/// Closes the socket a second later: WebTorrent gives the `stopped` announce up to a second
/// on the wire.
pub(crate) fn close(net: &SharedNet, tracker: TrackerIdx) {
    let Some(socket) = net.borrow_mut().trackers.remove(&tracker) else {
        return;
    };
    socket.ws.set_onclose(None);
    Timeout::new(1_000, move || socket.close()).forget();
}
