//! .torrent files named by a link (http(s)), by a magnet's `xs=`, or picked on this device
//! (a `blob:` URL).

use super::{http, ApiError};

/// A .torrent larger than this is refused (real ones are kilobytes; a few MiB for huge
/// multi-file torrents).
pub(crate) const MAX_TORRENT_BYTES: usize = 16 * 1024 * 1024;

/// Downloads the .torrent file at `url`; its bytes are parsed by the runtime.
pub(crate) async fn download(url: &str) -> Result<Vec<u8>, ApiError> {
    http::get(url, MAX_TORRENT_BYTES).await
}
