//! The tracker's configuration: a TOML file whose every key is optional.
//!
//! Unknown keys are an error (a typo must not silently fall back to a default). The doc comment of
//! each field is the reference; `docs/tracker.md` repeats it with the defaults, and
//! [`Config::default_toml`] prints a complete file.

use std::{net::SocketAddr, path::PathBuf};

use serde::{Deserialize, Serialize};

/// Most worker threads accepted.
const MAX_WORKERS: usize = 1024;
/// Most shards accepted (each connection keeps one bit per shard).
const MAX_SHARDS: usize = 4096;

/// Everything `shoal tracker` can be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (`--listen` overrides it). Default `0.0.0.0:8000`.
    pub listen: SocketAddr,
    /// PEM certificate chain; with `tls_key`, the tracker speaks `wss://` and `https://` only.
    /// Default: none (plain `ws://`, for use behind a TLS-terminating proxy or on loopback).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) matching `tls_cert`. Default: none.
    pub tls_key: Option<PathBuf>,
    /// Seconds clients should wait between announces (`interval` of every response). Default 120,
    /// what bittorrent-tracker and aquatic_ws send and WebTorrent expects.
    pub announce_interval_secs: u64,
    /// A peer that has not announced for this many seconds leaves its swarm. Default 180
    /// (one missed periodic announce at the default interval, plus slack).
    pub peer_timeout_secs: u64,
    /// An answer is routed only if its offer was relayed less than this many seconds ago.
    /// Default 120 (WebTorrent destroys unanswered offers after 50 s; aquatic_ws uses 120).
    pub offer_timeout_secs: u64,
    /// How often expired peers and offers are swept, in seconds. Default 30.
    pub clean_interval_secs: u64,
    /// Seed of the random choice of offer recipients; none = seeded from the clock at start.
    /// Set it to make relaying reproducible. Default: none.
    pub rng_seed: Option<u64>,
    /// Worker threads of `shoal tracker`'s async runtime (`--workers` overrides it); 0 = one
    /// per core the process may run on. Default 0. Inside `shoal serve` the tracker shares the
    /// companion's runtime and this only sizes `shards`.
    pub workers: usize,
    /// Shards the swarms are split into by info hash, each behind its own lock; 0 = four per
    /// worker thread (so two threads rarely want the same shard). Default 0.
    pub shards: usize,
    /// Abuse limits.
    pub limits: Limits,
}

/// Limits that bound the work and memory one client can cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest WebSocket message accepted, in bytes; larger ones get a `failure reason`
    /// (up to 4× this size; beyond that the socket is closed). Capped at 64 KiB, the
    /// protocol crate's own limit. Default 65536 (five WebTorrent offers take about 5 KiB).
    pub max_message_size: usize,
    /// Most offers of one announce relayed to other peers; extra offers are dropped silently
    /// (WebTorrent sends 5). Default 10, like aquatic_ws.
    pub max_offers_per_announce: usize,
    /// Most (torrent, peer id) memberships one connection may hold. Default 100.
    pub max_torrents_per_connection: usize,
    /// Most simultaneous connections from one IP address; more are closed on accept.
    /// Default 256 (a NAT may hide many browsers).
    pub max_connections_per_ip: usize,
    /// Most simultaneous connections in total; more are closed on accept. Default 100000.
    pub max_connections: usize,
    /// Most announces and scrapes one connection may send per minute; more get a
    /// `failure reason`. Answers are not counted (each must match an offer we relayed).
    /// Default 60 (WebTorrent sends about one per torrent per two minutes).
    pub max_announces_per_minute: u32,
    /// A connection that earns more `failure reason` replies than this within one minute is
    /// closed. Default 20.
    pub max_failures_per_minute: u32,
    /// Most unanswered relayed offers remembered per peer; the oldest is forgotten first.
    /// Default 50.
    pub max_pending_offers_per_peer: usize,
    /// Messages queued for one slow client before further ones to it are dropped. Default 256.
    pub send_queue_len: usize,
    /// Seconds a new connection has to finish TLS and the HTTP request. Default 10.
    pub handshake_timeout_secs: u64,
    /// A WebSocket that sends nothing for this many seconds is closed. Default 300.
    pub idle_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 8000)),
            tls_cert: None,
            tls_key: None,
            announce_interval_secs: 120,
            peer_timeout_secs: 180,
            offer_timeout_secs: 120,
            clean_interval_secs: 30,
            rng_seed: None,
            workers: 0,
            shards: 0,
            limits: Limits::default(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_size: tracker_proto::MAX_MESSAGE_LEN,
            max_offers_per_announce: 10,
            max_torrents_per_connection: 100,
            max_connections_per_ip: 256,
            max_connections: 100_000,
            max_announces_per_minute: 60,
            max_failures_per_minute: 20,
            max_pending_offers_per_peer: 50,
            send_queue_len: 256,
            handshake_timeout_secs: 10,
            idle_timeout_secs: 300,
        }
    }
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is invalid or has an unknown key.
    #[error("invalid tracker config: {0}")]
    Toml(#[from] toml::de::Error),
    /// A value is out of range or inconsistent with another.
    #[error("invalid tracker config: {0}")]
    Invalid(String),
}

impl Config {
    /// Parses a TOML text and checks it.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and parses a TOML file.
    pub fn load(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text)
    }

    /// The default configuration as a TOML file.
    pub fn default_toml() -> String {
        toml::to_string(&Self::default()).unwrap_or_default()
    }

    /// The runtime's worker threads: `workers`, or one per core this process may run on.
    pub fn worker_threads(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
    }

    /// The number of swarm shards: `shards`, or four per worker thread.
    pub fn shard_count(&self) -> usize {
        match self.shards {
            0 => self.worker_threads().saturating_mul(4).min(MAX_SHARDS),
            n => n,
        }
    }

    /// Rejects values that would make the tracker useless or unbounded.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |what: &str| Err(ConfigError::Invalid(what.to_owned()));
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return bad("tls_cert and tls_key must be given together");
        }
        if self.announce_interval_secs == 0 || self.peer_timeout_secs == 0 {
            return bad("announce_interval_secs and peer_timeout_secs must be positive");
        }
        if self.clean_interval_secs == 0 {
            return bad("clean_interval_secs must be positive");
        }
        if self.workers > MAX_WORKERS || self.shards > MAX_SHARDS {
            return bad("workers must be at most 1024 and shards at most 4096");
        }
        let l = &self.limits;
        if l.max_message_size < 256 || l.max_message_size > tracker_proto::MAX_MESSAGE_LEN {
            return bad("limits.max_message_size must be within 256..=65536");
        }
        if l.max_offers_per_announce > tracker_proto::MAX_OFFERS {
            return bad("limits.max_offers_per_announce must be at most 20");
        }
        if l.max_connections_per_ip == 0 || l.max_connections == 0 || l.send_queue_len == 0 {
            return bad("connection limits and send_queue_len must be positive");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_default_and_default_toml_round_trips() {
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
        let text = Config::default_toml();
        assert_eq!(Config::from_toml(&text).unwrap(), Config::default());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        assert!(matches!(
            Config::from_toml("listen_addr = \"1.2.3.4:5\""),
            Err(ConfigError::Toml(_))
        ));
        assert!(matches!(
            Config::from_toml("[limits]\nmax_offer = 3"),
            Err(ConfigError::Toml(_))
        ));
        assert!(matches!(
            Config::from_toml("tls_cert = \"a.pem\""),
            Err(ConfigError::Invalid(_))
        ));
        assert!(matches!(
            Config::from_toml("[limits]\nmax_message_size = 1000000"),
            Err(ConfigError::Invalid(_))
        ));
        let c =
            Config::from_toml("listen = \"127.0.0.1:9\"\n[limits]\nmax_offers_per_announce = 3")
                .unwrap();
        assert_eq!(c.limits.max_offers_per_announce, 3);
        assert_eq!(c.listen, SocketAddr::from(([127, 0, 0, 1], 9)));
        assert!(matches!(
            Config::from_toml("workers = 5000"),
            Err(ConfigError::Invalid(_))
        ));
    }

    #[test]
    fn workers_and_shards_default_to_the_cores() {
        let c = Config::default();
        assert!(c.worker_threads() >= 1);
        assert_eq!(c.shard_count(), 4 * c.worker_threads());
        let c = Config::from_toml("workers = 2").unwrap();
        assert_eq!((c.worker_threads(), c.shard_count()), (2, 8));
        let c = Config::from_toml("workers = 2\nshards = 3").unwrap();
        assert_eq!((c.worker_threads(), c.shard_count()), (2, 3));
    }
}
