//! The player: the Service Worker bridge, the choice of file, the connection settings, and
//! `window.shoal` for tests and embedding sites.

pub(crate) mod bridge;
pub(crate) mod failure;
pub(crate) mod gateway;
pub(crate) mod media;
pub(crate) mod panel;
pub(crate) mod servers;
pub(crate) mod settings;
pub(crate) mod views;
