//! Swarm simulator (being written).
