//! One module per page. The catalog pages are left out of the player module (the crate's
//! `catalog` feature).

#[cfg(feature = "catalog")]
pub(crate) mod addons;
#[cfg(feature = "catalog")]
pub(crate) mod detail;
#[cfg(feature = "catalog")]
pub(crate) mod discover;
#[cfg(feature = "catalog")]
pub(crate) mod downloads;
pub(crate) mod embed;
pub(crate) mod home;
pub(crate) mod live;
pub(crate) mod not_found;
pub(crate) mod play;
#[cfg(feature = "catalog")]
pub(crate) mod search;
#[cfg(feature = "catalog")]
pub(crate) mod settings;
pub(crate) mod watch;
