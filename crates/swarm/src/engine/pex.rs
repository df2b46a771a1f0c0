//! Sending BEP 11 peer exchange: each peer that takes `ut_pex` hears, at most once a
//! [`PEX_INTERVAL_MS`], which dialable peers we are connected to that we have not told it about
//! (`added`) and which of those we told it about are gone (`dropped`), at most
//! [`PEX_MAX_CHANGES`] of each per message, the rest in later ones. Only TCP drivers turn
//! [`Config::pex`](crate::Config::pex) on and feed [`Input::PeerAddress`]; what a peer is told
//! never includes its own address. Reading peers' messages is in `session.rs`.
//!
//! [`Input::PeerAddress`]: crate::Input::PeerAddress

use std::net::SocketAddr;
use vecmap::VecSet;

use wire::{Extension, PexMessage};

use super::{session::send_extended, Engine};
use crate::{
    hasher::PieceHasher,
    storage::Storage,
    types::{Millis, PeerKey},
};

/// BEP 11: a peer sends no more than one `ut_pex` message a minute.
pub(crate) const PEX_INTERVAL_MS: u64 = 60_000;
/// BEP 11 asks for at most 50 added and 50 dropped peers a message.
pub(crate) const PEX_MAX_CHANGES: usize = 50;

/// What one peer has been told.
#[derive(Debug, Default)]
pub(crate) struct PexSent {
    /// Addresses it heard in `added` and not since in `dropped`.
    told: VecSet<SocketAddr>,
    /// No message before this (none sent yet: at once).
    next_at: Option<Millis>,
}

impl<S: Storage, H: PieceHasher> Engine<S, H> {
    pub(super) fn on_peer_address(&mut self, key: PeerKey, addr: SocketAddr, dialled: bool) {
        if let Some(peer) = self.peers.get_mut(&key) {
            peer.addr = Some((addr, dialled));
        }
    }

    /// Where peer `key` can be dialled: the address we dialled, or an accepted connection's IP
    /// with the listen port of its extended handshake.
    fn dialable(&self, key: PeerKey) -> Option<SocketAddr> {
        let peer = self.peers.get(&key)?;
        peer.remote_id?;
        match peer.addr? {
            (addr, true) => Some(addr),
            (addr, false) => {
                let port = peer.ext.as_ref()?.p.filter(|&p| p != 0)?;
                Some(SocketAddr::new(addr.ip(), port))
            }
        }
    }

    /// Sends each due peer that takes `ut_pex` what changed since its last message.
    pub(super) fn exchange_peers(&mut self) {
        let now = self.now;
        let keys: Vec<PeerKey> = self.peers.keys().copied().collect();
        let current: Vec<(PeerKey, SocketAddr)> = keys
            .iter()
            .filter_map(|&k| self.dialable(k).map(|a| (k, a)))
            .collect();
        for key in keys {
            let Some(peer) = self.peers.get_mut(&key) else {
                continue;
            };
            let takes_pex = peer
                .ext
                .as_ref()
                .is_some_and(|e| e.remote_id(Extension::UtPex).is_some());
            if !takes_pex || peer.pex.next_at.is_some_and(|t| now < t) {
                continue;
            }
            let own = current.iter().find(|(k, _)| *k == key).map(|(_, a)| *a);
            let others: VecSet<SocketAddr> = current
                .iter()
                .filter(|(k, a)| *k != key && Some(*a) != own)
                .map(|(_, a)| *a)
                .collect();
            let msg = PexMessage {
                added: others
                    .difference(&peer.pex.told)
                    .take(PEX_MAX_CHANGES)
                    .copied()
                    .collect(),
                dropped: peer
                    .pex
                    .told
                    .difference(&others)
                    .take(PEX_MAX_CHANGES)
                    .copied()
                    .collect(),
            };
            if msg.added.is_empty() && msg.dropped.is_empty() {
                // Nothing new: look again next tick, so a peer that connects is passed on
                // without waiting out a whole interval after a quiet one.
                continue;
            }
            peer.pex.told.extend(msg.added.iter().copied());
            for gone in &msg.dropped {
                peer.pex.told.remove(gone);
            }
            peer.pex.next_at = Some(now.plus(PEX_INTERVAL_MS));
            send_extended(peer, Extension::UtPex, &msg.to_vec(), now);
        }
    }
}
