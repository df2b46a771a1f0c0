//! The library: every media file in a folder, made into a torrent (cached) and verified, ready
//! to seed; and the `/api/library` listing the app's home page shows.

use std::path::{Path, PathBuf};

use crate::{
    files::url_path,
    seedable::{prepare, MakeOptions, Seedable},
};

/// File extensions taken as media.
const MEDIA: &[&str] = &[
    "mp4", "m4v", "webm", "mkv", "mov", "mp3", "m4a", "ogg", "oga", "ogv", "opus", "flac", "wav",
];
/// Folder depth scanned below the library root.
const MAX_DEPTH: usize = 8;
/// Files taken from one library (the rest are skipped with a log line).
const MAX_FILES: usize = 1000;

/// One file of the library: its `/api/library` entry (the shared JSON type, reached through
/// `Deref`) and the .torrent bytes served at its `torrent_url`.
#[derive(Debug, Clone)]
pub(crate) struct LibraryItem {
    pub(crate) entry: companion_api::LibraryItem,
    /// The .torrent bytes (not in the JSON).
    pub(crate) torrent: Vec<u8>,
}

impl std::ops::Deref for LibraryItem {
    type Target = companion_api::LibraryItem;
    fn deref(&self) -> &Self::Target {
        &self.entry
    }
}

impl std::ops::DerefMut for LibraryItem {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.entry
    }
}

/// Media files under `root`, sorted, at most [`MAX_FILES`].
pub(crate) fn scan(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    walk(root, 0, &mut found)?;
    found.sort();
    if found.len() > MAX_FILES {
        tracing::warn!(
            "the library has {} media files: seeding the first {MAX_FILES}",
            found.len()
        );
        found.truncate(MAX_FILES);
    }
    Ok(found)
}

fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        // Symlinks are not followed: the library is what lies inside the folder.
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() && depth < MAX_DEPTH {
            walk(&path, depth + 1, found)?;
        } else if kind.is_file() && is_media(&path) {
            found.push(path);
        }
    }
    Ok(())
}

fn is_media(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| MEDIA.contains(&e.to_ascii_lowercase().as_str()))
}

/// Makes and verifies a torrent for every media file under `root`. `base_url` is this server
/// (`http://host:port`); `webseed` lists `/files/...` in each torrent. Files that fail are
/// skipped with a log line.
pub(crate) fn load(
    root: &Path,
    base_url: &str,
    tracker: &str,
    webseed: bool,
    cache_dir: Option<PathBuf>,
    peer_id: [u8; 20],
) -> std::io::Result<(Vec<Seedable>, Vec<LibraryItem>)> {
    let root = std::fs::canonicalize(root)?;
    let mut seedables = Vec::new();
    let mut items = Vec::new();
    for path in scan(&root)? {
        let Ok(relative) = path.strip_prefix(&root) else {
            continue;
        };
        let url = format!("{base_url}/files/{}", url_path(relative));
        let opts = MakeOptions {
            trackers: vec![tracker.to_owned()],
            webseeds: if webseed {
                vec![url.clone()]
            } else {
                Vec::new()
            },
            cache_dir: cache_dir.clone(),
        };
        match prepare(&path, &opts, peer_id) {
            Ok(seedable) => {
                items.push(LibraryItem {
                    entry: companion_api::LibraryItem {
                        title: path
                            .file_stem()
                            .map(|s| s.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                        path: relative.to_string_lossy().into_owned(),
                        size: seedable.meta.info.total_length,
                        duration: crate::media_duration::probe(&path),
                        info_hash: seedable.meta.info_hash.to_hex(),
                        magnet: seedable.magnet(webseed),
                        file_index: 0,
                        url,
                        torrent_url: format!(
                            "{base_url}/torrents/{}.torrent",
                            seedable.meta.info_hash.to_hex()
                        ),
                        mime: crate::files::content_type(&path).to_owned(),
                    },
                    torrent: seedable.torrent.clone(),
                });
                seedables.push(seedable);
            }
            Err(error) => tracing::warn!(file = %path.display(), "skipped: {error:#}"),
        }
    }
    Ok((seedables, items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_media_only_and_skips_hidden_and_symlinks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("shows/s1")).expect("mkdir");
        std::fs::write(root.join("a.mp4"), "x").expect("write");
        std::fs::write(root.join("shows/s1/b.WEBM"), "x").expect("write");
        std::fs::write(root.join("notes.txt"), "x").expect("write");
        std::fs::write(root.join(".hidden.mp4"), "x").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("a.mp4"), root.join("link.mp4")).expect("symlink");
        let found = scan(root).expect("scan");
        let names: Vec<_> = found
            .iter()
            .map(|p| {
                p.strip_prefix(root)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.mp4", "shows/s1/b.WEBM"]);
    }
}
