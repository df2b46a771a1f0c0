//! WebRTC peers: one `RTCPeerConnection` with one ordered data channel each, non-trickle
//! (the SDP is sent once ICE gathering completes or [`GATHER_TIMEOUT_MS`] passed, as WebTorrent
//! does), with back-pressure on the channel's `bufferedAmount`. Slots and timeouts are the
//! session's.
//!
//! A connection may also carry more data channels, opened in-band later (no new SDP): a
//! channel the remote opens beyond the first goes to the torrent's [`ExtraChannel`] hook, and
//! [`adopt`] makes a data channel on another torrent's connection a peer of this one (HLS
//! segments travel so over a live channel's connections). Closing an adopted peer closes its
//! data channel only, never the connection it borrowed.

use std::{collections::VecDeque, rc::Rc};
use vecmap::VecMap;

use gloo::timers::future::TimeoutFuture;
use session::Event;
use swarm::PeerKey;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MessageEvent, RtcConfiguration, RtcDataChannel, RtcDataChannelEvent, RtcDataChannelState,
    RtcDataChannelType, RtcIceGatheringState, RtcIceServer, RtcPeerConnection,
    RtcPeerConnectionState, RtcSdpType, RtcSessionDescriptionInit,
};

use super::{report, report_later, SharedNet};
use crate::config::IceServer;

/// Above this many bytes buffered in a channel, sends wait for `bufferedamountlow`. A
/// loopback or LAN channel drains 64 KiB (the mark until 2026-12) in a few milliseconds, less
/// than a busy page's gap between tasks, which left the link idle between refills; 1 MiB
/// keeps it busy (the ceiling benchmark's sender uses the same mark).
pub(crate) const HIGH_WATER: u32 = 1024 * 1024;
/// `bufferedamountlow` fires at this mark: refilling starts with a quarter still queued.
const LOW_WATER: u32 = 256 * 1024;
/// Queued wire messages are joined into sends of at most [`max_send`] bytes: the BitTorrent
/// wire is a byte stream (WebTorrent reads a channel as one, and so does the session), so
/// message boundaries mean nothing, and fewer sends cost less on both sides (each send and
/// each received message is a task and a hop between the page and the network thread). 64 KiB
/// is the largest message a peer must accept when its SDP has no `max-message-size` (RFC 8841
/// §6), and what we send until the connection says more.
const DEFAULT_SEND: usize = 64 * 1024;
/// The largest send when the connection allows more: Chromium's own `max-message-size`.
const LARGEST_SEND: usize = 256 * 1024;
/// Longest wait for ICE gathering before the SDP is sent with what it has (WebTorrent: 5 s).
const GATHER_TIMEOUT_MS: u32 = 5_000;

/// One peer connection.
pub(crate) struct Conn {
    pc: RtcPeerConnection,
    dc: Option<RtcDataChannel>,
    /// Messages waiting for the channel's buffer to drain.
    queue: VecDeque<Vec<u8>>,
    /// Largest send, once read from the connection's SCTP transport ([`max_send`]).
    max_send: Option<usize>,
    /// JS callbacks; dropped (and detached) with the connection.
    callbacks: Vec<Closure<dyn FnMut(JsValue)>>,
    /// Whether this peer made `pc` (an adopted channel borrows another torrent's).
    owns_pc: bool,
}

/// Told about a data channel the remote opened on an open connection beyond its first one:
/// the connection's key, the connection and the channel.
pub(crate) type ExtraChannel = Rc<dyn Fn(PeerKey, RtcPeerConnection, RtcDataChannel)>;

/// The label of the data channel our offers open first (the session's BitTorrent wire).
const MAIN_LABEL: &str = "webtorrent";

/// All connections of one torrent.
pub(crate) type Conns = VecMap<PeerKey, Conn>;

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

/// Creates and registers a connection for `key`.
fn new_conn(net: &SharedNet, key: PeerKey) -> Option<RtcPeerConnection> {
    let servers = net.borrow().ice_servers.clone();
    let pc = RtcPeerConnection::new_with_configuration(&rtc_config(&servers)).ok()?;
    let weak = Rc::downgrade(net);
    let pc2 = pc.clone();
    let on_state = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        if matches!(
            pc2.connection_state(),
            RtcPeerConnectionState::Failed | RtcPeerConnectionState::Closed
        ) {
            if let Some(net) = weak.upgrade() {
                lost(&net, key);
            }
        }
    });
    pc.set_onconnectionstatechange(Some(on_state.as_ref().unchecked_ref()));
    // Channels the remote opens: its first (when we answered) is the session's; any later
    // one goes to the extra-channel hook (or is closed).
    let weak = Rc::downgrade(net);
    let pc3 = pc.clone();
    let on_channel = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
        let (Some(net), Ok(ev)) = (weak.upgrade(), ev.dyn_into::<RtcDataChannelEvent>()) else {
            return;
        };
        let dc = ev.channel();
        // Any label: simple-peer (WebTorrent) names its channel at random.
        let first = net.borrow().conns.get(&key).is_some_and(|c| c.dc.is_none());
        if first {
            let already_open = dc.ready_state() == RtcDataChannelState::Open;
            attach_channel(&net, key, dc);
            if already_open {
                report(&net, Event::PeerOpen { peer: key });
            }
            return;
        }
        let hook = net.borrow().extra_channel.clone();
        match hook {
            Some(hook) => hook(key, pc3.clone(), dc),
            None => dc.close(),
        }
    });
    pc.set_ondatachannel(Some(on_channel.as_ref().unchecked_ref()));
    let conn = Conn {
        pc: pc.clone(),
        dc: None,
        queue: VecDeque::new(),
        max_send: None,
        callbacks: vec![on_state, on_channel],
        owns_pc: true,
    };
    net.borrow_mut().conns.insert(key, conn);
    Some(pc)
}

/// Wires a data channel to the session.
fn attach_channel(net: &SharedNet, key: PeerKey, dc: RtcDataChannel) {
    dc.set_binary_type(RtcDataChannelType::Arraybuffer);
    dc.set_buffered_amount_low_threshold(LOW_WATER);
    let mut callbacks = Vec::new();
    let weak = Rc::downgrade(net);
    let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        if let Some(net) = weak.upgrade() {
            report(&net, Event::PeerOpen { peer: key });
        }
    });
    dc.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    callbacks.push(on_open);
    let weak = Rc::downgrade(net);
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |ev: JsValue| {
        let Some(net) = weak.upgrade() else { return };
        let Ok(ev) = ev.dyn_into::<MessageEvent>() else {
            return;
        };
        let Ok(buf) = ev.data().dyn_into::<js_sys::ArrayBuffer>() else {
            // WebTorrent sends binary only; a text frame breaks the protocol.
            lost(&net, key);
            return;
        };
        let bytes = js_sys::Uint8Array::new(&buf).to_vec();
        super::detach::release(&buf);
        report(&net, Event::PeerData { peer: key, bytes });
    });
    dc.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    callbacks.push(on_message);
    let weak = Rc::downgrade(net);
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        if let Some(net) = weak.upgrade() {
            lost(&net, key);
        }
    });
    dc.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    dc.set_onerror(Some(on_close.as_ref().unchecked_ref()));
    callbacks.push(on_close);
    let weak = Rc::downgrade(net);
    let on_low = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        if let Some(net) = weak.upgrade() {
            drain(&net, key);
        }
    });
    dc.set_onbufferedamountlow(Some(on_low.as_ref().unchecked_ref()));
    callbacks.push(on_low);
    if let Some(c) = net.borrow_mut().conns.get_mut(&key) {
        c.dc = Some(dc);
        c.callbacks.extend(callbacks);
    }
}

/// Sends bytes, queueing them while the channel holds more than [`HIGH_WATER`].
pub(crate) fn send(net: &SharedNet, key: PeerKey, bytes: Vec<u8>) {
    {
        let mut n = net.borrow_mut();
        let Some(c) = n.conns.get_mut(&key) else {
            return;
        };
        let largest = match c.max_send {
            Some(m) => m,
            None => {
                let m = max_send(&c.pc);
                // Known once the transport is up (it is before the first send can happen).
                c.max_send = m;
                m.unwrap_or(DEFAULT_SEND)
            }
        };
        enqueue(&mut c.queue, bytes, largest);
    }
    drain(net, key);
}

/// The largest send this connection allows, up to [`LARGEST_SEND`]: its SCTP transport's
/// `maxMessageSize` (the smaller of both SDPs' `max-message-size`; `Infinity` where a side
/// sets no bound), or `None` while the transport is not there yet.
fn max_send(pc: &RtcPeerConnection) -> Option<usize> {
    let sctp = js_sys::Reflect::get(pc, &"sctp".into()).ok()?;
    let size = js_sys::Reflect::get(&sctp, &"maxMessageSize".into())
        .ok()?
        .as_f64()?;
    // 0 would mean "no limit" in SDP terms but is not what browsers report; be safe.
    (size >= 1.0).then(|| (size.min(LARGEST_SEND as f64) as usize).max(1))
}

/// Writes queued messages while the channel's buffer is below [`HIGH_WATER`].
fn drain(net: &SharedNet, key: PeerKey) {
    let failed = {
        let mut n = net.borrow_mut();
        let Some(c) = n.conns.get_mut(&key) else {
            return;
        };
        let Some(dc) = c.dc.clone() else { return };
        if dc.ready_state() != RtcDataChannelState::Open {
            return;
        }
        let mut failed = false;
        while dc.buffered_amount() <= HIGH_WATER {
            let Some(msg) = c.queue.pop_front() else {
                break;
            };
            if dc.send_with_u8_array(&msg).is_err() {
                failed = true;
                break;
            }
        }
        failed
    };
    if failed {
        close(net, key);
        report_later(net, Event::PeerClosed { peer: key });
    }
}

/// Queues `bytes` as sends of at most `largest` bytes: topping up the last queued send
/// first, then in whole sends. The engine hands over everything one input produced for a
/// peer at once (a burst of requests answered is many blocks), and a send above the peer's
/// `max-message-size` (Chromium: 256 KiB) fails and ends the connection.
fn enqueue(queue: &mut VecDeque<Vec<u8>>, bytes: Vec<u8>, largest: usize) {
    let mut rest = bytes.as_slice();
    if let Some(last) = queue.back_mut() {
        let room = largest.saturating_sub(last.len());
        let (now, later) = rest.split_at(room.min(rest.len()));
        last.extend_from_slice(now);
        rest = later;
    }
    if rest.len() == bytes.len() && rest.len() <= largest {
        // Nothing joined and small enough: queued as it is, without a copy.
        queue.push_back(bytes);
        return;
    }
    queue.extend(rest.chunks(largest.max(1)).map(<[u8]>::to_vec));
}

/// Closes a connection and detaches its callbacks.
pub(crate) fn close(net: &SharedNet, key: PeerKey) {
    let Some(conn) = net.borrow_mut().conns.remove(&key) else {
        return;
    };
    if let Some(dc) = &conn.dc {
        dc.set_onopen(None);
        dc.set_onmessage(None);
        dc.set_onclose(None);
        dc.set_onerror(None);
        dc.set_onbufferedamountlow(None);
        dc.close();
    }
    if conn.owns_pc {
        conn.pc.set_onconnectionstatechange(None);
        conn.pc.set_ondatachannel(None);
        conn.pc.close();
    }
}

/// Makes `dc`, a data channel on a connection another torrent made (`pc`), the peer `key` of
/// this torrent: its bytes, opening and end are reported like any connection's. When the
/// channel is open already, [`Event::PeerOpen`] follows from the event loop.
pub(crate) fn adopt(net: &SharedNet, key: PeerKey, pc: RtcPeerConnection, dc: RtcDataChannel) {
    let conn = Conn {
        pc,
        dc: None,
        queue: VecDeque::new(),
        max_send: None,
        callbacks: Vec::new(),
        owns_pc: false,
    };
    net.borrow_mut().conns.insert(key, conn);
    let already_open = dc.ready_state() == RtcDataChannelState::Open;
    attach_channel(net, key, dc);
    if already_open {
        report_later(net, Event::PeerOpen { peer: key });
    }
}

/// Whether peer `key` still has a connection (or an adopted channel) here.
pub(crate) fn exists(net: &SharedNet, key: PeerKey) -> bool {
    net.borrow().conns.contains_key(&key)
}

/// The connections this torrent made whose first data channel is open.
pub(crate) fn open_connections(net: &SharedNet) -> Vec<(PeerKey, RtcPeerConnection)> {
    net.borrow()
        .conns
        .iter()
        .filter(|(_, c)| {
            c.owns_pc
                && c.dc
                    .as_ref()
                    .is_some_and(|dc| dc.ready_state() == RtcDataChannelState::Open)
        })
        .map(|(k, c)| (*k, c.pc.clone()))
        .collect()
}

/// The connection failed or closed from the other side: close it and tell the session.
fn lost(net: &SharedNet, key: PeerKey) {
    if net.borrow().conns.contains_key(&key) {
        close(net, key);
        report(net, Event::PeerClosed { peer: key });
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

/// Reports the SDP a connection's set-up produced, or that it failed.
fn finish(net: &SharedNet, key: PeerKey, sdp: Option<String>, made: fn(PeerKey, String) -> Event) {
    let alive = net.borrow().conns.contains_key(&key);
    match (sdp, alive) {
        (Some(sdp), true) => report(net, made(key, sdp)),
        // Closed meanwhile: the session already forgot it.
        (Some(_), false) => {}
        (None, _) => {
            close(net, key);
            report(net, Event::PeerClosed { peer: key });
        }
    }
}

/// Makes an initiator connection and reports its complete offer.
pub(crate) fn create_offer(net: &SharedNet, key: PeerKey) {
    let net = Rc::clone(net);
    wasm_bindgen_futures::spawn_local(async move {
        let sdp = offer_sdp(&net, key).await;
        finish(&net, key, sdp, |peer, sdp| Event::OfferMade { peer, sdp });
    });
}

/// Answers a relayed offer with a new connection and reports the complete answer.
pub(crate) fn answer_offer(net: &SharedNet, key: PeerKey, offer: &str) {
    let net = Rc::clone(net);
    let offer = offer.to_owned();
    wasm_bindgen_futures::spawn_local(async move {
        let sdp = answer_sdp(&net, key, &offer).await;
        finish(&net, key, sdp, |peer, sdp| Event::AnswerMade { peer, sdp });
    });
}

/// A new initiator connection for `key` and its complete offer SDP.
pub(crate) async fn offer_sdp(net: &SharedNet, key: PeerKey) -> Option<String> {
    let pc = new_conn(net, key)?;
    let dc = pc.create_data_channel(MAIN_LABEL);
    attach_channel(net, key, dc);
    let offer = JsFuture::from(pc.create_offer()).await.ok()?;
    let init = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
    init.set_sdp(&sdp_of(&offer)?);
    JsFuture::from(pc.set_local_description(&init)).await.ok()?;
    gathered_sdp(&pc).await
}

/// A new connection for `key` answering `offer`, and its complete answer SDP.
pub(crate) async fn answer_sdp(net: &SharedNet, key: PeerKey, offer: &str) -> Option<String> {
    let pc = new_conn(net, key)?;
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

/// Applies the answer to one of our offers.
pub(crate) fn apply_answer(net: &SharedNet, key: PeerKey, answer: &str) {
    let Some(pc) = net.borrow().conns.get(&key).map(|c| c.pc.clone()) else {
        return;
    };
    let init = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
    init.set_sdp(answer);
    let net = Rc::clone(net);
    wasm_bindgen_futures::spawn_local(async move {
        if JsFuture::from(pc.set_remote_description(&init))
            .await
            .is_err()
        {
            lost(&net, key);
        }
    });
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::{enqueue, DEFAULT_SEND, LARGEST_SEND};

    fn queued(messages: &[Vec<u8>], largest: usize) -> VecDeque<Vec<u8>> {
        let mut q = VecDeque::new();
        for m in messages {
            enqueue(&mut q, m.clone(), largest);
        }
        q
    }

    #[test]
    fn sends_are_joined_and_split_to_at_most_the_largest_send_in_order() {
        for largest in [DEFAULT_SEND, LARGEST_SEND] {
            // 16 KiB block messages are joined up to the largest send; the last tops it up
            // and goes on.
            let block = |b: u8| vec![b; 16 * 1024 + 13];
            let n = largest / (16 * 1024) + 1;
            let blocks: Vec<_> = (1..=n as u8).map(block).collect();
            let q = queued(&blocks, largest);
            assert!(q.iter().all(|s| s.len() <= largest));
            assert_eq!(
                q.iter().map(Vec::len).collect::<Vec<_>>(),
                [largest, n * (16 * 1024 + 13) - largest]
            );
            assert_eq!(q.into_iter().flatten().collect::<Vec<_>>(), blocks.concat());
            // One input's burst of 40 blocks (640 KiB, above Chromium's 256 KiB message limit).
            let burst: Vec<u8> = (0..40 * 16 * 1024).map(|i| (i % 251) as u8).collect();
            let q = queued(&[vec![9; 5], burst.clone(), vec![8; 3]], largest);
            assert!(q.iter().all(|s| s.len() <= largest));
            assert_eq!(q.len(), (5 + burst.len() + 3).div_ceil(largest));
            assert_eq!(
                q.into_iter().flatten().collect::<Vec<_>>(),
                [vec![9; 5], burst, vec![8; 3]].concat()
            );
        }
    }
}
