//! One module per page.

pub(crate) mod addons;
pub(crate) mod detail;
pub(crate) mod discover;
pub(crate) mod downloads;
pub(crate) mod embed;
pub(crate) mod home;
pub(crate) mod live;
pub(crate) mod not_found;
pub(crate) mod play;
pub(crate) mod search;
pub(crate) mod settings;
pub(crate) mod watch;
