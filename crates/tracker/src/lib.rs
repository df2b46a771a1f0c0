//! Shoal's WebTorrent WebSocket tracker: the server, its pure swarm state, and a load generator.
//!
//! # What this crate promises
//!
//! * **Interoperable**: speaks the WebTorrent tracker protocol (`tracker_proto`) to WebTorrent 3
//!   and to bittorrent-tracker's client: announce responses with `interval`, `complete` and
//!   `incomplete`; each offer relayed to a distinct random other peer of its swarm, never to its
//!   sender; answers routed by `to_peer_id` + `offer_id` only for offers relayed to the answerer
//!   and not expired; scrape of one or many info hashes; peers expire after missed announces; a
//!   closed socket leaves every swarm it joined.
//! * **Protected**: every count and length from the network is bounded ([`Limits`]). Bad
//!   messages get a `failure reason` and the connection stays open, unless it keeps failing
//!   (`max_failures_per_minute`). No input can panic the process.
//! * **Scales with cores**: the swarms are split by info hash into shards
//!   ([`Config::shard_count`], four per worker thread by default), each behind its own lock;
//!   what belongs to a connection (its memberships in every shard, its announce and failure
//!   budgets) stays in the connection's task, so per-connection limits hold across shards. A
//!   scrape reads each shard its hashes live in; a closed socket leaves every shard it used;
//!   `/stats` sums the shards; expired peers are swept shard by shard.
//! * **Observable**: `GET /stats` (JSON) and `GET /metrics` (Prometheus) on the same port as the
//!   WebSocket, `tracing` logs, graceful shutdown.
//! * **Testable**: all decisions live in [`swarm`] ([`Shard`], [`swarm::Connection`] and the one
//!   message handler, [`swarm::dispatch`]), which does no I/O, takes the time as an argument and
//!   draws randomness from seeds; [`Swarms`] runs that handler over a plain `Vec` of shards for
//!   tests, the server over its locks. The async code only moves messages.
//!
//! # Running it
//!
//! `shoal tracker [--config tracker.toml] [--listen 0.0.0.0:8000] [--workers N]` (the binary
//! builds a Tokio runtime with [`Config::worker_threads`] threads), or from Rust, on the
//! caller's runtime:
//!
//! ```no_run
//! # use shoal_tracker as tracker; // the workspace imports this package as `tracker`
//! # async fn demo() -> Result<(), tracker::TrackerError> {
//! let config = tracker::Config::default();
//! let listener = tokio::net::TcpListener::bind(config.listen).await?;
//! tracker::serve(config, listener, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```
//!
//! The load generator ([`load`]) drives any WebTorrent tracker: `shoal tracker-load --help`;
//! the soak ([`soak`]) runs well-behaved and abusive clients for a long time beside each other:
//! `shoal tracker-soak --help`.

pub mod config;
mod http;
pub mod load;
pub mod metrics;
mod server;
pub mod soak;
pub mod swarm;

pub use self::{
    config::{Config, ConfigError, Limits},
    metrics::{ErrorKind, Snapshot},
    server::{serve, Embedded, TrackerError},
    swarm::{ConnId, Out, Shard, SwarmConfig, Swarms},
};
