//! `shoal`, the native companion of the Shoal browser player, as a library: every command of the
//! `shoal` binary is one function here, taking that command's options (the clap `Args` structs
//! the binary parses) and returning when the command is done.
//!
//! | command | function | what it does |
//! |---|---|---|
//! | `shoal serve` | [`serve()`] | hosts the built app, the WebSocket tracker at `/announce`, a library of media files over HTTP (`/files`, `/api/library`) and as a Stremio add-on, and seeds the library to browsers over WebRTC, all on one port; `--channel NAME=SOURCE` adds live channels |
//! | `shoal broadcast` | [`broadcast()`] | one live channel (HLS with per-segment torrents), its WebSocket tracker and WebRTC seeding, on one port, without the library and the app |
//! | `shoal seed` | [`seed()`] | seeds one file over WebRTC through a WebSocket tracker and prints its magnet link |
//! | `shoal tracker` | [`tracker()`] | runs the WebTorrent WebSocket tracker (`shoal-tracker`) on its own port |
//! | `shoal tracker-load` | [`tracker_load()`] | load-tests any WebTorrent WebSocket tracker |
//! | `shoal tracker-soak` | [`tracker_soak()`] | runs well-behaved and abusive clients against a tracker for a long time, sampling its memory and the answers' latency |
//! | `shoal info` | [`info()`] | prints what a .torrent file or magnet link says, as JSON |
//! | `shoal create` | [`create()`] | makes a .torrent of a file or folder and prints its magnet link |
//! | `shoal dht-node` | [`dht_node()`] | runs a small mainline DHT network of its own (for the gateway where the public DHT is out of reach, and its tests) |
//! | `shoal sim` | [`sim()`] | runs one deterministic swarm simulation (`shoal-sim`) and prints a JSON summary |
//!
//! Process concerns live in [`process`] and nowhere else: the exit code of a failure (a
//! [`BadInput`] is the user's mistake, exit 2; anything else exits 1), logging, the runtime,
//! SIGINT/SIGTERM, the peer id and the torrent cache folder. The long-running commands (`serve`,
//! `seed`, `tracker`) stop gracefully on SIGINT or SIGTERM. Errors are `anyhow` here: this crate
//! is the edge of the workspace; the crates below it have typed errors. Unix only (the signals).

mod addon_poster;
mod addon_routes;
mod broadcast_cmd;
mod channel;
mod cors;
mod create;
mod dht_cmd;
mod file_storage;
mod files;
mod gateway;
#[cfg(test)]
mod gateway_fixture;
mod info;
mod library;
mod media_duration;
pub mod native_sha1;
mod one_port;
pub mod process;
mod seed_cmd;
mod seed_storage;
mod seedable;
mod seeder;
mod serve;
mod sim_cmd;
mod tracker_cmd;
mod tracker_soak_cmd;

pub use broadcast_cmd::{run as broadcast, BroadcastArgs};
pub use channel::ChannelOptions;
pub use create::{run as create, CreateArgs};
pub use dht_cmd::{run as dht_node, DhtNodeArgs};
pub use info::run as info;
pub use process::BadInput;
pub use seed_cmd::{run as seed, SeedArgs};
pub use serve::{run as serve, ServeArgs};
pub use sim_cmd::{run as sim, SimArgs};
pub use tracker_cmd::{load as tracker_load, run as tracker, LoadArgs, TrackerArgs};
pub use tracker_soak_cmd::{run as tracker_soak, SoakArgs};

/// A seed for a session's randomness (offer ids, jitter, peer choice) from its info hash,
/// folded (FNV-1a): stable per torrent, and not a secret.
pub(crate) fn session_seed(hash: &metainfo::InfoHash) -> u64 {
    hash.0.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
