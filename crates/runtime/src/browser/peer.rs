//! WebRTC peers: one `RTCPeerConnection` with one ordered data channel each, non-trickle
//! (the SDP is sent once ICE gathering completes, as WebTorrent does), with back-pressure on
//! the channel's `bufferedAmount` and timeouts for connecting and for the handshake.

use std::{
    collections::{BTreeMap, VecDeque},
    rc::{Rc, Weak},
};

use gloo::timers::{callback::Timeout, future::TimeoutFuture};
use swarm::{Input, PeerKey};
use tracker_proto::{OfferId, SessionDescription};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MessageEvent, RtcConfiguration, RtcDataChannel, RtcDataChannelEvent, RtcDataChannelState,
    RtcDataChannelType, RtcIceGatheringState, RtcIceServer, RtcPeerConnection,
    RtcPeerConnectionState, RtcSdpType, RtcSessionDescriptionInit,
};

use crate::{client::TorrentCell, config::IceServer};

/// Above this many bytes buffered in a channel, sends wait for `bufferedamountlow`.
pub(crate) const HIGH_WATER: u32 = 64 * 1024;
/// Longest wait for ICE gathering before the SDP is sent with what it has (WebTorrent: 5 s).
const GATHER_TIMEOUT_MS: u32 = 5_000;
/// A connection whose channel is not open after this long is closed.
const CONNECT_TIMEOUT_MS: u32 = 30_000;
/// An open channel that has received nothing (not even the handshake) after this long is
/// closed.
const HANDSHAKE_TIMEOUT_MS: u32 = 15_000;

/// One peer connection.
pub(crate) struct Conn {
    pc: RtcPeerConnection,
    dc: Option<RtcDataChannel>,
    /// Messages waiting for the channel's buffer to drain.
    queue: VecDeque<Vec<u8>>,
    /// The engine knows this peer (its channel opened).
    open: bool,
    /// A remote peer is on the other side: it answered our offer, or we answer its offer.
    /// (Offers made ahead for announces have nobody yet.)
    matched: bool,
    /// Bytes arrived since the channel opened.
    got_data: bool,
    timer: Option<Timeout>,
    /// JS callbacks; dropped (and detached) with the connection.
    callbacks: Vec<Closure<dyn FnMut(JsValue)>>,
}

/// All connections of one torrent (open and connecting).
#[derive(Default)]
pub(crate) struct Conns {
    map: BTreeMap<PeerKey, Conn>,
    next: u64,
    /// Our unanswered offers → their connection.
    pub(crate) by_offer: BTreeMap<OfferId, PeerKey>,
}

/// How many new connections fit under `max` when `current` exist and `asked` are wanted.
pub(crate) fn free_slots(max: usize, current: usize, asked: usize) -> usize {
    asked.min(max.saturating_sub(current))
}

impl Conns {
    /// Connections (open or connecting).
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Connections to a known remote peer whose data channel is not open yet.
    pub(crate) fn connecting(&self) -> usize {
        self.map.values().filter(|c| c.matched && !c.open).count()
    }

    fn mark_matched(&mut self, key: PeerKey) {
        if let Some(c) = self.map.get_mut(&key) {
            c.matched = true;
        }
    }
}

fn rtc_config(servers: &[IceServer]) -> RtcConfiguration {
    let list = js_sys::Array::new();
    for s in servers {
        let server = RtcIceServer::new();
        let urls: js_sys::Array = s.urls.iter().map(|u| JsValue::from_str(u)).collect();
        server.set_urls(&urls);
        if let Some(u) = &s.username {
            server.set_username(u);
        }
        if let Some(c) = &s.credential {
            server.set_credential(c);
        }
        list.push(&server);
    }
    let cfg = RtcConfiguration::new();
    cfg.set_ice_servers(&list);
    cfg
}

/// Creates a connection (not yet registered) and its key.
fn new_conn(cell: &Rc<TorrentCell>) -> Result<(PeerKey, RtcPeerConnection), JsValue> {
    let pc = RtcPeerConnection::new_with_configuration(&rtc_config(&cell.net.ice_servers))?;
    let mut conns = cell.net.conns.borrow_mut();
    let key = PeerKey(conns.next);
    conns.next += 1;
    let mut conn = Conn {
        pc: pc.clone(),
        dc: None,
        queue: VecDeque::new(),
        open: false,
        matched: false,
        got_data: false,
        timer: None,
        callbacks: Vec::new(),
    };
    let weak = Rc::downgrade(cell);
    conn.timer = Some(Timeout::new(CONNECT_TIMEOUT_MS, move || {
        if let Some(cell) = weak.upgrade() {
            let stale = cell
                .net
                .conns
                .borrow()
                .map
                .get(&key)
                .is_some_and(|c| !c.open);
            if stale {
                close(&cell, key, true);
            }
        }
    }));
    let weak = Rc::downgrade(cell);
    let pc2 = pc.clone();
    let on_state = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        if matches!(
            pc2.connection_state(),
            RtcPeerConnectionState::Failed | RtcPeerConnectionState::Closed
        ) {
            if let Some(cell) = weak.upgrade() {
                close(&cell, key, true);
            }
        }
    });
    pc.set_onconnectionstatechange(Some(on_state.as_ref().unchecked_ref()));
    conn.callbacks.push(on_state);
    conns.map.insert(key, conn);
    Ok((key, pc))
}

/// Wires a data channel to the engine.
fn attach_channel(cell: &Rc<TorrentCell>, key: PeerKey, dc: RtcDataChannel) {
    dc.set_binary_type(RtcDataChannelType::Arraybuffer);
    dc.set_buffered_amount_low_threshold(HIGH_WATER);
    let mut callbacks = Vec::new();
    let weak = Rc::downgrade(cell);
    let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        if let Some(cell) = weak.upgrade() {
            opened(&cell, key);
        }
    });
    dc.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    callbacks.push(on_open);
    let weak = Rc::downgrade(cell);
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
        let Some(cell) = weak.upgrade() else { return };
        let Ok(ev) = ev.dyn_into::<MessageEvent>() else {
            return;
        };
        let Ok(buf) = ev.data().dyn_into::<js_sys::ArrayBuffer>() else {
            // WebTorrent sends binary only; a text frame breaks the protocol.
            close(&cell, key, true);
            return;
        };
        let bytes = js_sys::Uint8Array::new(&buf).to_vec();
        let known = {
            let mut conns = cell.net.conns.borrow_mut();
            match conns.map.get_mut(&key) {
                Some(c) if c.open => {
                    c.got_data = true;
                    true
                }
                _ => false,
            }
        };
        if known {
            super::feed(
                &cell,
                Input::PeerData {
                    peer: key,
                    bytes: &bytes,
                },
            );
        }
    });
    dc.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    callbacks.push(on_message);
    let weak = Rc::downgrade(cell);
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        if let Some(cell) = weak.upgrade() {
            close(&cell, key, true);
        }
    });
    dc.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    dc.set_onerror(Some(on_close.as_ref().unchecked_ref()));
    callbacks.push(on_close);
    let weak = Rc::downgrade(cell);
    let on_low = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        if let Some(cell) = weak.upgrade() {
            drain(&cell, key);
        }
    });
    dc.set_onbufferedamountlow(Some(on_low.as_ref().unchecked_ref()));
    callbacks.push(on_low);
    let mut conns = cell.net.conns.borrow_mut();
    if let Some(c) = conns.map.get_mut(&key) {
        c.dc = Some(dc);
        c.callbacks.extend(callbacks);
    }
}

fn opened(cell: &Rc<TorrentCell>, key: PeerKey) {
    {
        let mut conns = cell.net.conns.borrow_mut();
        let Some(c) = conns.map.get_mut(&key) else {
            return;
        };
        c.open = true;
        let weak: Weak<TorrentCell> = Rc::downgrade(cell);
        c.timer = Some(Timeout::new(HANDSHAKE_TIMEOUT_MS, move || {
            if let Some(cell) = weak.upgrade() {
                let silent = cell
                    .net
                    .conns
                    .borrow()
                    .map
                    .get(&key)
                    .is_some_and(|c| !c.got_data);
                if silent {
                    close(&cell, key, true);
                }
            }
        }));
        // Offers that turned into connections are no longer pending.
        conns.by_offer.retain(|_, k| *k != key);
    }
    super::feed(cell, Input::PeerConnected { peer: key });
}

/// Sends bytes, queueing them while the channel holds more than [`HIGH_WATER`].
pub(crate) fn send(cell: &Rc<TorrentCell>, key: PeerKey, bytes: Vec<u8>) {
    let mut conns = cell.net.conns.borrow_mut();
    let Some(c) = conns.map.get_mut(&key) else {
        return;
    };
    c.queue.push_back(bytes);
    drop(conns);
    drain(cell, key);
}

/// Writes queued messages while the channel's buffer is below [`HIGH_WATER`].
fn drain(cell: &Rc<TorrentCell>, key: PeerKey) {
    let mut failed = false;
    {
        let mut conns = cell.net.conns.borrow_mut();
        let Some(c) = conns.map.get_mut(&key) else {
            return;
        };
        let Some(dc) = c.dc.clone() else { return };
        if dc.ready_state() != RtcDataChannelState::Open {
            return;
        }
        while dc.buffered_amount() <= HIGH_WATER {
            let Some(msg) = c.queue.pop_front() else {
                break;
            };
            if dc.send_with_u8_array(&msg).is_err() {
                failed = true;
                break;
            }
        }
    }
    if failed {
        close(cell, key, true);
    }
}

/// Closes a connection. `tell_engine`: the engine did not ask for it (feed `PeerGone`).
pub(crate) fn close(cell: &Rc<TorrentCell>, key: PeerKey, tell_engine: bool) {
    let conn = {
        let mut conns = cell.net.conns.borrow_mut();
        conns.by_offer.retain(|_, k| *k != key);
        conns.map.remove(&key)
    };
    let Some(conn) = conn else { return };
    if let Some(dc) = &conn.dc {
        dc.set_onopen(None);
        dc.set_onmessage(None);
        dc.set_onclose(None);
        dc.set_onerror(None);
        dc.set_onbufferedamountlow(None);
        dc.close();
    }
    conn.pc.set_onconnectionstatechange(None);
    conn.pc.set_ondatachannel(None);
    conn.pc.close();
    if tell_engine && conn.open {
        super::feed(cell, Input::PeerGone { peer: key });
    }
}

/// Closes every connection (the torrent stops).
pub(crate) fn close_all(cell: &Rc<TorrentCell>) {
    let keys: Vec<PeerKey> = cell.net.conns.borrow().map.keys().copied().collect();
    for k in keys {
        close(cell, k, false);
    }
}

/// Waits until ICE gathering completes (or [`GATHER_TIMEOUT_MS`]) and returns the local SDP.
async fn gathered_sdp(pc: &RtcPeerConnection) -> Option<String> {
    let mut waited = 0;
    while pc.ice_gathering_state() != RtcIceGatheringState::Complete && waited < GATHER_TIMEOUT_MS {
        TimeoutFuture::new(50).await;
        waited += 50;
    }
    pc.local_description().map(|d| d.sdp())
}

fn sdp_of(v: &JsValue) -> Option<String> {
    js_sys::Reflect::get(v, &"sdp".into()).ok()?.as_string()
}

/// Makes one initiator connection and returns its complete offer.
pub(crate) async fn make_offer(cell: &Rc<TorrentCell>) -> Option<(PeerKey, SessionDescription)> {
    let (key, pc) = new_conn(cell).ok()?;
    let dc = pc.create_data_channel("webtorrent");
    attach_channel(cell, key, dc);
    let result = async {
        let offer = JsFuture::from(pc.create_offer()).await.ok()?;
        let init = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        init.set_sdp(&sdp_of(&offer)?);
        JsFuture::from(pc.set_local_description(&init)).await.ok()?;
        gathered_sdp(&pc).await
    }
    .await;
    match result {
        Some(sdp) if cell.net.conns.borrow().map.contains_key(&key) => {
            Some((key, SessionDescription::offer(sdp)))
        }
        _ => {
            close(cell, key, false);
            None
        }
    }
}

/// Answers a relayed offer with a new connection; returns the complete answer.
pub(crate) async fn make_answer(cell: &Rc<TorrentCell>, offer: &str) -> Option<SessionDescription> {
    let (key, pc) = new_conn(cell).ok()?;
    cell.net.conns.borrow_mut().mark_matched(key);
    let weak = Rc::downgrade(cell);
    let on_channel = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
        let (Some(cell), Ok(ev)) = (weak.upgrade(), ev.dyn_into::<RtcDataChannelEvent>()) else {
            return;
        };
        let dc = ev.channel();
        let already_open = dc.ready_state() == RtcDataChannelState::Open;
        attach_channel(&cell, key, dc);
        if already_open {
            opened(&cell, key);
        }
    });
    pc.set_ondatachannel(Some(on_channel.as_ref().unchecked_ref()));
    if let Some(c) = cell.net.conns.borrow_mut().map.get_mut(&key) {
        c.callbacks.push(on_channel);
    }
    let result = async {
        let init = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
        init.set_sdp(offer);
        JsFuture::from(pc.set_remote_description(&init))
            .await
            .ok()?;
        let answer = JsFuture::from(pc.create_answer()).await.ok()?;
        let init = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
        init.set_sdp(&sdp_of(&answer)?);
        JsFuture::from(pc.set_local_description(&init)).await.ok()?;
        gathered_sdp(&pc).await
    }
    .await;
    match result {
        Some(sdp) if cell.net.conns.borrow().map.contains_key(&key) => {
            Some(SessionDescription::answer(sdp))
        }
        _ => {
            close(cell, key, false);
            None
        }
    }
}

/// Applies the answer to one of our offers.
pub(crate) async fn accept_answer(cell: &Rc<TorrentCell>, key: PeerKey, answer: &str) {
    let pc = cell.net.conns.borrow().map.get(&key).map(|c| c.pc.clone());
    let Some(pc) = pc else { return };
    cell.net.conns.borrow_mut().mark_matched(key);
    let init = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
    init.set_sdp(answer);
    if JsFuture::from(pc.set_remote_description(&init))
        .await
        .is_err()
    {
        close(cell, key, true);
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::free_slots;

    #[test]
    fn connections_stay_under_the_cap() {
        assert_eq!(free_slots(20, 0, 5), 5);
        assert_eq!(free_slots(20, 18, 5), 2);
        assert_eq!(free_slots(20, 20, 5), 0);
        assert_eq!(free_slots(20, 25, 1), 0);
    }
}
