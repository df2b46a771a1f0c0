//! Tracker protocol (work in progress).
