//! [`DataChannelHost`] on str0m: one UDP socket, one sans-IO `Rtc` per connection, driven by
//! this module's loop. Datagrams go to the `Rtc` that accepts them; the browser shows up as a
//! peer-reflexive address, so remote candidates are never needed.

use std::{
    collections::{BTreeMap, VecDeque},
    net::SocketAddr,
    time::{Duration, Instant},
};

use str0m::{
    change::SdpOffer,
    channel::ChannelId,
    net::{Protocol, Receive},
    Candidate, Event, IceConnectionState, Input, Output, Rtc,
};
use tokio::net::UdpSocket;

use crate::{ConnId, DataChannelHost, HostConfig, RtcError, RtcEvent};

/// SCTP bytes in flight per connection. str0m's CPU grows with it (linear scans per poll), and
/// it must hold the largest message we write.
const SCTP_BUFFERED: usize = 256 * 1024;
/// Resume writing when the stack's buffer falls below this (must be below `SCTP_BUFFERED`).
const LOW_THRESHOLD: usize = 64 * 1024;
/// Largest data-channel message we write (Chromium accepts 256 KiB; bigger costs per-message
/// overhead less, smaller keeps the in-flight window fine-grained).
const CHUNK: usize = 64 * 1024;
/// Longest idle wait when no connection has a timer.
const IDLE_WAKE: Duration = Duration::from_millis(500);

/// The str0m implementation of [`DataChannelHost`].
pub struct Str0mHost {
    socket: UdpSocket,
    local: SocketAddr,
    cfg: HostConfig,
    conns: BTreeMap<ConnId, Conn>,
    next_id: u64,
    events: VecDeque<RtcEvent>,
    buf: Vec<u8>,
}

struct Conn {
    rtc: Rtc,
    channel: Option<ChannelId>,
    queue: VecDeque<Vec<u8>>,
    queued: usize,
    opened_by: Instant,
    wake: Instant,
    dead: bool,
}

impl Str0mHost {
    /// Binds the UDP socket. `addr` must name a concrete IP (it is announced as our host
    /// candidate); port 0 picks a free one.
    pub async fn bind(addr: SocketAddr, cfg: HostConfig) -> Result<Self, RtcError> {
        if addr.ip().is_unspecified() {
            return Err(RtcError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the WebRTC address must be a concrete IP (it is sent to browsers), not 0.0.0.0",
            )));
        }
        let socket = UdpSocket::bind(addr).await?;
        let local = socket.local_addr()?;
        Ok(Self {
            socket,
            local,
            cfg,
            conns: BTreeMap::new(),
            next_id: 1,
            events: VecDeque::new(),
            buf: vec![0; 2000],
        })
    }

    /// The UDP address browsers connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    fn datagram(&mut self, now: Instant, len: usize, source: SocketAddr) {
        let Some(bytes) = self.buf.get(..len) else {
            return;
        };
        let Ok(contents) = bytes.try_into() else {
            return;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination: self.local,
                contents,
            },
        );
        if let Some(conn) = self.conns.values_mut().find(|c| c.rtc.accepts(&input)) {
            if conn.rtc.handle_input(input).is_err() {
                conn.dead = true;
            }
        }
    }

    /// Fires due timers, writes queued bytes, sends datagrams, collects events and drops dead
    /// connections. Returns the earliest timer.
    fn pump_all(&mut self, now: Instant) -> Instant {
        let mut earliest = now + IDLE_WAKE;
        for (&id, conn) in &mut self.conns {
            if now >= conn.wake && conn.rtc.handle_input(Input::Timeout(now)).is_err() {
                conn.dead = true;
            }
            conn.pump(id, &self.socket, &mut self.events);
            if conn.channel.is_none() && now >= conn.opened_by {
                tracing::debug!(conn = id.0, "data channel did not open in time");
                conn.dead = true;
            }
            if !conn.rtc.is_alive() {
                conn.dead = true;
            }
            earliest = earliest.min(conn.wake);
        }
        let dead: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.dead)
            .map(|(&id, _)| id)
            .collect();
        for id in dead {
            if let Some(mut conn) = self.conns.remove(&id) {
                conn.rtc.disconnect();
                self.events.push_back(RtcEvent::Closed(id));
            }
        }
        earliest.max(now)
    }
}

impl Conn {
    /// Writes queued chunks until the SCTP buffer is full.
    fn flush(&mut self) {
        let Some(id) = self.channel else {
            return;
        };
        let Some(mut channel) = self.rtc.channel(id) else {
            return;
        };
        while let Some(chunk) = self.queue.front() {
            match channel.write(true, chunk) {
                Ok(true) => {
                    self.queued -= chunk.len();
                    self.queue.pop_front();
                }
                Ok(false) => break,
                Err(error) => {
                    tracing::debug!(%error, "data channel write failed");
                    self.dead = true;
                    break;
                }
            }
        }
    }

    fn pump(&mut self, id: ConnId, socket: &UdpSocket, events: &mut VecDeque<RtcEvent>) {
        loop {
            self.flush();
            let mut more_room = false;
            loop {
                match self.rtc.poll_output() {
                    Ok(Output::Transmit(t)) => {
                        // UDP is lossy anyway: a full socket buffer is one more lost datagram
                        // that SCTP retransmits.
                        let _ = socket.try_send_to(&t.contents, t.destination);
                    }
                    Ok(Output::Timeout(at)) => {
                        self.wake = at;
                        break;
                    }
                    Ok(Output::Event(event)) => match event {
                        // WebTorrent opens one channel; a second one is ignored.
                        Event::ChannelOpen(channel, _label) if self.channel.is_none() => {
                            self.channel = Some(channel);
                            if let Some(mut ch) = self.rtc.channel(channel) {
                                ch.set_buffered_amount_low_threshold(LOW_THRESHOLD);
                            }
                            events.push_back(RtcEvent::Open(id));
                            more_room = true;
                        }
                        Event::ChannelData(data) if Some(data.id) == self.channel => {
                            events.push_back(RtcEvent::Data(id, data.data));
                        }
                        Event::ChannelClose(channel) if Some(channel) == self.channel => {
                            self.dead = true;
                        }
                        Event::ChannelBufferedAmountLow(_) => more_room = true,
                        Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                            self.dead = true;
                        }
                        _ => {}
                    },
                    Err(error) => {
                        tracing::debug!(%error, "connection failed");
                        self.dead = true;
                        break;
                    }
                }
            }
            if !more_room || self.dead || self.queue.is_empty() {
                break;
            }
        }
    }
}

impl DataChannelHost for Str0mHost {
    fn accept_offer(&mut self, offer_sdp: &str) -> Result<(ConnId, String), RtcError> {
        if self.conns.len() >= self.cfg.max_connections {
            return Err(RtcError::Full(self.cfg.max_connections));
        }
        let offer =
            SdpOffer::from_sdp_string(offer_sdp).map_err(|e| RtcError::BadOffer(e.to_string()))?;
        let now = Instant::now();
        let mut rtc = Rtc::builder()
            .set_sctp_max_buffered_amount(SCTP_BUFFERED)
            .build(now);
        let candidate =
            Candidate::host(self.local, "udp").map_err(|e| RtcError::Refused(e.to_string()))?;
        rtc.add_local_candidate(candidate);
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| RtcError::Refused(e.to_string()))?;
        let id = ConnId(self.next_id);
        self.next_id += 1;
        self.conns.insert(
            id,
            Conn {
                rtc,
                channel: None,
                queue: VecDeque::new(),
                queued: 0,
                opened_by: now + self.cfg.open_timeout,
                wake: now,
                dead: false,
            },
        );
        Ok((id, answer.to_sdp_string()))
    }

    fn send(&mut self, conn: ConnId, bytes: &[u8]) -> Result<(), RtcError> {
        let c = self
            .conns
            .get_mut(&conn)
            .ok_or(RtcError::UnknownConnection)?;
        let mut rest = bytes;
        while !rest.is_empty() {
            // Top up the last chunk first: fewer, larger messages cost less on both sides.
            let room = match c.queue.back() {
                Some(last) if last.len() < CHUNK => CHUNK - last.len(),
                _ => {
                    c.queue.push_back(Vec::with_capacity(CHUNK.min(rest.len())));
                    CHUNK
                }
            };
            let (now_part, later) = rest.split_at(room.min(rest.len()));
            if let Some(last) = c.queue.back_mut() {
                last.extend_from_slice(now_part);
            }
            c.queued += now_part.len();
            rest = later;
        }
        if c.queued > self.cfg.max_queued_bytes {
            tracing::debug!(conn = conn.0, "peer stopped reading: closing");
            c.dead = true;
        } else {
            c.flush();
        }
        Ok(())
    }

    fn close(&mut self, conn: ConnId) {
        if let Some(mut c) = self.conns.remove(&conn) {
            c.rtc.disconnect();
            c.pump(conn, &self.socket, &mut VecDeque::new());
        }
    }

    fn connection_count(&self) -> usize {
        self.conns.len()
    }

    async fn next_event(&mut self) -> RtcEvent {
        loop {
            if let Some(event) = self.events.pop_front() {
                return event;
            }
            let wake = self.pump_all(Instant::now());
            if let Some(event) = self.events.pop_front() {
                return event;
            }
            let received = tokio::select! {
                r = self.socket.recv_from(&mut self.buf) => r.ok(),
                () = tokio::time::sleep_until(wake.into()) => None,
            };
            if let Some((len, source)) = received {
                self.datagram(Instant::now(), len, source);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_a_wildcard_address_and_garbage_offers() {
        let wildcard = Str0mHost::bind("0.0.0.0:0".parse().expect("addr"), HostConfig::default());
        assert!(matches!(wildcard.await, Err(RtcError::Io(_))));

        let mut host = Str0mHost::bind("127.0.0.1:0".parse().expect("addr"), HostConfig::default())
            .await
            .expect("bind");
        assert!(host.local_addr().ip().is_loopback());
        assert!(matches!(
            host.accept_offer("not sdp at all"),
            Err(RtcError::BadOffer(_))
        ));
        assert_eq!(host.connection_count(), 0);
        assert!(matches!(
            host.send(ConnId(9), b"x"),
            Err(RtcError::UnknownConnection)
        ));
    }

    #[tokio::test]
    async fn refuses_offers_at_the_cap() {
        let mut host = Str0mHost::bind(
            "127.0.0.1:0".parse().expect("addr"),
            HostConfig::default().with_max_connections(0),
        )
        .await
        .expect("bind");
        assert!(matches!(host.accept_offer("v=0"), Err(RtcError::Full(0))));
    }
}
