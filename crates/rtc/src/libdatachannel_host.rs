//! [`DataChannelHost`] on libdatachannel (through the `datachannel` crate): the reference
//! stack for loss. Its SCTP is usrsctp, the one Chromium and Firefox use, and it recovers from
//! packet loss far better than str0m's (see `/docs/companion.md`).
//!
//! libdatachannel runs its own threads and calls our handlers on them; every callback only
//! forwards a [`Signal`] into one channel, and [`LibDataChannelHost::next_event`] turns those
//! into [`RtcEvent`]s on the caller's task, so connection state is only touched there. All
//! connections share one UDP port (libjuice's mux mode), like [`crate::Str0mHost`]'s socket.

use std::{
    collections::{BTreeMap, VecDeque},
    net::SocketAddr,
    sync::mpsc as std_mpsc,
    time::{Duration, Instant},
};

use datachannel::{
    ConnectionState, DataChannelHandler, DataChannelInfo, GatheringState, PeerConnectionHandler,
    RtcConfig, RtcDataChannel, RtcPeerConnection, SdpType, SessionDescription,
};
use tokio::sync::mpsc;

use crate::{ConnId, DataChannelHost, HostConfig, RtcError, RtcEvent};

/// Largest data-channel message we write: the same as the str0m host, so both stacks carry the
/// same messages.
const CHUNK: usize = 64 * 1024;
/// What we advertise (`a=max-message-size`): Chromium's own limit.
const MAX_MESSAGE: i32 = 256 * 1024;
/// Host candidates need no network round trip, so gathering ends at once; this only bounds a
/// stack that misbehaves.
const GATHER_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest idle wait when no connection is waiting to open.
const IDLE_WAKE: Duration = Duration::from_secs(1);

/// The libdatachannel implementation of [`DataChannelHost`].
pub struct LibDataChannelHost {
    local: SocketAddr,
    cfg: HostConfig,
    conns: BTreeMap<ConnId, Conn>,
    next_id: u64,
    signals_tx: mpsc::UnboundedSender<Signal>,
    signals: mpsc::UnboundedReceiver<Signal>,
    /// Events decided outside `next_event` (a failed send closes its connection).
    events: VecDeque<RtcEvent>,
}

struct Conn {
    // Field order is drop order: the channel goes before its peer connection.
    channel: Option<Box<RtcDataChannel<ChannelSignals>>>,
    _pc: Box<RtcPeerConnection<PeerSignals>>,
    open: bool,
    reported_open: bool,
    /// Bytes that arrived before the channel's handle reached us (callbacks race).
    early: Vec<Vec<u8>>,
    opened_by: Instant,
}

/// What a libdatachannel thread tells the host.
enum Signal {
    Channel(ConnId, Box<RtcDataChannel<ChannelSignals>>),
    Open(ConnId),
    Data(ConnId, Vec<u8>),
    Gone(ConnId),
}

struct PeerSignals {
    id: ConnId,
    tx: mpsc::UnboundedSender<Signal>,
    gathered: std_mpsc::Sender<()>,
}

struct ChannelSignals {
    id: ConnId,
    tx: mpsc::UnboundedSender<Signal>,
}

impl PeerConnectionHandler for PeerSignals {
    type DCH = ChannelSignals;

    fn data_channel_handler(&mut self, _info: DataChannelInfo) -> ChannelSignals {
        ChannelSignals {
            id: self.id,
            tx: self.tx.clone(),
        }
    }

    fn on_gathering_state_change(&mut self, state: GatheringState) {
        if state == GatheringState::Complete {
            let _ = self.gathered.send(());
        }
    }

    fn on_connection_state_change(&mut self, state: ConnectionState) {
        if matches!(
            state,
            ConnectionState::Disconnected | ConnectionState::Failed | ConnectionState::Closed
        ) {
            let _ = self.tx.send(Signal::Gone(self.id));
        }
    }

    fn on_data_channel(&mut self, channel: Box<RtcDataChannel<ChannelSignals>>) {
        let _ = self.tx.send(Signal::Channel(self.id, channel));
    }
}

impl DataChannelHandler for ChannelSignals {
    fn on_open(&mut self) {
        let _ = self.tx.send(Signal::Open(self.id));
    }

    fn on_closed(&mut self) {
        let _ = self.tx.send(Signal::Gone(self.id));
    }

    fn on_error(&mut self, error: &str) {
        tracing::debug!(conn = self.id.0, %error, "data channel error");
        let _ = self.tx.send(Signal::Gone(self.id));
    }

    fn on_message(&mut self, msg: &[u8]) {
        let _ = self.tx.send(Signal::Data(self.id, msg.to_vec()));
    }
}

impl LibDataChannelHost {
    /// Prepares the host. `addr` must name a concrete IP (it is our host candidate); port 0
    /// picks a free one, which every connection then shares.
    pub fn bind(addr: SocketAddr, cfg: HostConfig) -> Result<Self, RtcError> {
        if addr.ip().is_unspecified() {
            return Err(RtcError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the WebRTC address must be a concrete IP (it is sent to browsers), not 0.0.0.0",
            )));
        }
        // libjuice binds per connection (the mux shares one port between them): learn a free
        // port now, so the address we report is the one browsers will reach.
        let local = std::net::UdpSocket::bind(addr)?.local_addr()?;
        let (signals_tx, signals) = mpsc::unbounded_channel();
        Ok(Self {
            local,
            cfg,
            conns: BTreeMap::new(),
            next_id: 1,
            signals_tx,
            signals,
            events: VecDeque::new(),
        })
    }

    /// The UDP address browsers connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    fn rtc_config(&self) -> RtcConfig {
        RtcConfig::new::<&str>(&[])
            .bind_address(&self.local.ip().to_string())
            .enable_ice_udp_mux()
            .port_range_begin(self.local.port())
            .port_range_end(self.local.port())
            .max_message_size(MAX_MESSAGE)
    }

    /// Turns one signal into at most one event; `None` for bookkeeping and for connections
    /// already gone.
    fn apply(&mut self, signal: Signal) -> Option<RtcEvent> {
        match signal {
            Signal::Channel(id, channel) => {
                let conn = self.conns.get_mut(&id)?;
                // WebTorrent opens one channel; a second one is dropped (closed).
                if conn.channel.is_none() {
                    conn.channel = Some(channel);
                }
                conn.ready(id)
            }
            Signal::Open(id) => {
                let conn = self.conns.get_mut(&id)?;
                conn.open = true;
                conn.ready(id)
            }
            Signal::Data(id, bytes) => {
                let conn = self.conns.get_mut(&id)?;
                if conn.reported_open {
                    Some(RtcEvent::Data(id, bytes))
                } else {
                    conn.early.push(bytes);
                    None
                }
            }
            Signal::Gone(id) => self.conns.remove(&id).map(|_| RtcEvent::Closed(id)),
        }
    }

    /// Closes the first connection whose channel did not open in time.
    fn expire(&mut self, now: Instant) -> Option<RtcEvent> {
        let late = self
            .conns
            .iter()
            .find(|(_, c)| !c.reported_open && now >= c.opened_by)
            .map(|(&id, _)| id);
        if let Some(id) = late {
            tracing::debug!(conn = id.0, "data channel did not open in time");
            self.conns.remove(&id);
            return Some(RtcEvent::Closed(id));
        }
        None
    }

    fn next_deadline(&self, now: Instant) -> Instant {
        self.conns
            .values()
            .filter(|c| !c.reported_open)
            .map(|c| c.opened_by)
            .min()
            .unwrap_or(now + IDLE_WAKE)
            .min(now + IDLE_WAKE)
    }

    /// The next event, pending data first.
    fn pop_ready(&mut self) -> Option<RtcEvent> {
        if let Some(event) = self.events.pop_front() {
            return Some(event);
        }
        for (&id, conn) in &mut self.conns {
            if conn.reported_open && !conn.early.is_empty() {
                return Some(RtcEvent::Data(id, conn.early.remove(0)));
            }
        }
        None
    }
}

impl Conn {
    /// Reports `Open` once both the channel's handle and its open signal arrived.
    fn ready(&mut self, id: ConnId) -> Option<RtcEvent> {
        if self.open && self.channel.is_some() && !self.reported_open {
            self.reported_open = true;
            return Some(RtcEvent::Open(id));
        }
        None
    }
}

impl DataChannelHost for LibDataChannelHost {
    fn accept_offer(&mut self, offer_sdp: &str) -> Result<(ConnId, String), RtcError> {
        if self.conns.len() >= self.cfg.max_connections {
            return Err(RtcError::Full(self.cfg.max_connections));
        }
        let sdp = datachannel::sdp::parse_sdp(offer_sdp, false)
            .map_err(|e| RtcError::BadOffer(e.to_string()))?;
        let id = ConnId(self.next_id);
        self.next_id += 1;
        let (gathered_tx, gathered) = std_mpsc::channel();
        let signals = PeerSignals {
            id,
            tx: self.signals_tx.clone(),
            gathered: gathered_tx,
        };
        let mut pc = RtcPeerConnection::new(&self.rtc_config(), signals)
            .map_err(|e| RtcError::Refused(e.to_string()))?;
        pc.set_remote_description(&SessionDescription {
            sdp,
            sdp_type: SdpType::Offer,
        })
        .map_err(|e| RtcError::Refused(e.to_string()))?;
        // The offer is complete (non-trickle), so our answer must be too: wait for our host
        // candidate to be in it. This blocks the caller for the few milliseconds libjuice
        // takes to bind.
        if gathered.recv_timeout(GATHER_TIMEOUT).is_err() {
            return Err(RtcError::Refused("ICE gathering did not finish".into()));
        }
        let answer = pc
            .local_description()
            .ok_or_else(|| RtcError::Refused("no local description".into()))?;
        let answer = answer.sdp.to_string();
        self.conns.insert(
            id,
            Conn {
                channel: None,
                _pc: pc,
                open: false,
                reported_open: false,
                early: Vec::new(),
                opened_by: Instant::now() + self.cfg.open_timeout,
            },
        );
        Ok((id, answer))
    }

    fn send(&mut self, conn: ConnId, bytes: &[u8]) -> Result<(), RtcError> {
        let c = self
            .conns
            .get_mut(&conn)
            .ok_or(RtcError::UnknownConnection)?;
        let Some(channel) = c.channel.as_mut() else {
            return Err(RtcError::UnknownConnection);
        };
        // libdatachannel queues whatever does not fit usrsctp's window; its buffered amount
        // is our queue, bounded like the str0m host's.
        let failed = if channel.buffered_amount() + bytes.len() > self.cfg.max_queued_bytes {
            tracing::debug!(conn = conn.0, "peer stopped reading: closing");
            true
        } else {
            bytes.chunks(CHUNK).any(|chunk| match channel.send(chunk) {
                Ok(()) => false,
                Err(error) => {
                    tracing::debug!(conn = conn.0, %error, "data channel send failed");
                    true
                }
            })
        };
        if failed {
            self.conns.remove(&conn);
            self.events.push_back(RtcEvent::Closed(conn));
        }
        Ok(())
    }

    fn close(&mut self, conn: ConnId) {
        self.conns.remove(&conn);
    }

    fn connection_count(&self) -> usize {
        self.conns.len()
    }

    async fn next_event(&mut self) -> RtcEvent {
        loop {
            if let Some(event) = self.pop_ready() {
                return event;
            }
            let now = Instant::now();
            if let Some(event) = self.expire(now) {
                return event;
            }
            let wake = self.next_deadline(now);
            let signal = tokio::select! {
                s = self.signals.recv() => s,
                () = tokio::time::sleep_until(wake.into()) => None,
            };
            if let Some(event) = signal.and_then(|s| self.apply(s)) {
                return event;
            }
        }
    }
}
