//! One module per page.

pub(crate) mod home;
pub(crate) mod not_found;
