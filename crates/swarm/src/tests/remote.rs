//! One engine and scripted remote peers: each remote decodes what the engine sends it, and the
//! test decides, message by message, what the remote says back. Used where the behaviour under
//! test is the engine's answer to one peer among several (choking, endgame), which two real
//! engines back to back would hide.

use std::collections::BTreeMap;

use metainfo::PeerId;
use wire::{BlockInfo, DecoderConfig, Frame, FrameDecoder, Handshake, Message};

use crate::{CloseReason, Config, Engine, Input, MemoryStorage, Millis, Output, PeerKey, Sha1Smol};

pub(super) type E = Engine<MemoryStorage, Sha1Smol>;

/// A message the engine sent, owned (the decoder's messages borrow from its buffer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sent {
    Choke,
    Unchoke,
    Interested,
    Have(u32),
    Request(BlockInfo),
    Cancel(BlockInfo),
    Reject(BlockInfo),
    Piece(BlockInfo),
    /// Anything these tests do not look at (bitfields, extended messages, keep-alives…).
    Other,
}

impl Sent {
    fn from(m: &Message<'_>) -> Self {
        match *m {
            Message::Choke => Self::Choke,
            Message::Unchoke => Self::Unchoke,
            Message::Interested => Self::Interested,
            Message::Have(p) => Self::Have(p),
            Message::Request(b) => Self::Request(b),
            Message::Cancel(b) => Self::Cancel(b),
            Message::RejectRequest(b) => Self::Reject(b),
            Message::Piece {
                index,
                begin,
                block,
            } => Self::Piece(BlockInfo {
                index,
                begin,
                length: block.len() as u32,
            }),
            _ => Self::Other,
        }
    }
}

/// The remote end of one connection.
struct Remote {
    decoder: FrameDecoder,
    /// What the engine sent, not yet looked at by the test.
    inbox: Vec<Sent>,
    /// Whether the engine chokes this remote (from the Choke/Unchoke messages it got).
    choked: bool,
    /// How many requests each `Send` with requests in it carried.
    request_batches: Vec<usize>,
    /// Extended messages, the extended handshake (id 0) included: (id, payload).
    extended: Vec<(u8, Vec<u8>)>,
}

/// The engine under test and its remotes, keyed by `PeerKey`.
pub(super) struct Bench {
    pub(super) engine: E,
    pub(super) now: u64,
    remotes: BTreeMap<u64, Remote>,
    /// Outputs other than `Send`.
    pub(super) others: Vec<Output>,
}

pub(super) fn config(id: u8) -> Config {
    let mut c = Config::new(PeerId::from([id; 20]), u64::from(id));
    c.check_invariants = true;
    c
}

impl Bench {
    pub(super) fn new(engine: E) -> Self {
        Self {
            engine,
            now: 0,
            remotes: BTreeMap::new(),
            others: Vec::new(),
        }
    }

    /// Opens a connection from remote `key` (peer id `[key; 20]`) and sends its handshake.
    pub(super) fn connect(&mut self, key: u64) {
        self.open(key);
        let mut hs = Vec::new();
        let id = u8::try_from(key).expect("small keys");
        Handshake::new(self.engine.info_hash(), PeerId::from([id; 20])).encode(&mut hs);
        self.data(key, &hs);
    }

    /// Opens a connection from remote `key` that has sent nothing yet.
    pub(super) fn open(&mut self, key: u64) {
        self.remotes.insert(
            key,
            Remote {
                decoder: FrameDecoder::new(DecoderConfig::default()),
                inbox: Vec::new(),
                choked: true,
                request_batches: Vec::new(),
                extended: Vec::new(),
            },
        );
        let now = Millis(self.now);
        self.engine
            .handle_input(now, Input::PeerConnected { peer: PeerKey(key) });
        self.drain();
    }

    /// Remote `key` sends these messages.
    pub(super) fn say(&mut self, key: u64, msgs: &[Message<'_>]) {
        let mut bytes = Vec::new();
        for m in msgs {
            m.encode(&mut bytes);
        }
        self.data(key, &bytes);
    }

    /// Remote `key` sends these raw bytes.
    pub(super) fn data(&mut self, key: u64, bytes: &[u8]) {
        let input = Input::PeerData {
            peer: PeerKey(key),
            bytes,
        };
        self.engine.handle_input(Millis(self.now), input);
        self.drain();
    }

    /// Advances time to `until` in ticks of `TICK_MS`, as a driver's timer would.
    pub(super) fn run_until(&mut self, until: u64) {
        while self.now < until {
            self.now = (self.now + crate::TICK_MS).min(until);
            self.engine.handle_input(Millis(self.now), Input::Tick);
            self.drain();
        }
    }

    /// The driver imports `piece` (as a seeder would); what the engine sends because of it
    /// reaches the remotes.
    pub(super) fn import(&mut self, piece: u32, data: Vec<u8>) -> bool {
        let stored = self.engine.import_piece(piece, data);
        self.drain();
        stored
    }

    /// One tick at the current time.
    pub(super) fn tick(&mut self) {
        self.engine.handle_input(Millis(self.now), Input::Tick);
        self.drain();
    }

    fn drain(&mut self) {
        while let Some(out) = self.engine.poll_output() {
            match out {
                Output::Send { peer, bytes } => {
                    let remote = self.remotes.get_mut(&peer.0).expect("a remote we opened");
                    remote
                        .decoder
                        .push(&bytes)
                        .expect("the engine's bytes decode");
                    let mut asked = 0;
                    while let Some(frame) = remote.decoder.next_frame().expect("valid frames") {
                        if let Frame::Message(m) = frame {
                            if let Message::Extended { id, payload } = m {
                                remote.extended.push((id, payload.to_vec()));
                            }
                            let sent = Sent::from(&m);
                            match sent {
                                Sent::Choke => remote.choked = true,
                                Sent::Unchoke => remote.choked = false,
                                Sent::Request(_) => asked += 1,
                                _ => {}
                            }
                            remote.inbox.push(sent);
                        }
                    }
                    if asked > 0 {
                        remote.request_batches.push(asked);
                    }
                }
                other => self.others.push(other),
            }
        }
    }

    /// The connections the engine closed so far, with why.
    pub(super) fn closed(&self) -> Vec<(u64, CloseReason)> {
        self.others
            .iter()
            .filter_map(|o| match o {
                Output::Close { peer, reason } => Some((peer.0, reason.clone())),
                _ => None,
            })
            .collect()
    }

    /// What the engine sent remote `key` since the last call.
    pub(super) fn take(&mut self, key: u64) -> Vec<Sent> {
        self.remotes
            .get_mut(&key)
            .map(|r| std::mem::take(&mut r.inbox))
            .unwrap_or_default()
    }

    /// Extended messages the engine sent remote `key` since the last call.
    pub(super) fn take_extended(&mut self, key: u64) -> Vec<(u8, Vec<u8>)> {
        self.remotes
            .get_mut(&key)
            .map(|r| std::mem::take(&mut r.extended))
            .unwrap_or_default()
    }

    /// How many requests each message to remote `key` with requests in it carried, since the
    /// last call.
    pub(super) fn take_request_batches(&mut self, key: u64) -> Vec<usize> {
        self.remotes
            .get_mut(&key)
            .map(|r| std::mem::take(&mut r.request_batches))
            .unwrap_or_default()
    }

    /// The remotes the engine does not choke.
    pub(super) fn unchoked(&self) -> Vec<u64> {
        self.remotes
            .iter()
            .filter(|(_, r)| !r.choked)
            .map(|(&k, _)| k)
            .collect()
    }
}

/// The requests among `sent`.
pub(super) fn requests(sent: &[Sent]) -> Vec<BlockInfo> {
    sent.iter()
        .filter_map(|s| match s {
            Sent::Request(b) => Some(*b),
            _ => None,
        })
        .collect()
}
