//! Reusable pieces of UI.

pub(crate) mod library;
pub(crate) mod magnet_details;
pub(crate) mod share_form;
pub(crate) mod source_form;
