//! Metadata glue: answering ut_metadata requests, fetching the info dict from a magnet, and
//! installing the torrent once it verifies.

use metainfo::Info;
use wire::{Bitfield, Extension, Message, MetadataMessage};

use super::{
    session::{send, send_extended},
    Engine, Torrent,
};
use crate::{
    hasher::PieceHasher,
    io::Output,
    picker::Picker,
    storage::Storage,
    types::{Millis, PeerKey},
};

/// Why metadata handed to [`Engine::provide_metadata`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// Longer than the engine's `max_metadata_size`.
    #[error("the info dictionary is {0} bytes, more than the engine accepts")]
    TooLarge(usize),
    /// Its SHA-1 is not the torrent's info hash.
    #[error("the info dictionary is for another torrent (its SHA-1 is not the info hash)")]
    WrongHash,
    /// It does not parse as an info dictionary.
    #[error("the info dictionary does not parse: {0}")]
    Malformed(String),
}

impl<S: Storage, H: PieceHasher> Engine<S, H> {
    /// The torrent is known (at start, or after a verified metadata download).
    pub(crate) fn install(&mut self, info: Info, info_bytes: Vec<u8>) {
        let picker = Picker::new(&info);
        let n = picker.piece_count();
        let total = info.total_length;
        self.torrent = Some(Torrent {
            info,
            info_bytes,
            picker,
        });
        for r in self.readers.map.values_mut() {
            r.end = r.end.min(total);
            r.pos = r.pos.min(r.end);
        }
        self.out.push_back(Output::MetadataReady);
        let keys: Vec<PeerKey> = self.peers.keys().copied().collect();
        for k in keys {
            let Some(p) = self.peers.get_mut(&k) else {
                continue;
            };
            // What the peer told us before we could interpret it.
            let early = if p.early_have_all {
                Some(Ok(Bitfield::full(n)))
            } else {
                p.early_bitfield
                    .take()
                    .map(|b| Bitfield::from_payload(&b, n))
            };
            let haves = std::mem::take(&mut p.early_haves);
            let mut bf = match early {
                Some(Ok(bf)) => bf,
                Some(Err(e)) => {
                    self.protocol_error(k, e.to_string());
                    continue;
                }
                None => Bitfield::new(n),
            };
            for h in haves {
                if h < n {
                    bf.set(h, true);
                }
            }
            if p.remote_id.is_some() {
                self.send_have_state(k);
            }
            self.set_bitfield(k, bf);
        }
        self.refresh_deadline();
        self.deliver_all();
    }

    pub(crate) fn on_metadata_size(&mut self, size: u64) {
        if self.torrent.is_some() || size > self.cfg.max_metadata_size {
            return;
        }
        if self.meta.offer_size(size) {
            self.request_metadata();
        }
    }

    /// Asks peers for metadata pieces nobody is fetching, least busy peer first.
    pub(crate) fn request_metadata(&mut self) {
        let Some(size) = self.meta.size else {
            return;
        };
        let now = self.now;
        for piece in self.meta.to_ask(now) {
            let best = self
                .peers
                .iter()
                .filter(|(_, p)| {
                    !p.meta_refused
                        && p.ext.as_ref().is_some_and(|e| {
                            e.metadata_size == Some(size)
                                && e.remote_id(Extension::UtMetadata).is_some()
                        })
                })
                .min_by_key(|(k, p)| (p.meta_pending, **k))
                .map(|(&k, _)| k);
            let Some(k) = best else {
                return;
            };
            let Some(p) = self.peers.get_mut(&k) else {
                return;
            };
            let payload = MetadataMessage::Request { piece }.to_vec();
            if !send_extended(p, Extension::UtMetadata, &payload, now) {
                return;
            }
            p.meta_pending += 1;
            if let Some(a) = self.meta.asked.get_mut(piece as usize) {
                *a = Some((k, now));
            }
        }
    }

    pub(crate) fn on_ut_metadata(&mut self, key: PeerKey, payload: &[u8]) {
        let msg = match MetadataMessage::decode(payload) {
            Ok(m) => m,
            Err(e) => {
                self.protocol_error(key, e.to_string());
                return;
            }
        };
        let now = self.now;
        match msg {
            MetadataMessage::Request { piece } => {
                let Some(peer) = self.peers.get_mut(&key) else {
                    return;
                };
                let Some(id) = peer
                    .ext
                    .as_ref()
                    .and_then(|e| e.remote_id(Extension::UtMetadata))
                else {
                    return;
                };
                let reply = match &self.torrent {
                    Some(t) => {
                        let size = t.info_bytes.len() as u64;
                        match wire::metadata_piece_len(size, piece) {
                            Some(len) => {
                                let start = piece as usize * wire::METADATA_PIECE_LEN;
                                let data = t.info_bytes.get(start..start + len).unwrap_or_default();
                                MetadataMessage::Data {
                                    piece,
                                    total_size: size,
                                    data,
                                }
                                .to_vec()
                            }
                            None => MetadataMessage::Reject { piece }.to_vec(),
                        }
                    }
                    None => MetadataMessage::Reject { piece }.to_vec(),
                };
                send(
                    peer,
                    Message::Extended {
                        id,
                        payload: &reply,
                    },
                    now,
                );
            }
            MetadataMessage::Reject { .. } => {
                if let Some(p) = self.peers.get_mut(&key) {
                    p.meta_refused = true;
                    p.meta_pending = 0;
                }
                self.meta.forget_peer(key);
                self.request_metadata();
            }
            MetadataMessage::Data { piece, data, .. } => {
                if let Some(p) = self.peers.get_mut(&key) {
                    p.meta_pending = p.meta_pending.saturating_sub(1);
                }
                let Some(size) = self.meta.size else {
                    return;
                };
                if self.torrent.is_some() {
                    return;
                }
                if let Err(e) = msg.validate(size) {
                    self.protocol_error(key, e.to_string());
                    return;
                }
                if self.meta.store(piece, data) {
                    self.finish_metadata();
                } else {
                    self.request_metadata();
                }
            }
        }
    }

    /// The info dict from elsewhere (a gateway's or a web server's copy) for a torrent still
    /// waiting for its metadata: installed when its SHA-1 is the info hash and it parses, as
    /// if peers had sent it (BEP 9). Already known metadata is left as it is.
    pub fn provide_metadata(
        &mut self,
        now: Millis,
        info_bytes: &[u8],
    ) -> Result<(), MetadataError> {
        self.now = self.now.max(now);
        if self.torrent.is_some() {
            return Ok(());
        }
        if info_bytes.len() as u64 > self.cfg.max_metadata_size {
            return Err(MetadataError::TooLarge(info_bytes.len()));
        }
        if self.hasher.sha1(info_bytes) != *self.info_hash.as_bytes() {
            return Err(MetadataError::WrongHash);
        }
        let info =
            Info::from_bytes(info_bytes).map_err(|e| MetadataError::Malformed(e.to_string()))?;
        self.meta = Default::default();
        self.install(info, info_bytes.to_vec());
        Ok(())
    }

    /// All metadata pieces are in: SHA-1 must equal the info hash, then it must parse.
    fn finish_metadata(&mut self) {
        let buf = std::mem::take(&mut self.meta.buf);
        let hash_ok = self.hasher.sha1(&buf) == *self.info_hash.as_bytes();
        match Info::from_bytes(&buf) {
            Ok(info) if hash_ok && info.info_hash == self.info_hash => {
                self.meta = Default::default();
                self.install(info, buf);
            }
            _ => {
                self.meta.reset();
                self.stats.hash_failures += 1;
            }
        }
    }
}
