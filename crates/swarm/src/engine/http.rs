//! Webseed scheduling (policy in `webseed.rs`): which pieces go to HTTP, and their responses.

use super::Engine;
use crate::{
    hasher::PieceHasher,
    io::{HttpError, Output},
    storage::Storage,
    types::{HttpRequestId, Millis, Source, BLOCK_LEN},
    webseed::HttpReq,
};

impl<S: Storage, H: PieceHasher> Engine<S, H> {
    /// Adds an HTTP source while the torrent runs (one found late: a gateway that joined the
    /// torrent's TCP swarm for us); returns its index, the one it had when already known. It
    /// follows the same policy as the torrent's own webseeds (peers first).
    pub fn add_webseed(&mut self, now: Millis, url: String) -> usize {
        self.now = self.now.max(now);
        if let Some(i) = self.webseeds.urls.iter().position(|u| *u == url) {
            return i;
        }
        self.webseeds.urls.push(url);
        self.schedule_http();
        self.webseeds.urls.len() - 1
    }

    /// Piece bytes received from webseed `webseed` (0 for an unknown index).
    pub fn webseed_bytes(&self, webseed: usize) -> u64 {
        self.webseeds.bytes.get(webseed).copied().unwrap_or(0)
    }

    /// Expires old requests, then sends new ones for at-risk and peerless pieces.
    pub(crate) fn schedule_http(&mut self) {
        if self.webseeds.urls.is_empty() || self.cfg.upload_only {
            return;
        }
        let now = self.now;
        let wcfg = self.cfg.webseed;
        let expired: Vec<HttpRequestId> = self
            .webseeds
            .inflight
            .iter()
            .filter(|(_, r)| now.since(r.sent_at) >= wcfg.timeout_ms)
            .map(|(&id, _)| id)
            .collect();
        for id in expired {
            self.out.push_back(Output::HttpCancel { id });
            self.on_http_response(id, Err(HttpError::Network));
        }
        let Some(t) = self.torrent.as_ref() else {
            return;
        };
        if !self.webseeds.any_free(wcfg.max_concurrent) {
            return;
        }
        let picker = &t.picker;
        let cap = self.inflight_cap();
        // (piece, whether it may be asked of a second webseed).
        let mut candidates: Vec<(u32, bool)> = Vec::new();
        // (a) A reader's critical piece that peers will not deliver in time.
        for w in &self.deadline {
            if !w.critical || now.since(w.waiting_since) < wcfg.risk_ms {
                continue;
            }
            let on_time = picker
                .partial
                .get(&w.piece)
                .and_then(|p| p.eta_ms(picker.piece_size(w.piece), now))
                .is_some_and(|eta| eta < wcfg.risk_ms);
            if !on_time {
                let hedge = self
                    .webseeds
                    .piece_unanswered_for(w.piece, now, wcfg.risk_ms);
                candidates.push((w.piece, hedge));
            }
        }
        // (b) Pieces no connected peer has, in order (a webseed-only torrent reads sequentially).
        let started = self.started.unwrap_or(now);
        if now.since(started) >= wcfg.no_peer_grace_ms {
            let limit = self.webseeds.urls.len() * wcfg.max_concurrent;
            let mut found = 0;
            for piece in 0..picker.piece_count() {
                if found >= limit {
                    break;
                }
                if !picker.have.get(piece)
                    && picker.availability.get(piece as usize) == Some(&0)
                    && !self.webseeds.piece_in_flight(piece)
                    && picker.can_start(piece, cap)
                {
                    candidates.push((piece, false));
                    found += 1;
                }
            }
        }
        for (piece, hedge) in candidates {
            self.request_http(piece, hedge);
        }
    }

    /// Asks a free webseed for the rest of `piece` from its first block not yet received;
    /// with `hedge`, even if another webseed was already asked for it.
    fn request_http(&mut self, piece: u32, hedge: bool) {
        let now = self.now;
        let max = self.cfg.webseed.max_concurrent;
        if !hedge && self.webseeds.piece_in_flight(piece) {
            return;
        }
        let Some(w) = self.webseeds.free_for(piece, now, max) else {
            return;
        };
        let Some(t) = self.torrent.as_mut() else {
            return;
        };
        if t.picker.have.get(piece) {
            return;
        }
        if t.picker.is_missing(piece) {
            t.picker.start(piece, now);
        }
        let offset = t.info.piece_offset(piece);
        let size = t.picker.piece_size(piece);
        let Some(p) = t.picker.partial.get_mut(&piece) else {
            return;
        };
        let Some(first) = p.blocks.iter().position(|b| b.from.is_none()) else {
            return;
        };
        for b in &mut p.blocks[first..] {
            b.requests = b.requests.saturating_add(1);
        }
        let start = offset + first as u64 * u64::from(BLOCK_LEN);
        let id = HttpRequestId(self.webseeds.next_id);
        self.webseeds.next_id += 1;
        self.webseeds.inflight.insert(
            id,
            HttpReq {
                webseed: w,
                piece,
                first_block: first as u32,
                blocks: (p.blocks.len() - first) as u32,
                sent_at: now,
                len: offset + size - start,
            },
        );
        self.out.push_back(Output::HttpRequest {
            id,
            webseed: w,
            range: start..offset + size,
        });
    }

    pub(crate) fn on_http_response(&mut self, id: HttpRequestId, result: Result<&[u8], HttpError>) {
        let Some(req) = self.webseeds.inflight.remove(&id) else {
            return;
        };
        if let Some(t) = self.torrent.as_mut() {
            for b in req.first_block..req.first_block + req.blocks {
                t.picker.release(req.piece, b);
            }
        }
        let body = match result {
            Ok(body) if body.len() as u64 == req.len => body,
            _ => {
                let until = self.now.plus(self.cfg.webseed.retry_ms);
                self.webseeds
                    .backoff
                    .insert((req.webseed, req.piece), until);
                return;
            }
        };
        self.stats.downloaded_from_webseeds += req.len;
        if self.webseeds.bytes.len() <= req.webseed {
            self.webseeds.bytes.resize(req.webseed + 1, 0);
        }
        self.webseeds.bytes[req.webseed] += req.len;
        for (i, chunk) in body.chunks(BLOCK_LEN as usize).enumerate() {
            let block = req.first_block + i as u32;
            if !self.accept_block(req.piece, block, chunk, Source::Webseed(req.webseed)) {
                self.stats.wasted += chunk.len() as u64;
            }
        }
        self.schedule_http();
    }
}
