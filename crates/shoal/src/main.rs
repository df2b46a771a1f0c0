//! `shoal`: the native companion of the Shoal browser player.
//!
//! Subcommands: `info` prints what a .torrent or magnet says, `create` makes a torrent of a file
//! or folder, `serve` hosts the browser app. Bad input exits with code 2 and one line on stderr;
//! anything else that fails exits with code 1.

mod addon_poster;
mod addon_routes;
mod create;
mod file_storage;
mod files;
mod info;
mod library;
mod media_duration;
mod one_port;
mod seed_cmd;
mod seedable;
mod seeder;
mod serve;
mod sim_cmd;
mod tracker_cmd;

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
    Create(create::CreateArgs),
    /// Serve the browser app, a WebSocket tracker at /announce, and a library of media files
    /// (HTTP at /files, WebRTC seeding) on one port.
    Serve(serve::ServeArgs),
    /// Seed one file to browsers over WebRTC (prints its magnet link; Ctrl-C stops).
    Seed(seed_cmd::SeedArgs),
    /// Run the WebTorrent WebSocket tracker (ws://, or wss:// with a certificate).
    Tracker(tracker_cmd::TrackerArgs),
    /// Load-test a WebTorrent WebSocket tracker (ours or any other).
    TrackerLoad(tracker_cmd::LoadArgs),
    /// Run one deterministic swarm simulation and print a JSON summary.
    Sim(sim_cmd::SimArgs),
}

/// A failure the user caused (bad input): reported in one line with exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct BadInput(pub(crate) String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info { source } => info::run(&source),
        Command::Create(args) => create::run(&args),
        Command::Serve(args) => serve::run(args),
        Command::Seed(args) => seed_cmd::run(&args),
        Command::Tracker(args) => tracker_cmd::run(&args),
        Command::TrackerLoad(args) => tracker_cmd::load(&args),
        Command::Sim(args) => sim_cmd::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if let Some(bad) = error.downcast_ref::<BadInput>() {
                eprintln!("shoal: {bad}");
                ExitCode::from(2)
            } else {
                eprintln!("shoal: {error:#}");
                ExitCode::from(1)
            }
        }
    }
}
