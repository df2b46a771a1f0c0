//! `shoal dht-node`: a small mainline DHT network of its own (nodes that know each other), for
//! trying the gateway's DHT where the public one is out of reach (a LAN, a test): start it,
//! pass one of the printed addresses to `shoal serve --dht-bootstrap`. `--announce HASH:PORT`
//! stores a peer for an info hash, as a BitTorrent client on this machine listening on PORT
//! would announce itself.

use std::net::Ipv4Addr;

use anyhow::Context;
use metainfo::InfoHash;

use crate::process::{self, BadInput};

/// `shoal dht-node` options.
#[derive(clap::Args)]
pub struct DhtNodeArgs {
    /// How many nodes to run.
    #[arg(long, default_value_t = 8)]
    nodes: usize,
    /// IPv4 address the nodes listen on (UDP, free ports).
    #[arg(long, default_value = "127.0.0.1")]
    bind: Ipv4Addr,
    /// `INFOHASH:PORT`: announce a peer on this machine at TCP port PORT for the info hash
    /// (repeatable).
    #[arg(long, value_name = "INFOHASH:PORT")]
    announce: Vec<String>,
}

/// Runs the nodes until SIGINT or SIGTERM; prints `DHT nodes: ADDR ADDR …` once they run.
pub fn run(args: &DhtNodeArgs) -> anyhow::Result<()> {
    if args.nodes == 0 || args.nodes > 64 {
        return Err(BadInput("--nodes must be 1 to 64".to_owned()).into());
    }
    let mut announce = Vec::new();
    for a in &args.announce {
        let (hash, port) = a
            .rsplit_once(':')
            .ok_or_else(|| BadInput(format!("--announce {a}: expected INFOHASH:PORT")))?;
        let hash =
            InfoHash::from_text(hash).map_err(|e| BadInput(format!("--announce {a}: {e}")))?;
        let port: u16 = port
            .parse()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| BadInput(format!("--announce {a}: not a port")))?;
        announce.push((hash, port));
    }
    process::init_logging();
    let runtime = process::runtime()?;
    runtime.block_on(async move {
        let shutdown = process::shutdown_signal()?;
        let nodes = args.nodes;
        let bind = args.bind;
        let net = crate::gateway::run_dht_nodes(nodes, bind, &announce)
            .await
            .context("starting the DHT nodes")?;
        println!("DHT nodes: {}", net.bootstrap.join(" "));
        shutdown.await;
        drop(net);
        Ok(())
    })
}
