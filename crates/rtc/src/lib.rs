//! Native WebRTC data-channel peers for Shoal's companion, behind one small trait.
//!
//! # What this crate promises
//!
//! * [`DataChannelHost`]: answers browsers' offers (complete, non-trickle SDP, as WebTorrent
//!   trackers relay them), reports each connection's data channel opening, its bytes and its
//!   end as [`RtcEvent`]s, and sends bytes with back-pressure. The BitTorrent wire protocol is a
//!   byte stream, so message boundaries carry no meaning here.
//! * Bounded: at most [`HostConfig::max_connections`] connections (more offers are refused
//!   with [`RtcError::Full`]); a connection that does not open within
//!   [`HostConfig::open_timeout`] or whose unsent bytes exceed [`HostConfig::max_queued_bytes`]
//!   is closed and reported as [`RtcEvent::Closed`].
//! * Two implementations: [`Str0mHost`] (str0m, sans-IO, one UDP socket for every
//!   connection; the default) and, with the `libdatachannel` feature, `LibDataChannelHost`
//!   (libdatachannel and usrsctp, built from source with CMake; it recovers from packet loss
//!   much better, see `/docs/companion.md`). The trait is the swap point between them.
//!
//! # Driving a host
//!
//! Call [`DataChannelHost::next_event`] in a loop (it is cancel-safe, so it can sit in a
//! `tokio::select!` next to other work); between calls, [`accept_offer`], [`send`] and
//! [`close`] as the application decides. Nothing happens on the network between calls, so do
//! not leave the loop idle for long.
//!
//! [`accept_offer`]: DataChannelHost::accept_offer
//! [`send`]: DataChannelHost::send
//! [`close`]: DataChannelHost::close

#[cfg(feature = "libdatachannel")]
mod libdatachannel_host;
mod str0m_host;

use std::{future::Future, time::Duration};

#[cfg(feature = "libdatachannel")]
pub use libdatachannel_host::LibDataChannelHost;
pub use str0m_host::Str0mHost;

/// The host's handle for one peer connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

/// Something that happened on a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcEvent {
    /// The data channel opened: bytes can flow.
    Open(ConnId),
    /// Bytes arrived on the data channel.
    Data(ConnId, Vec<u8>),
    /// The connection is gone (closed by the remote, failed, timed out, or over its queue
    /// cap). Not reported after [`DataChannelHost::close`].
    Closed(ConnId),
}

/// Why an offer was refused or a send failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RtcError {
    /// The offer is not SDP we understand.
    #[error("the offer is not valid SDP: {0}")]
    BadOffer(String),
    /// The WebRTC stack refused the offer.
    #[error("the offer was refused: {0}")]
    Refused(String),
    /// Already at the connection cap.
    #[error("too many connections (cap {0})")]
    Full(usize),
    /// No such connection (closed already).
    #[error("no such connection")]
    UnknownConnection,
    /// The socket could not be set up.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}

/// Limits and tuning shared by every implementation.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct HostConfig {
    /// Most connections at once (opening or open).
    pub max_connections: usize,
    /// A connection whose data channel has not opened by then is closed.
    pub open_timeout: Duration,
    /// Bytes accepted by [`DataChannelHost::send`] but not yet handed to the stack; above this
    /// the connection is closed (a peer that stopped reading).
    pub max_queued_bytes: usize,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            max_connections: 200,
            open_timeout: Duration::from_secs(30),
            // The engine answers at most `our_reqq` (250) queued 16 KiB requests per peer.
            max_queued_bytes: 8 << 20,
        }
    }
}

impl HostConfig {
    /// Sets [`HostConfig::max_connections`].
    pub fn with_max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }
}

/// A native endpoint that answers WebRTC offers and carries data channels.
pub trait DataChannelHost {
    /// Applies a remote offer (complete SDP) and returns the new connection with our complete
    /// answer SDP.
    fn accept_offer(&mut self, offer_sdp: &str) -> Result<(ConnId, String), RtcError>;
    /// Queues bytes for the connection's data channel, in order.
    fn send(&mut self, conn: ConnId, bytes: &[u8]) -> Result<(), RtcError>;
    /// Closes a connection; no event follows.
    fn close(&mut self, conn: ConnId);
    /// Connections opening or open.
    fn connection_count(&self) -> usize;
    /// Drives the network until something happens. Cancel-safe.
    fn next_event(&mut self) -> impl Future<Output = RtcEvent> + Send;
}
