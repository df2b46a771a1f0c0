//! Counters, and their two renderings: `/stats` (JSON) and `/metrics` (Prometheus text format).

use std::{
    fmt::Write as _,
    sync::atomic::{AtomicU64, Ordering},
};

use serde::Serialize;

use crate::swarm::Tally;

/// Every kind of failure the tracker counts. Protocol failures are answered with a
/// `failure reason`; connection-level ones (`connection_limit`, `handshake`, `socket`) are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Message over `limits.max_message_size`.
    TooLarge,
    /// Not JSON, not an object, a member of the wrong type, or a required member missing.
    MalformedJson,
    /// An id that is not 20 characters long.
    IdLength,
    /// An id with a character above U+00FF.
    IdCodePoint,
    /// `action` other than `announce` / `scrape`.
    UnknownAction,
    /// `event` other than the known ones.
    UnknownEvent,
    /// Too many offers or scraped hashes in one message.
    TooMany,
    /// An answer whose offer was never relayed to its sender, or has expired.
    UnknownOffer,
    /// An announce with a peer id another connection holds in that swarm.
    PeerIdInUse,
    /// Over `limits.max_torrents_per_connection`.
    TooManyTorrents,
    /// Over `limits.max_announces_per_minute`.
    RateLimited,
    /// A binary WebSocket frame (the protocol only uses text).
    BinaryFrame,
    /// A connection refused by `max_connections` or `max_connections_per_ip`.
    ConnectionLimit,
    /// A message dropped because the client's send queue was full.
    SendQueueFull,
    /// TLS or HTTP handshake failed or timed out.
    Handshake,
    /// A WebSocket protocol or I/O error ended a connection.
    Socket,
}

impl ErrorKind {
    /// Every kind, in the order of [`ErrorKind::index`].
    pub const ALL: [Self; 16] = [
        Self::TooLarge,
        Self::MalformedJson,
        Self::IdLength,
        Self::IdCodePoint,
        Self::UnknownAction,
        Self::UnknownEvent,
        Self::TooMany,
        Self::UnknownOffer,
        Self::PeerIdInUse,
        Self::TooManyTorrents,
        Self::RateLimited,
        Self::BinaryFrame,
        Self::ConnectionLimit,
        Self::SendQueueFull,
        Self::Handshake,
        Self::Socket,
    ];

    /// Position in [`ErrorKind::ALL`] (and in counter arrays).
    pub fn index(self) -> usize {
        self as usize
    }

    /// Label used in `/stats` and `/metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::MalformedJson => "malformed_json",
            Self::IdLength => "id_length",
            Self::IdCodePoint => "id_code_point",
            Self::UnknownAction => "unknown_action",
            Self::UnknownEvent => "unknown_event",
            Self::TooMany => "too_many_items",
            Self::UnknownOffer => "unknown_offer",
            Self::PeerIdInUse => "peer_id_in_use",
            Self::TooManyTorrents => "too_many_torrents",
            Self::RateLimited => "rate_limited",
            Self::BinaryFrame => "binary_frame",
            Self::ConnectionLimit => "connection_limit",
            Self::SendQueueFull => "send_queue_full",
            Self::Handshake => "handshake",
            Self::Socket => "socket",
        }
    }

    /// Classifies a decode failure.
    pub fn of_decode_error(err: &tracker_proto::DecodeError) -> Self {
        use tracker_proto::DecodeError as D;
        match err {
            D::TooLarge { .. } => Self::TooLarge,
            D::IdLength { .. } => Self::IdLength,
            D::IdCodePoint { .. } => Self::IdCodePoint,
            D::UnknownAction(_) => Self::UnknownAction,
            D::UnknownEvent(_) => Self::UnknownEvent,
            D::TooManyOffers { .. } | D::TooManyInfoHashes { .. } => Self::TooMany,
            _ => Self::MalformedJson,
        }
    }
}

/// Counters kept by the swarm state (plain integers: the state is single-owner).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Announces handled (without answers).
    pub announces: u64,
    /// Answers received (routed or not).
    pub answers: u64,
    /// Scrapes handled.
    pub scrapes: u64,
    /// Offers forwarded to another peer.
    pub offers_relayed: u64,
    /// Answers forwarded to their offerer.
    pub answers_routed: u64,
    /// Connections closed because they kept failing.
    pub closed_for_abuse: u64,
    /// Failures, indexed by [`ErrorKind::index`].
    pub errors: [u64; ErrorKind::ALL.len()],
}

impl Counters {
    /// Counts one failure.
    pub fn error(&mut self, kind: ErrorKind) {
        if let Some(n) = self.errors.get_mut(kind.index()) {
            *n += 1;
        }
    }

    /// Counts what the connection-level code reports.
    pub fn tally(&mut self, tally: Tally) {
        match tally {
            Tally::Scrape => self.scrapes += 1,
            Tally::Error(kind) => self.error(kind),
            Tally::ClosedForAbuse => self.closed_for_abuse += 1,
        }
    }

    /// Adds another set of counters (e.g. another shard's).
    pub fn add(&mut self, other: &Self) {
        self.announces += other.announces;
        self.answers += other.answers;
        self.scrapes += other.scrapes;
        self.offers_relayed += other.offers_relayed;
        self.answers_routed += other.answers_routed;
        self.closed_for_abuse += other.closed_for_abuse;
        for (slot, n) in self.errors.iter_mut().zip(other.errors) {
            *slot += n;
        }
    }
}

/// The counters that many connection tasks bump at once, outside any shard: scrapes,
/// failures and abuse closes (relaxed atomics: they are figures, not synchronisation).
#[derive(Debug, Default)]
pub(crate) struct SharedCounters {
    scrapes: AtomicU64,
    closed_for_abuse: AtomicU64,
    errors: [AtomicU64; ErrorKind::ALL.len()],
}

impl SharedCounters {
    pub(crate) fn tally(&self, tally: Tally) {
        let n = match tally {
            Tally::Scrape => Some(&self.scrapes),
            Tally::Error(kind) => self.errors.get(kind.index()),
            Tally::ClosedForAbuse => Some(&self.closed_for_abuse),
        };
        if let Some(n) = n {
            n.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Adds these counts to `sum`.
    pub(crate) fn add_to(&self, sum: &mut Counters) {
        sum.scrapes += self.scrapes.load(Ordering::Relaxed);
        sum.closed_for_abuse += self.closed_for_abuse.load(Ordering::Relaxed);
        for (slot, n) in sum.errors.iter_mut().zip(&self.errors) {
            *slot += n.load(Ordering::Relaxed);
        }
    }
}

/// Everything `/stats` and `/metrics` show, read at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Open WebSocket connections.
    pub connections: u64,
    /// WebSocket connections accepted since start.
    pub connections_total: u64,
    /// Swarms (torrents with at least one peer).
    pub swarms: u64,
    /// Peers in all swarms.
    pub peers: u64,
    /// Seeders in all swarms.
    pub seeders: u64,
    /// Seconds since start.
    pub uptime_secs: u64,
    /// The state's counters plus the server's connection-level failures.
    pub counters: Counters,
}

#[derive(Serialize)]
struct StatsJson<'a> {
    connections: u64,
    connections_total: u64,
    swarms: u64,
    peers: u64,
    seeders: u64,
    leechers: u64,
    announces: u64,
    answers: u64,
    scrapes: u64,
    offers_relayed: u64,
    answers_routed: u64,
    closed_for_abuse: u64,
    uptime_secs: u64,
    errors: std::collections::BTreeMap<&'a str, u64>,
}

impl Snapshot {
    /// The `/stats` body.
    pub fn to_json(&self) -> String {
        let c = &self.counters;
        let errors = ErrorKind::ALL
            .iter()
            .map(|k| (k.as_str(), c.errors.get(k.index()).copied().unwrap_or(0)))
            .collect();
        let body = StatsJson {
            connections: self.connections,
            connections_total: self.connections_total,
            swarms: self.swarms,
            peers: self.peers,
            seeders: self.seeders,
            leechers: self.peers.saturating_sub(self.seeders),
            announces: c.announces,
            answers: c.answers,
            scrapes: c.scrapes,
            offers_relayed: c.offers_relayed,
            answers_routed: c.answers_routed,
            closed_for_abuse: c.closed_for_abuse,
            uptime_secs: self.uptime_secs,
            errors,
        };
        serde_json::to_string_pretty(&body).unwrap_or_default()
    }

    /// The `/metrics` body (Prometheus text exposition format 0.0.4).
    pub fn to_prometheus(&self) -> String {
        let c = &self.counters;
        let mut s = String::with_capacity(2048);
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                s,
                "# HELP shoal_tracker_{name} {help}\n# TYPE shoal_tracker_{name} {kind}\nshoal_tracker_{name} {value}"
            );
        };
        metric(
            "connections",
            "gauge",
            "Open WebSocket connections.",
            self.connections,
        );
        metric(
            "connections_total",
            "counter",
            "WebSocket connections accepted.",
            self.connections_total,
        );
        metric(
            "swarms",
            "gauge",
            "Torrents with at least one peer.",
            self.swarms,
        );
        metric("peers", "gauge", "Peers in all swarms.", self.peers);
        metric("seeders", "gauge", "Seeders in all swarms.", self.seeders);
        metric(
            "announces_total",
            "counter",
            "Announces handled.",
            c.announces,
        );
        metric("answers_total", "counter", "Answers received.", c.answers);
        metric("scrapes_total", "counter", "Scrapes handled.", c.scrapes);
        metric(
            "offers_relayed_total",
            "counter",
            "Offers forwarded to a peer.",
            c.offers_relayed,
        );
        metric(
            "answers_routed_total",
            "counter",
            "Answers forwarded to their offerer.",
            c.answers_routed,
        );
        metric(
            "closed_for_abuse_total",
            "counter",
            "Connections closed for repeated failures.",
            c.closed_for_abuse,
        );
        metric(
            "uptime_seconds",
            "gauge",
            "Seconds since start.",
            self.uptime_secs,
        );
        let _ = writeln!(
            s,
            "# HELP shoal_tracker_errors_total Failures by kind.\n# TYPE shoal_tracker_errors_total counter"
        );
        for kind in ErrorKind::ALL {
            let n = c.errors.get(kind.index()).copied().unwrap_or(0);
            let _ = writeln!(
                s,
                "shoal_tracker_errors_total{{kind=\"{}\"}} {n}",
                kind.as_str()
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_indexed_in_order_and_rendered() {
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), i);
        }
        let mut snap = Snapshot::default();
        snap.counters.error(ErrorKind::UnknownOffer);
        snap.peers = 3;
        snap.seeders = 1;
        let json: serde_json::Value = serde_json::from_str(&snap.to_json()).unwrap();
        assert_eq!(json["errors"]["unknown_offer"], 1);
        assert_eq!(json["leechers"], 2);
        let text = snap.to_prometheus();
        assert!(text.contains("shoal_tracker_errors_total{kind=\"unknown_offer\"} 1\n"));
        assert!(text.contains("shoal_tracker_peers 3\n"));
    }
}
