//! `shoal info`: what a .torrent file or a magnet link says, as JSON on stdout.

use std::path::Path;

use anyhow::Context;
use metainfo::{Magnet, Metainfo};
use serde::Serialize;

use crate::BadInput;

/// The JSON `shoal info` prints. Field names follow npm parse-torrent's, so the two can be
/// compared directly; fields a magnet link does not carry are `null`.
#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InfoJson {
    info_hash: String,
    name: Option<String>,
    piece_length: Option<u64>,
    piece_count: Option<usize>,
    length: Option<u64>,
    files: Vec<FileJson>,
    /// Every tracker of every tier, in tier order, without repeats.
    announce: Vec<String>,
    /// The tiers as the torrent groups them.
    announce_tiers: Vec<Vec<String>>,
    url_list: Vec<String>,
    private: bool,
}

#[derive(Debug, Serialize, PartialEq)]
struct FileJson {
    /// Path inside the torrent, starting with the torrent's name for multi-file torrents.
    path: String,
    length: u64,
    offset: u64,
}

/// Runs `shoal info` on a .torrent path, a magnet link or a bare info hash.
pub fn run(source: &str) -> anyhow::Result<()> {
    let info = describe(source)?;
    let text = serde_json::to_string_pretty(&info).context("writing JSON")?;
    println!("{text}");
    Ok(())
}

/// Reads `source` as a magnet link or bare info hash, else as a path to a .torrent file.
pub(crate) fn describe(source: &str) -> anyhow::Result<InfoJson> {
    let trimmed = source.trim();
    let path = Path::new(source);
    if trimmed.starts_with("magnet:") || (!path.exists() && looks_like_info_hash(trimmed)) {
        let magnet = metainfo::parse_source(trimmed).map_err(|e| BadInput(e.to_string()))?;
        return Ok(from_magnet(&magnet));
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BadInput(format!(
                "{source}: no such file, and not a magnet link or info hash"
            ))
            .into())
        }
        Err(e) => return Err(BadInput(format!("{source}: {e}")).into()),
    };
    let torrent = Metainfo::from_bytes(&bytes).map_err(|e| BadInput(format!("{source}: {e}")))?;
    Ok(from_torrent(&torrent))
}

fn looks_like_info_hash(text: &str) -> bool {
    matches!(text.len(), 32 | 40) && text.chars().all(|c| c.is_ascii_alphanumeric())
}

fn flatten(tiers: &[Vec<String>]) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for url in tiers.iter().flatten() {
        if !all.contains(url) {
            all.push(url.clone());
        }
    }
    all
}

fn from_torrent(torrent: &Metainfo) -> InfoJson {
    let info = &torrent.info;
    let multi_file = !info.single_file;
    let files = info
        .files
        .iter()
        .map(|file| {
            let mut parts = Vec::with_capacity(file.path.len() + 1);
            if multi_file {
                parts.push(info.name.as_str());
            }
            parts.extend(file.path.iter().map(String::as_str));
            FileJson {
                path: parts.join("/"),
                length: file.length,
                offset: file.offset,
            }
        })
        .collect();
    InfoJson {
        info_hash: torrent.info_hash.to_hex(),
        name: Some(info.name.clone()),
        piece_length: Some(info.piece_length),
        piece_count: Some(info.pieces.len()),
        length: Some(info.total_length),
        files,
        announce: flatten(&torrent.announce),
        announce_tiers: torrent.announce.clone(),
        url_list: torrent.url_list.clone(),
        private: info.private,
    }
}

fn from_magnet(magnet: &Magnet) -> InfoJson {
    InfoJson {
        info_hash: magnet.info_hash.to_hex(),
        name: magnet.display_name.clone(),
        piece_length: None,
        piece_count: None,
        length: magnet.exact_length,
        files: Vec::new(),
        announce: magnet.trackers.clone(),
        announce_tiers: magnet.trackers.iter().map(|t| vec![t.clone()]).collect(),
        url_list: magnet.webseeds.clone(),
        private: false,
    }
}
