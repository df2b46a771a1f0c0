//! Why an add-on, an address or a response cannot be used.

/// Errors are clauses ("the response is not JSON"); the app turns them into sentences.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddonError {
    /// Not `http://` or `https://` (or `stremio://`).
    #[error("the add-on address must start with https:// or http://")]
    BadScheme,
    /// No host after the scheme.
    #[error("the add-on address has no host name")]
    NoHost,
    /// Spaces inside the address.
    #[error("the add-on address contains spaces")]
    Whitespace,
    /// Does not end with `/manifest.json`.
    #[error("the add-on address must end with /manifest.json")]
    NotManifestUrl,
    /// Longer than [`crate::MAX_URL_LEN`].
    #[error("the add-on address is too long")]
    UrlTooLong,
    /// The body is over [`crate::MAX_RESPONSE_BYTES`].
    #[error("the add-on sent {len} bytes, more than Shoal accepts in one response")]
    TooLarge {
        /// Body length.
        len: usize,
    },
    /// The body is not JSON.
    #[error("the add-on did not send JSON ({0})")]
    NotJson(String),
    /// The manifest is JSON but unusable.
    #[error("the add-on's manifest is not valid: {0}")]
    BadManifest(String),
    /// A response lacks its one expected key.
    #[error("the add-on's response has no `{0}` field")]
    MissingKey(&'static str),
    /// `meta` is `null`: the add-on does not know the item.
    #[error("the add-on does not know this item")]
    NotFound,
    /// A catalog request used an extra the catalog does not declare.
    #[error("the catalog does not accept the extra `{name}`")]
    ExtraNotDeclared {
        /// Extra name.
        name: String,
    },
    /// A catalog request lacked a required extra.
    #[error("the catalog needs the extra `{name}`")]
    ExtraRequired {
        /// Extra name.
        name: String,
    },
}
