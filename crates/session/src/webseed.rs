//! Webseed requests: one engine `HttpRequest` becomes one ranged GET per file it touches
//! ([`swarm::webseed_gets`]), all started at once; their bodies are joined in order and fed
//! back as one response. A failed or short GET fails the request (the engine retries it
//! later or elsewhere) and aborts its siblings.

use std::ops::Range;
use vecmap::VecMap;

use swarm::{HttpError, HttpRequestId, Input, Millis, PieceHasher, Storage};

use crate::{
    platform::{GetId, Platform},
    Session,
};

/// One engine request being fetched.
#[derive(Debug)]
struct Assembly {
    /// Its GETs in order, each with its body once done.
    parts: Vec<(GetId, u64, Option<Vec<u8>>)>,
}

/// Every GET in flight.
#[derive(Debug, Default)]
pub(crate) struct Gets {
    next: u64,
    requests: VecMap<HttpRequestId, Assembly>,
    owner: VecMap<GetId, HttpRequestId>,
}

impl Gets {
    /// Aborts a request's unfinished GETs.
    pub(crate) fn cancel(&mut self, id: HttpRequestId, platform: &mut impl Platform) {
        let Some(req) = self.requests.remove(&id) else {
            return;
        };
        for (get, _, body) in req.parts {
            self.owner.remove(&get);
            if body.is_none() {
                platform.http_cancel(get);
            }
        }
    }

    pub(crate) fn cancel_all(&mut self, platform: &mut impl Platform) {
        let ids: Vec<HttpRequestId> = self.requests.keys().copied().collect();
        for id in ids {
            self.cancel(id, platform);
        }
    }
}

impl<S: Storage, H: PieceHasher> Session<S, H> {
    /// Adds a companion's gateway as an HTTP source while the torrent runs (the player found
    /// too few peers): a webseed like the torrent's own (peers first), whose bytes the figures
    /// count apart ([`Stats::bytes_via_gateway`](crate::Stats::bytes_via_gateway)). Adding the
    /// same URL again does nothing.
    pub fn add_gateway(&mut self, now: Millis, url: &str, platform: &mut impl Platform) {
        if self.is_stopped() {
            return;
        }
        self.advance(now);
        let index = self.engine.add_webseed(self.now, url.to_owned());
        if index == self.cfg.webseeds.len() {
            self.cfg.webseeds.push(url.to_owned());
        }
        if !self.gateways.contains(&index) {
            self.gateways.push(index);
        }
        self.settle(platform);
    }

    /// The info dict from an HTTP source (a gateway's copy) for a magnet still waiting for its
    /// metadata; refused unless its SHA-1 is the info hash.
    pub fn provide_metadata(
        &mut self,
        now: Millis,
        info_bytes: &[u8],
        platform: &mut impl Platform,
    ) -> Result<(), swarm::MetadataError> {
        if self.is_stopped() {
            return Ok(());
        }
        self.advance(now);
        let result = self.engine.provide_metadata(self.now, info_bytes);
        self.settle(platform);
        result
    }

    pub(crate) fn http_request(
        &mut self,
        id: HttpRequestId,
        webseed: usize,
        range: Range<u64>,
        platform: &mut impl Platform,
    ) {
        let gets = match (self.engine.info(), self.cfg.webseeds.get(webseed)) {
            (Some(info), Some(url)) => swarm::webseed_gets(info, url, range),
            (None, _) | (_, None) => Vec::new(),
        };
        if gets.is_empty() {
            let result = Err(HttpError::Network);
            self.engine
                .handle_input(self.now, Input::HttpResponse { id, result });
            return;
        }
        let mut parts = Vec::with_capacity(gets.len());
        for get in &gets {
            let gid = GetId(self.gets.next);
            self.gets.next += 1;
            self.gets.owner.insert(gid, id);
            parts.push((gid, get.range.end - get.range.start, None));
        }
        let starts: Vec<GetId> = parts.iter().map(|p| p.0).collect();
        self.gets.requests.insert(id, Assembly { parts });
        for (gid, get) in starts.into_iter().zip(gets) {
            platform.http_get(gid, &get.url, get.range);
        }
    }

    pub(crate) fn http_done(
        &mut self,
        get: GetId,
        result: Result<Vec<u8>, HttpError>,
        platform: &mut impl Platform,
    ) {
        let Some(id) = self.gets.owner.remove(&get) else {
            return; // cancelled: the engine no longer waits for it
        };
        let Some(req) = self.gets.requests.get_mut(&id) else {
            return;
        };
        let Some(part) = req.parts.iter_mut().find(|p| p.0 == get) else {
            return;
        };
        let result = match result {
            Ok(body) if body.len() as u64 == part.1 => Ok(body),
            Ok(_) => Err(HttpError::Network),
            Err(e) => Err(e),
        };
        match result {
            Ok(body) => {
                part.2 = Some(body);
                if req.parts.iter().all(|p| p.2.is_some()) {
                    let body: Vec<u8> = self
                        .gets
                        .requests
                        .remove(&id)
                        .map(|r| r.parts.into_iter().flat_map(|p| p.2.unwrap_or_default()))
                        .into_iter()
                        .flatten()
                        .collect();
                    let result = Ok(body.as_slice());
                    self.engine
                        .handle_input(self.now, Input::HttpResponse { id, result });
                }
            }
            Err(e) => {
                self.gets.cancel(id, platform);
                self.engine
                    .handle_input(self.now, Input::HttpResponse { id, result: Err(e) });
            }
        }
    }
}
