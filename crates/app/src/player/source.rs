//! What `/play`'s `src=` names (a magnet link, an info hash, or the address of a .torrent
//! file) and the torrent source it becomes: a .torrent file is downloaded (and kept in the
//! download store, so a torrent watched before opens from its link offline too); a magnet
//! with `xs=` http(s) addresses uses the first .torrent that downloads with it.

use crate::api;
use crate::player::failure::PlayError;
use crate::tab::Tab;

/// What the `src` parameter names.
enum SourceArg {
    Magnet(metainfo::Magnet),
    Url(String),
}

fn parse_src(src: &str) -> Result<SourceArg, PlayError> {
    let src = src.trim();
    if src.is_empty() {
        return Err(PlayError::BadLink("The link has no src= parameter: give a magnet link, an info hash or the address of a .torrent file.".to_owned()));
    }
    if ["http://", "https://", "blob:"]
        .iter()
        .any(|p| src.starts_with(p))
    {
        return Ok(SourceArg::Url(src.to_owned()));
    }
    metainfo::parse_source(src)
        .map(SourceArg::Magnet)
        .map_err(|e| PlayError::BadLink(crate::format::sentence(&e.to_string())))
}

/// The torrent source `src` names, and a note for the metadata wait when a magnet's exact
/// source was not usable; `busy` is told what is being done.
pub(crate) async fn resolve(
    tab: &Tab,
    src: &str,
    busy: impl Fn(&str),
) -> Result<(runtime::Source, Option<String>), PlayError> {
    match parse_src(src)? {
        SourceArg::Magnet(m) => with_exact_source(m, &busy).await,
        SourceArg::Url(url) => {
            busy("Downloading the .torrent file…");
            tab.cache.settled().await;
            let store = tab.cache.store();
            let bytes = match api::torrent::download(&url).await {
                Ok(bytes) => {
                    if let Some(store) = store
                        .as_ref()
                        .filter(|_| metainfo::Metainfo::from_bytes(&bytes).is_ok())
                    {
                        store.keep_torrent_file(&url, &bytes);
                    }
                    bytes
                }
                Err(e) => store
                    .and_then(|s| s.torrent_file(&url))
                    .ok_or(PlayError::Download(e))?,
            };
            Ok((runtime::Source::Torrent(bytes), None))
        }
    }
}

/// A magnet with `xs=` http(s) addresses (BEP 9's exact source): the first .torrent that
/// downloads is used with the magnet, so a magnet with only web seeds (no peer to ask for the
/// metadata) plays. A .torrent for another torrent is an error; when none downloads, the
/// magnet is used alone and the note says why.
async fn with_exact_source(
    magnet: metainfo::Magnet,
    busy: &impl Fn(&str),
) -> Result<(runtime::Source, Option<String>), PlayError> {
    let urls: Vec<String> = magnet
        .exact_sources
        .iter()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .cloned()
        .collect();
    let mut failure = None;
    for url in urls {
        busy("Downloading the .torrent file the magnet link points to…");
        let bytes = match api::torrent::download(&url).await {
            Ok(bytes) => bytes,
            Err(e) => {
                failure = Some(e.sentence());
                continue;
            }
        };
        match metainfo::Metainfo::from_bytes(&bytes) {
            Ok(meta) if meta.info_hash != magnet.info_hash => {
                return Err(PlayError::WrongTorrent {
                    url,
                    torrent: meta.info_hash.to_hex(),
                    magnet: magnet.info_hash.to_hex(),
                })
            }
            Ok(_) => {
                let source = runtime::Source::MagnetWithTorrent {
                    magnet,
                    torrent: bytes,
                };
                return Ok((source, None));
            }
            Err(e) => {
                failure = Some(format!(
                    "{url} is not a .torrent file: {}",
                    crate::format::sentence(&e.to_string())
                ))
            }
        }
    }
    let note = failure
        .map(|why| format!("the .torrent file named in the magnet link was not usable: {why}"));
    Ok((runtime::Source::Magnet(magnet), note))
}

/// The info hash a source names, if it can be read without adding it.
pub(crate) fn source_hash(source: &runtime::Source) -> Option<String> {
    match source {
        runtime::Source::Magnet(m) => Some(m.info_hash.to_hex()),
        runtime::Source::MagnetWithTorrent { magnet, .. } => Some(magnet.info_hash.to_hex()),
        runtime::Source::Torrent(bytes) => metainfo::Metainfo::from_bytes(bytes)
            .ok()
            .map(|m| m.info_hash.to_hex()),
    }
}
