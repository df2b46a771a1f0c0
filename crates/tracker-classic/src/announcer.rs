//! One tracker's announce schedule: when to announce, the UDP connect step and its expiring
//! connection id, matching replies to requests, retries of lost datagrams and back-off after
//! failures.

use std::net::SocketAddr;

use crate::{
    http::{announce_url, parse_http_response},
    udp::{announce_request, connect_request, parse_udp_response, UdpResponse},
    AnnounceEvent, AnnounceParams, Error, Stats,
};

/// A HTTP request gets this long to answer.
const HTTP_TIMEOUT_MS: u64 = 30_000;
/// A UDP request is resent after 15 s × 2ⁿ (BEP 15), at most this many times.
const UDP_RETRIES: u32 = 3;
const UDP_TIMEOUT_MS: u64 = 15_000;
/// A UDP connection id may be used this long after it was received (BEP 15: one minute).
const CONNECTION_ID_LIFETIME_MS: u64 = 60_000;
/// The interval a tracker asks for is kept within these bounds.
const MIN_INTERVAL_MS: u64 = 30_000;
const MAX_INTERVAL_MS: u64 = 3_600_000;
/// Used when the tracker names no interval.
const DEFAULT_INTERVAL_MS: u64 = 1_800_000;
/// After a failure: 15 s, doubled per failure in a row, at most 30 min.
const BACKOFF_BASE_MS: u64 = 15_000;
const NUMWANT: u32 = 50;

/// Where a tracker is and how it is spoken to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// An HTTP(S) tracker: its announce URL.
    Http {
        /// The announce URL.
        url: String,
    },
    /// A UDP tracker.
    Udp {
        /// `host:port` to send datagrams to.
        host_port: String,
    },
}

impl Endpoint {
    /// The endpoint of a tracker URL (`http://`, `https://` or `udp://host:port[/path]`).
    pub fn parse(url: &str) -> Result<Self, Error> {
        let bad = || Error::BadUrl(url.to_owned());
        if let Some(rest) = url.strip_prefix("udp://") {
            let host_port = rest.split(['/', '?']).next().unwrap_or_default();
            let (host, port) = host_port.rsplit_once(':').ok_or_else(bad)?;
            if host.is_empty() || port.parse::<u16>().map_or(true, |p| p == 0) {
                return Err(bad());
            }
            return Ok(Self::Udp {
                host_port: host_port.to_owned(),
            });
        }
        let is_http = url.starts_with("http://") || url.starts_with("https://");
        if !is_http || url.len() > 2048 {
            return Err(bad());
        }
        Ok(Self::Http {
            url: url.to_owned(),
        })
    }
}

/// What the platform sends for an announcer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// GET this URL; feed the body to [`Announcer::handle_reply`].
    HttpGet {
        /// The full announce URL.
        url: String,
    },
    /// Send this datagram to `host_port`; feed every datagram back to
    /// [`Announcer::handle_reply`].
    Udp {
        /// The tracker.
        host_port: String,
        /// The bytes.
        datagram: Vec<u8>,
    },
}

/// What a reply gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    /// Peers learnt.
    pub peers: Vec<SocketAddr>,
    /// A request to send now (the announce after a UDP connect).
    pub request: Option<Request>,
    /// The tracker answered an announce.
    pub answered: bool,
    /// Something the tracker said, or why its answer could not be used.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Inflight {
    tid: u32,
    /// A UDP connect (not an announce).
    connecting: bool,
    deadline: u64,
    tries: u32,
}

/// One tracker's announces for one torrent.
#[derive(Debug)]
pub struct Announcer {
    endpoint: Endpoint,
    params: AnnounceParams,
    rng: u64,
    next_at: Option<u64>,
    inflight: Option<Inflight>,
    failures: u32,
    conn: Option<(u64, u64)>,
    started_ok: bool,
    complete_pending: bool,
    stopped: bool,
}

impl Announcer {
    /// An announcer for `endpoint` that announces at once (`now`).
    pub fn new(
        endpoint: Endpoint,
        info_hash: [u8; 20],
        peer_id: [u8; 20],
        port: u16,
        stats: Stats,
        rng_seed: u64,
        now: u64,
    ) -> Self {
        let mut rng = rng_seed | 1;
        let key = next_u32(&mut rng);
        Self {
            endpoint,
            params: AnnounceParams {
                info_hash,
                peer_id,
                port,
                stats,
                event: AnnounceEvent::Started,
                numwant: NUMWANT,
                key,
            },
            rng,
            next_at: Some(now),
            inflight: None,
            failures: 0,
            conn: None,
            started_ok: false,
            complete_pending: false,
            stopped: false,
        }
    }

    /// The figures the next announce carries.
    pub fn set_stats(&mut self, stats: Stats) {
        self.params.stats = stats;
    }

    /// The download finished: announce `completed` (now, or after `started` went through).
    pub fn completed(&mut self, now: u64) {
        self.complete_pending = true;
        if self.started_ok && self.inflight.is_none() && !self.stopped {
            self.next_at = Some(now);
        }
    }

    /// When [`Announcer::handle_timeout`] is due next.
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.stopped {
            return None;
        }
        match self.inflight {
            Some(f) => Some(f.deadline),
            None => self.next_at,
        }
    }

    /// Acts on what is due at `now`: a lost request is resent or given up, a due announce
    /// starts. Returns the request to send, if any.
    pub fn handle_timeout(&mut self, now: u64) -> Option<Request> {
        if self.stopped {
            return None;
        }
        if let Some(f) = self.inflight {
            if f.deadline > now {
                return None;
            }
            let udp = matches!(self.endpoint, Endpoint::Udp { .. });
            if udp && f.tries < UDP_RETRIES {
                return Some(self.send(now, f.connecting, f.tries + 1));
            }
            self.fail(now);
        }
        if self.next_at.is_some_and(|at| at <= now) {
            self.next_at = None;
            let connecting = self.needs_connect(now);
            return Some(self.send(now, connecting, 0));
        }
        None
    }

    /// A response body (HTTP) or a datagram (UDP) from the tracker.
    pub fn handle_reply(&mut self, now: u64, bytes: &[u8]) -> Reply {
        let mut reply = Reply::default();
        let Some(f) = self.inflight else {
            return reply;
        };
        match &self.endpoint {
            Endpoint::Http { .. } => match parse_http_response(bytes) {
                Ok(a) if a.failure.is_some() => {
                    reply.error = a.failure;
                    self.fail(now);
                }
                Ok(a) => {
                    reply.error = a.warning;
                    reply.peers = a.peers;
                    reply.answered = true;
                    let secs = a.interval.unwrap_or(0).max(a.min_interval.unwrap_or(0));
                    self.succeed(now, secs);
                }
                Err(e) => {
                    reply.error = Some(e.to_string());
                    self.fail(now);
                }
            },
            Endpoint::Udp { .. } => match parse_udp_response(bytes, false) {
                Ok(r) if r.tid() != f.tid => {}
                Ok(UdpResponse::Connect { conn, .. }) if f.connecting => {
                    self.conn = Some((conn, now));
                    reply.request = Some(self.send(now, false, 0));
                }
                Ok(UdpResponse::Announce {
                    interval, peers, ..
                }) if !f.connecting => {
                    reply.peers = peers;
                    reply.answered = true;
                    self.succeed(now, interval);
                }
                Ok(UdpResponse::Error { message, .. }) => {
                    reply.error = Some(message);
                    self.fail(now);
                }
                Ok(_) => reply.error = Some("an answer of the wrong kind".to_owned()),
                Err(e) => reply.error = Some(e.to_string()),
            },
        }
        reply
    }

    /// The request could not be made or got no usable answer (a refused connection, an HTTP
    /// error status): back off.
    pub fn handle_failure(&mut self, now: u64) {
        if self.inflight.is_some() {
            self.fail(now);
        }
    }

    /// Leaves: the `stopped` announce to send (none if we never announced, or a UDP
    /// connection id has expired: it is not worth a round trip on the way out).
    pub fn stop(&mut self, now: u64) -> Option<Request> {
        if self.stopped {
            return None;
        }
        self.stopped = true;
        self.inflight = None;
        if !self.started_ok {
            return None;
        }
        self.params.event = AnnounceEvent::Stopped;
        match &self.endpoint {
            Endpoint::Http { url } => Some(Request::HttpGet {
                url: announce_url(url, &self.params),
            }),
            Endpoint::Udp { host_port } => {
                let (conn, at) = self.conn?;
                (now < at + CONNECTION_ID_LIFETIME_MS).then(|| Request::Udp {
                    host_port: host_port.clone(),
                    datagram: announce_request(conn, next_u32(&mut self.rng), &self.params),
                })
            }
        }
    }

    fn needs_connect(&self, now: u64) -> bool {
        matches!(self.endpoint, Endpoint::Udp { .. })
            && self
                .conn
                .is_none_or(|(_, at)| now >= at + CONNECTION_ID_LIFETIME_MS)
    }

    fn send(&mut self, now: u64, connecting: bool, tries: u32) -> Request {
        self.params.event = if !self.started_ok {
            AnnounceEvent::Started
        } else if self.complete_pending {
            AnnounceEvent::Completed
        } else {
            AnnounceEvent::None
        };
        let tid = next_u32(&mut self.rng);
        let (request, timeout) = match &self.endpoint {
            Endpoint::Http { url } => (
                Request::HttpGet {
                    url: announce_url(url, &self.params),
                },
                HTTP_TIMEOUT_MS,
            ),
            Endpoint::Udp { host_port } => {
                let datagram = match (connecting, self.conn) {
                    (false, Some((conn, _))) => announce_request(conn, tid, &self.params),
                    _ => connect_request(tid).to_vec(),
                };
                let request = Request::Udp {
                    host_port: host_port.clone(),
                    datagram,
                };
                (request, UDP_TIMEOUT_MS << tries)
            }
        };
        self.inflight = Some(Inflight {
            tid,
            connecting: connecting || self.conn.is_none(),
            deadline: now + timeout,
            tries,
        });
        request
    }

    fn succeed(&mut self, now: u64, interval_secs: u32) {
        self.inflight = None;
        self.failures = 0;
        if self.params.event == AnnounceEvent::Completed {
            self.complete_pending = false;
        }
        let first_started = !self.started_ok;
        self.started_ok = true;
        let interval = if interval_secs == 0 {
            DEFAULT_INTERVAL_MS
        } else {
            (u64::from(interval_secs) * 1000).clamp(MIN_INTERVAL_MS, MAX_INTERVAL_MS)
        };
        // `completed` right after a `started` that crossed the end of the download.
        let soon = first_started && self.complete_pending;
        self.next_at = Some(if soon { now } else { now + interval });
    }

    fn fail(&mut self, now: u64) {
        self.inflight = None;
        self.conn = None;
        let shift = self.failures.min(7);
        self.failures = self.failures.saturating_add(1);
        self.next_at = Some(now + (BACKOFF_BASE_MS << shift).min(MAX_INTERVAL_MS / 2));
    }
}

/// xorshift64*: enough for transaction ids and the key (they need to differ, not be secret).
fn next_u32(state: &mut u64) -> u32 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
}

#[cfg(test)]
mod tests;
