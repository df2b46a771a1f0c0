//! Peer wire protocol (work in progress).
