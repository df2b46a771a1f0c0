//! Bencode (work in progress).
