//! `shoal`: the native companion of the Shoal browser player. This binary only parses the
//! command line and calls the `shoal` library, where each subcommand is one function:
//! `serve` (the app, tracker, library, live channels and add-on on one port, seeding over
//! WebRTC), `broadcast` (one live channel with its tracker), `seed` (one
//! file over WebRTC), `tracker` (the WebSocket tracker alone), `tracker-load` (its load
//! generator), `tracker-soak` (its long soak with abusive clients), `info` (a .torrent or magnet as JSON), `create` (make a .torrent), `sim` (a
//! deterministic swarm simulation) and `dht-node` (a small DHT network of its own). Bad input exits with code 2 and one line on stderr;
//! anything else that fails exits with code 1.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "shoal",
    version,
    about = "Shoal: video from peers, played in the browser"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a .torrent file's or a magnet link's fields as JSON.
    Info {
        /// A path to a .torrent file, a magnet link, or a bare info hash.
        source: String,
    },
    /// Make a .torrent of a file or a folder and print its magnet link.
    Create(shoal::CreateArgs),
    /// Serve the browser app, a WebSocket tracker at /announce, and a library of media files
    /// (HTTP at /files, a Stremio add-on, WebRTC seeding) on one port.
    Serve(Box<shoal::ServeArgs>),
    /// Broadcast one live channel (HLS whose segments peers verify and share) with its own
    /// tracker and WebRTC seeding, without the library and the app.
    Broadcast(shoal::BroadcastArgs),
    /// Seed one file to browsers over WebRTC (prints its magnet link; Ctrl-C stops).
    Seed(shoal::SeedArgs),
    /// Run the WebTorrent WebSocket tracker (ws://, or wss:// with a certificate).
    Tracker(shoal::TrackerArgs),
    /// Load-test a WebTorrent WebSocket tracker (ours or any other).
    TrackerLoad(shoal::LoadArgs),
    /// Soak a WebTorrent WebSocket tracker: well-behaved and abusive clients for a long time.
    TrackerSoak(shoal::SoakArgs),
    /// Run one deterministic swarm simulation and print a JSON summary.
    Sim(shoal::SimArgs),
    /// Run a small mainline DHT network of its own (nodes that know each other), optionally
    /// announcing peers; prints the nodes' addresses for `shoal serve --dht-bootstrap`.
    DhtNode(shoal::DhtNodeArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Info { source } => shoal::info(&source),
        Command::Create(args) => shoal::create(&args),
        Command::Serve(args) => shoal::serve(*args),
        Command::Broadcast(args) => shoal::broadcast(args),
        Command::Seed(args) => shoal::seed(&args),
        Command::Tracker(args) => shoal::tracker(&args),
        Command::TrackerLoad(args) => shoal::tracker_load(&args),
        Command::TrackerSoak(args) => shoal::tracker_soak(&args),
        Command::Sim(args) => shoal::sim(&args),
        Command::DhtNode(args) => shoal::dht_node(&args),
    };
    shoal::process::exit_code(result)
}
