//! One module per page.

pub(crate) mod home;
