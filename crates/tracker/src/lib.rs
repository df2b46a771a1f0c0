//! WebSocket tracker server (being written).
