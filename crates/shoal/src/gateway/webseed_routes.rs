//! The gateway as a web seed (BEP 19) and a metadata source, for players that join a torrent
//! through it (the app adds `{companion}/gateway/webseed/HASH` when it finds too few peers):
//!
//! - `GET /gateway/webseed/HASH`: a single-file torrent's file (a BEP 19 URL is the file itself);
//! - `GET /gateway/webseed/HASH/NAME/PATH…`: a file of a multi-file torrent by the path a web
//!   seed client appends (the torrent's name, then the file's path), or a single-file torrent's
//!   file by its name;
//! - `GET /api/torrents/HASH/metadata`: the bencoded info dict (its SHA-1 is the info hash, so
//!   the caller checks it), once a peer sent it; 504 as `/stream` when none does in time.
//!
//! The paths live under `/gateway/`, away from the Service Worker's `/stream/…` on the app's
//! origin. Bytes, ranges and errors are those of `/stream/HASH/N`.

use std::sync::Arc;

use axum::{
    extract::{Path, Request, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};

use super::{
    routes::{ask, err, files_of, no_peers, parse_hash, running, serve_file, status_of, ApiError},
    torrent::{Cmd, FileSpan},
    Gateway,
};

/// `GET /gateway/webseed/HASH[/PATH]` (`path` still percent-encoded): the file it names.
pub(super) async fn webseed(
    g: &Arc<Gateway>,
    hash: &str,
    path: Option<&str>,
    req: Request,
) -> Result<Response, ApiError> {
    let hash = parse_hash(hash)?;
    let handle = running(g, &hash)?;
    let files = files_of(g, &handle).await?;
    let file = match path.filter(|p| !p.is_empty()) {
        None => match files.as_slice() {
            [file] => file,
            _ => {
                return Err(err(
                    StatusCode::NOT_FOUND,
                    format!(
                        "the torrent has {} files: ask for one by its path, /gateway/webseed/HASH/NAME/PATH",
                        files.len()
                    ),
                ))
            }
        },
        Some(path) => {
            let path = percent_encoding::percent_decode_str(path)
                .decode_utf8()
                .map_err(|_| err(StatusCode::BAD_REQUEST, "the path is not UTF-8"))?;
            let name = torrent_name(&handle.cmds).await;
            find(&files, name.as_deref(), &path).ok_or_else(|| {
                err(
                    StatusCode::NOT_FOUND,
                    format!("the torrent has no file at {path:?}"),
                )
            })?
        }
    };
    serve_file(g, &handle, file, req).await
}

/// `GET /api/torrents/HASH/metadata`: the info dict, once known.
pub(super) async fn metadata(
    State(g): State<Arc<Gateway>>,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    let hash = parse_hash(&hash)?;
    let cmds = running(&g, &hash)?.cmds;
    // The app asks for the metadata once and waits for it (it has no other source then), so
    // this waits the whole `wait_for_peers`, not the no-peer grace of the byte routes.
    let wait = g.config().wait_for_peers;
    match tokio::time::timeout(wait, ask(&cmds, Cmd::InfoDict)).await {
        Ok(Some(info)) => Ok((
            [
                (header::CONTENT_TYPE, "application/x-bittorrent"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            info,
        )
            .into_response()),
        Ok(None) => Err(err(StatusCode::NOT_FOUND, "the torrent was removed")),
        Err(_) => {
            let s = status_of(&cmds).await.ok();
            Err(no_peers(wait, "the metadata", s.as_ref()))
        }
    }
}

async fn torrent_name(cmds: &tokio::sync::mpsc::UnboundedSender<Cmd>) -> Option<String> {
    ask(cmds, Cmd::Status).await.and_then(|s| s.name)
}

/// The file a web seed path names: `NAME/PATH…` for a multi-file torrent (its files' paths
/// are below the torrent's name), `NAME` for a single file.
fn find<'a>(files: &'a [FileSpan], name: Option<&str>, path: &str) -> Option<&'a FileSpan> {
    let path = path.trim_matches('/');
    if let [only] = files {
        if only.path == path {
            return Some(only);
        }
    }
    let rest = path.strip_prefix(name?)?.strip_prefix('/')?;
    files.iter().find(|f| f.path == rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(index: usize, path: &str) -> FileSpan {
        FileSpan {
            index,
            path: path.to_owned(),
            length: 1,
            offset: index as u64,
        }
    }

    #[test]
    fn web_seed_paths_name_files_as_bep_19_lays_them_out() {
        let single = [span(0, "film.mp4")];
        assert_eq!(
            find(&single, Some("film.mp4"), "film.mp4").map(|f| f.index),
            Some(0)
        );
        let multi = [span(0, "a.mkv"), span(1, "sub/b c.srt")];
        assert_eq!(
            find(&multi, Some("Show"), "Show/sub/b c.srt").map(|f| f.index),
            Some(1)
        );
        assert_eq!(
            find(&multi, Some("Show"), "Show/a.mkv").map(|f| f.index),
            Some(0)
        );
        assert!(
            find(&multi, Some("Show"), "a.mkv").is_none(),
            "the name comes first"
        );
        assert!(find(&multi, Some("Show"), "Show/none").is_none());
        assert!(find(&multi, Some("Show"), "Showa.mkv").is_none());
    }
}
