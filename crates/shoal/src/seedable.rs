//! Turning one file on disk into a torrent ready to seed: hash it (or take the cached torrent
//! made for the same path, size and modification time), then verify every piece into a swarm
//! engine backed by the file itself. Progress is logged in percent while hashing.

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use anyhow::Context;
use metainfo::{Magnet, Metainfo, TorrentBuilder};
use swarm::{Config, Engine};

use crate::{
    file_storage::{FileStamp, FileStorage},
    gateway::PieceStore,
    native_sha1::NativeSha1,
    seed_storage::SeedStorage,
};

/// How torrents are made.
#[derive(Debug, Clone, Default)]
pub(crate) struct MakeOptions {
    /// Tracker URLs (`announce`).
    pub(crate) trackers: Vec<String>,
    /// Webseed URLs (`url-list`).
    pub(crate) webseeds: Vec<String>,
    /// Where made torrents are kept between runs; `None` = no cache.
    pub(crate) cache_dir: Option<PathBuf>,
}

/// A verified file, with its engine.
pub(crate) struct Seedable {
    pub(crate) meta: Metainfo,
    /// The .torrent file as made (served at `/torrents/HASH.torrent`).
    pub(crate) torrent: Vec<u8>,
    pub(crate) engine: Engine<SeedStorage, NativeSha1>,
}

impl Seedable {
    /// The magnet link (trackers and, when `with_webseeds`, web seeds included).
    pub(crate) fn magnet(&self, with_webseeds: bool) -> String {
        let mut magnet = Magnet::new(self.meta.info_hash);
        magnet.display_name = Some(self.meta.info.name.clone());
        magnet.trackers = self.meta.announce.iter().flatten().cloned().collect();
        if with_webseeds {
            magnet.webseeds = self.meta.url_list.clone();
        }
        magnet.to_uri()
    }
}

/// Hashes (or loads from the cache) and verifies `path`, then returns it ready to seed.
pub(crate) fn prepare(
    path: &Path,
    opts: &MakeOptions,
    peer_id: [u8; 20],
) -> anyhow::Result<Seedable> {
    let stamp = FileStamp::of(path).with_context(|| format!("reading {}", path.display()))?;
    let cache_file = opts
        .cache_dir
        .as_ref()
        .map(|dir| dir.join(cache_key(path, stamp, opts)));
    let cached = cache_file
        .as_ref()
        .and_then(|f| std::fs::read(f).ok())
        .and_then(|bytes| Some((Metainfo::from_bytes(&bytes).ok()?, bytes)));
    let (meta, torrent) = match cached {
        Some(found) => {
            tracing::info!(file = %path.display(), "torrent found in the cache");
            found
        }
        None => {
            let bytes = make_torrent(path, stamp, opts)?;
            if let Some(file) = &cache_file {
                if let Some(dir) = file.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                if let Err(error) = std::fs::write(file, &bytes) {
                    tracing::warn!(%error, "could not cache the torrent");
                }
            }
            let meta = Metainfo::from_bytes(&bytes).context("re-reading the torrent just made")?;
            (meta, bytes)
        }
    };
    let piece_length = meta.info.piece_length;
    let (mut engine, pieces) = seeding_engine(path, stamp, &meta, peer_id)?;

    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut progress = Progress::new("verifying", path, stamp.len);
    for piece in 0..pieces {
        let start = u64::from(piece) * piece_length;
        let len = piece_length.min(stamp.len - start);
        let mut data = vec![0; usize::try_from(len).context("piece too large")?];
        file.read_exact(&mut data)
            .with_context(|| format!("reading {}", path.display()))?;
        if !engine.import_piece(piece, data) {
            anyhow::bail!(
                "{} changed while it was being verified: try again",
                path.display()
            );
        }
        progress.advance(len);
    }
    if FileStamp::of(path).ok() != Some(stamp) {
        anyhow::bail!(
            "{} changed while it was being verified: try again",
            path.display()
        );
    }
    Ok(Seedable {
        meta,
        torrent,
        engine,
    })
}

/// A file whose torrent and content are already in memory (a live channel's segment, just
/// written to `path`): every piece is checked against the torrent into an engine backed by the
/// file. Refused when the bytes do not match the torrent or the file's stamp cannot be read.
pub(crate) fn from_memory(
    path: &Path,
    torrent: Vec<u8>,
    bytes: &[u8],
    peer_id: [u8; 20],
) -> anyhow::Result<Seedable> {
    let meta = Metainfo::from_bytes(&torrent).context("reading the segment's torrent")?;
    let stamp = FileStamp::of(path).with_context(|| format!("reading {}", path.display()))?;
    anyhow::ensure!(
        stamp.len == bytes.len() as u64 && meta.info.total_length == stamp.len,
        "{} is not the {} bytes its torrent says",
        path.display(),
        meta.info.total_length
    );
    let piece_length = meta.info.piece_length;
    let (mut engine, pieces) = seeding_engine(path, stamp, &meta, peer_id)?;
    for (piece, chunk) in (0..pieces).zip(bytes.chunks(usize::try_from(piece_length)?)) {
        anyhow::ensure!(
            engine.import_piece(piece, chunk.to_vec()),
            "{}: piece {piece} does not match its torrent",
            path.display()
        );
    }
    Ok(Seedable {
        meta,
        torrent,
        engine,
    })
}

/// A torrent the gateway is downloading into `dir` (its info dict `info`), as the WebRTC
/// seeder starts it: an engine over that folder with no piece yet and
/// [`swarm::Config::upload_only`] set, so it serves what it is given and never fetches (the
/// gateway does that, over TCP). Each piece the gateway verifies is read back from the folder,
/// hashed again and imported later (`gateway/hybrid.rs`). Cheap: nothing is read here.
pub(crate) fn for_gateway(
    info: &[u8],
    dir: PathBuf,
    peer_id: [u8; 20],
) -> anyhow::Result<Seedable> {
    let mut torrent = b"d4:info".to_vec();
    torrent.extend_from_slice(info);
    torrent.push(b'e');
    let meta = Metainfo::from_bytes(&torrent).context("reading the torrent's info dict")?;
    let mut cfg = Config::new(metainfo::PeerId::from(peer_id), seed_from(&peer_id));
    cfg.upload_only = true;
    let engine = Engine::new(
        cfg,
        &meta,
        SeedStorage::Gateway(PieceStore::adopt(dir)),
        NativeSha1,
    );
    Ok(Seedable {
        meta,
        torrent,
        engine,
    })
}

/// An engine for `meta` over the file at `path`, with no piece yet (the caller imports them
/// after checking), and the piece count.
fn seeding_engine(
    path: &Path,
    stamp: FileStamp,
    meta: &Metainfo,
    peer_id: [u8; 20],
) -> anyhow::Result<(Engine<SeedStorage, NativeSha1>, u32)> {
    let pieces = u32::try_from(meta.info.pieces.len()).context("too many pieces")?;
    let storage = SeedStorage::File(FileStorage::new(
        path.to_path_buf(),
        stamp,
        meta.info.piece_length,
        pieces,
    ));
    // The engine must never fetch from our own webseed: it starts with every piece anyway.
    let mut engine_meta = meta.clone();
    engine_meta.url_list.clear();
    let cfg = Config::new(metainfo::PeerId::from(peer_id), seed_from(&peer_id));
    Ok((Engine::new(cfg, &engine_meta, storage, NativeSha1), pieces))
}

fn make_torrent(path: &Path, stamp: FileStamp, opts: &MakeOptions) -> anyhow::Result<Vec<u8>> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .context("the file name is not UTF-8")?
        .to_owned();
    let piece_length = metainfo::default_piece_length(stamp.len);
    let mut builder =
        TorrentBuilder::new(name.clone(), vec![(vec![name], stamp.len)], piece_length)
            .single_file(true)
            .announce(opts.trackers.iter().map(|t| vec![t.clone()]).collect())
            .url_list(opts.webseeds.clone())
            .created_by(concat!("Shoal ", env!("CARGO_PKG_VERSION")));
    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut progress = Progress::new("hashing", path, stamp.len);
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        builder.update(&buffer[..n]);
        progress.advance(n as u64);
    }
    builder
        .finish()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The cache file name: a hash of everything the torrent depends on.
fn cache_key(path: &Path, stamp: FileStamp, opts: &MakeOptions) -> String {
    let modified = stamp
        .modified
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let mut h = sha1_smol::Sha1::new();
    h.update(path.to_string_lossy().as_bytes());
    h.update(format!("\0{}\0{modified}", stamp.len).as_bytes());
    for url in opts.trackers.iter().chain(&opts.webseeds) {
        h.update(b"\0");
        h.update(url.as_bytes());
    }
    format!("{}.torrent", h.digest())
}

fn seed_from(peer_id: &[u8; 20]) -> u64 {
    peer_id.iter().fold(0x9e37_79b9_7f4a_7c15, |h: u64, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Logs "hashing NAME: 40 %" at most once per 10 %.
struct Progress<'a> {
    what: &'static str,
    path: &'a Path,
    total: u64,
    done: u64,
    shown: u64,
}

impl<'a> Progress<'a> {
    fn new(what: &'static str, path: &'a Path, total: u64) -> Self {
        Self {
            what,
            path,
            total,
            done: 0,
            shown: 0,
        }
    }

    fn advance(&mut self, n: u64) {
        self.done += n;
        let percent = (self.done * 100).checked_div(self.total).unwrap_or(100);
        if percent >= self.shown + 10 || (percent == 100 && self.shown < 100) {
            self.shown = percent - percent % 10;
            tracing::info!("{} {}: {percent} %", self.what, self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_torrent_is_reused_and_a_changed_file_is_rehashed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("clip.mp4");
        std::fs::write(&path, vec![5u8; 100_000]).expect("write");
        let opts = MakeOptions {
            cache_dir: Some(dir.path().join("cache")),
            ..MakeOptions::default()
        };
        let first = prepare(&path, &opts, [1; 20]).expect("prepare");
        assert!(first.engine.is_complete());
        let cached = std::fs::read_dir(dir.path().join("cache"))
            .expect("cache")
            .count();
        assert_eq!(cached, 1);
        let again = prepare(&path, &opts, [1; 20]).expect("prepare again");
        assert_eq!(again.meta.info_hash, first.meta.info_hash);
        assert_eq!(
            std::fs::read_dir(dir.path().join("cache"))
                .expect("cache")
                .count(),
            1
        );

        std::fs::write(&path, vec![6u8; 100_001]).expect("rewrite");
        let changed = prepare(&path, &opts, [1; 20]).expect("prepare changed");
        assert_ne!(changed.meta.info_hash, first.meta.info_hash);
        assert!(changed.engine.is_complete());
    }

    #[test]
    fn a_gateway_folder_is_seeded_piece_by_piece_as_the_gateway_writes_it() {
        use swarm::{HashedPiece, Storage};
        let dir = tempfile::tempdir().expect("tempdir");
        let mut f = crate::gateway_fixture::GatewayFixture::new(dir.path(), 7);
        let folder = f.folder.clone();

        let mut seeding = for_gateway(&f.info, folder.clone(), [2; 20]).expect("started");
        assert_eq!(seeding.meta.info_hash, f.library.meta.info_hash);
        assert_eq!(seeding.engine.stats().pieces_verified, 0);
        // The folder as the gateway fills it: one file per verified piece, read back as the
        // seeder does (`gateway/hybrid.rs`).
        let read = |piece| {
            let data = std::fs::read(PieceStore::piece_path(&folder, piece)).expect("read");
            HashedPiece::new(data)
        };
        f.write(1);
        let first = PieceStore::piece_path(&folder, 1);
        let written = std::fs::metadata(&first)
            .and_then(|m| m.modified())
            .expect("mtime");
        assert!(seeding.engine.import_hashed(1, read(1)));
        assert!(seeding.engine.has_piece(1) && !seeding.engine.has_piece(0));
        let again = std::fs::metadata(&first)
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(written, again, "the piece is not written a second time");
        let mut out = Vec::new();
        let storage = seeding.engine.storage_mut();
        storage.read(1, 100, 1000, &mut out).expect("read");
        assert_eq!(out, f.piece(1)[100..1100]);
        assert!(!storage.is_stale());

        // A piece damaged on disk is refused; a folder the gateway deleted is stale.
        std::fs::write(PieceStore::piece_path(&folder, 0), vec![0; f.piece_length])
            .expect("damage");
        assert!(!seeding.engine.import_hashed(0, read(0)));
        assert!(!seeding.engine.has_piece(0));
        std::fs::remove_dir_all(&folder).expect("remove");
        assert!(seeding.engine.storage_mut().is_stale());
    }
}
