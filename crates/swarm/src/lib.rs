//! One torrent's swarm engine (being written).
