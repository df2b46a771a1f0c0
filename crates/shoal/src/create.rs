//! `shoal create`: a .torrent of a file or a folder, with the same info hash npm
//! `create-torrent` gives for the same input and options.
//!
//! The folder walk follows create-torrent's rules (see `metainfo::skip_entry` and
//! `metainfo::sort_files`): hidden and junk entries are left out, and files are ordered by
//! their path components, bytewise. Bytes are read in 1 MiB chunks, so memory stays flat for
//! any size, and a file that changes size while it is read is an error, not a wrong torrent.

use std::{
    collections::HashSet,
    fs::File,
    io::{IsTerminal, Read, Write},
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use anyhow::Context;
use metainfo::{Magnet, Metainfo, TorrentBuilder};

use crate::BadInput;

/// Smallest and largest piece length accepted from the command line (powers of two only):
/// below 16 KiB a piece is smaller than one request block; above 64 MiB no client copes.
const MIN_PIECE_LENGTH: u64 = 16 * 1024;
const MAX_PIECE_LENGTH: u64 = metainfo::MAX_PIECE_LENGTH;
const READ_CHUNK: usize = 1 << 20;

/// `shoal create` options.
#[derive(clap::Args)]
pub struct CreateArgs {
    /// The file or folder to make a torrent of.
    path: PathBuf,
    /// Where to write the .torrent.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// A tracker URL (each one becomes its own tier). Repeatable.
    #[arg(long = "announce", value_name = "URL")]
    announce: Vec<String>,
    /// A web seed URL (BEP 19 url-list). Repeatable.
    #[arg(long = "webseed", value_name = "URL")]
    webseed: Vec<String>,
    /// Piece length in bytes: a power of two from 16384 to 67108864. Default: about 1024 pieces.
    #[arg(long, value_name = "BYTES")]
    piece_length: Option<u64>,
    /// The torrent's name. Default: the file's or folder's name.
    #[arg(long)]
    name: Option<String>,
    /// Mark the torrent private (BEP 27).
    #[arg(long)]
    private: bool,
    /// A comment stored in the torrent.
    #[arg(long)]
    comment: Option<String>,
}

/// Runs `shoal create`: writes the .torrent and prints its magnet link.
pub fn run(args: &CreateArgs) -> anyhow::Result<()> {
    if let Some(length) = args.piece_length {
        if !length.is_power_of_two() || !(MIN_PIECE_LENGTH..=MAX_PIECE_LENGTH).contains(&length) {
            return Err(BadInput(format!(
                "--piece-length {length}: must be a power of two from {MIN_PIECE_LENGTH} to {MAX_PIECE_LENGTH}"
            ))
            .into());
        }
    }
    let content = Content::scan(&args.path)?;
    let name = match &args.name {
        Some(name) => name.clone(),
        None => content.default_name.clone(),
    };
    let total: u64 = content.files.iter().map(|f| f.length).sum();
    let piece_length = args
        .piece_length
        .unwrap_or_else(|| metainfo::default_piece_length(total));

    let files = content
        .files
        .iter()
        .map(|f| {
            let path = if content.single_file {
                vec![name.clone()]
            } else {
                f.path.clone()
            };
            (path, f.length)
        })
        .collect();
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let mut builder = TorrentBuilder::new(name.clone(), files, piece_length)
        .single_file(content.single_file)
        .announce(args.announce.iter().map(|a| vec![a.clone()]).collect())
        .url_list(args.webseed.clone())
        .created_by(concat!("Shoal ", env!("CARGO_PKG_VERSION")))
        .creation_date(created);
    // Only when asked: create-torrent writes no `private` key otherwise, and `private 0` in
    // the info dict would change the info hash.
    if args.private {
        builder = builder.private(true);
    }
    if let Some(comment) = &args.comment {
        builder = builder.comment(comment.clone());
    }

    let mut progress = Progress::new(total);
    let mut buffer = vec![0u8; READ_CHUNK];
    for file in &content.files {
        feed_file(file, &mut builder, &mut buffer, &mut progress)?;
    }
    progress.finish();
    let torrent = builder
        .finish()
        .map_err(|e| BadInput(format!("{}: {e}", args.path.display())))?;
    // Read back what we wrote with our own parser: the magnet comes from the real info hash.
    let parsed = Metainfo::from_bytes(&torrent).context("re-reading the torrent just built")?;
    write_atomically(&args.output, &torrent)?;

    let mut magnet = Magnet::new(parsed.info_hash);
    magnet.display_name = Some(name);
    magnet.trackers = parsed.announce.iter().flatten().cloned().collect();
    magnet.webseeds = parsed.url_list.clone();
    println!("{magnet}");
    Ok(())
}

/// One file to hash: where it is on disk, its path inside the torrent, and its size when scanned.
struct ContentFile {
    disk_path: PathBuf,
    path: Vec<String>,
    length: u64,
}

struct Content {
    single_file: bool,
    default_name: String,
    files: Vec<ContentFile>,
}

impl Content {
    fn scan(root: &Path) -> anyhow::Result<Self> {
        let meta =
            std::fs::metadata(root).map_err(|e| BadInput(format!("{}: {e}", root.display())))?;
        let default_name = root
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned)
            .ok_or_else(|| BadInput(format!("{}: the name must be UTF-8 text", root.display())))?;
        if meta.is_file() {
            return Ok(Self {
                single_file: true,
                files: vec![ContentFile {
                    disk_path: root.to_path_buf(),
                    path: vec![default_name.clone()],
                    length: meta.len(),
                }],
                default_name,
            });
        }
        let mut files = Vec::new();
        let mut seen_dirs = HashSet::new();
        walk(root, &mut Vec::new(), &mut files, &mut seen_dirs)?;
        if files.is_empty() {
            return Err(
                BadInput(format!("{}: no files to put in a torrent", root.display())).into(),
            );
        }
        // create-torrent's order: by path components, bytewise.
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Self {
            single_file: false,
            default_name,
            files,
        })
    }
}

fn walk(
    dir: &Path,
    prefix: &mut Vec<String>,
    out: &mut Vec<ContentFile>,
    seen_dirs: &mut HashSet<PathBuf>,
) -> anyhow::Result<()> {
    // A symlink loop would otherwise walk forever.
    let canonical = dir
        .canonicalize()
        .map_err(|e| BadInput(format!("{}: {e}", dir.display())))?;
    if !seen_dirs.insert(canonical) {
        return Ok(());
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| BadInput(format!("{}: {e}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(|e| BadInput(format!("{}: {e}", dir.display())))?;
        let disk_path = entry.path();
        let name = entry.file_name().into_string().map_err(|raw| {
            BadInput(format!(
                "{}: file names must be UTF-8 text, {raw:?} is not",
                dir.display()
            ))
        })?;
        if metainfo::skip_entry(&name) {
            continue;
        }
        // Follows symlinks, as create-torrent does.
        let meta = std::fs::metadata(&disk_path)
            .map_err(|e| BadInput(format!("{}: {e}", disk_path.display())))?;
        prefix.push(name);
        if meta.is_dir() {
            walk(&disk_path, prefix, out, seen_dirs)?;
        } else if meta.is_file() {
            out.push(ContentFile {
                disk_path,
                path: prefix.clone(),
                length: meta.len(),
            });
        }
        prefix.pop();
    }
    Ok(())
}

fn feed_file(
    file: &ContentFile,
    builder: &mut TorrentBuilder,
    buffer: &mut [u8],
    progress: &mut Progress,
) -> anyhow::Result<()> {
    let shown = file.disk_path.display();
    let mut reader = File::open(&file.disk_path).map_err(|e| BadInput(format!("{shown}: {e}")))?;
    let mut read_total = 0u64;
    loop {
        let n = match reader.read(buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(anyhow::Error::new(e).context(format!("reading {shown}"))),
        };
        read_total += n as u64;
        if read_total > file.length {
            break;
        }
        builder.update(&buffer[..n]);
        progress.advance(n as u64);
    }
    if read_total != file.length {
        return Err(BadInput(format!(
            "{shown}: changed while it was read ({} bytes when scanned, {read_total} now)",
            file.length
        ))
        .into());
    }
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".partial");
    let tmp = PathBuf::from(tmp_name);
    let result = (|| -> std::io::Result<()> {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        BadInput(format!("{}: {e}", path.display())).into()
    })
}

/// A one-line progress report on stderr while hashing, only when stderr is a terminal (scripts
/// and tests get clean output).
struct Progress {
    total: u64,
    done: u64,
    shown_percent: Option<u64>,
    enabled: bool,
}

impl Progress {
    fn new(total: u64) -> Self {
        Self {
            total,
            done: 0,
            shown_percent: None,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    fn advance(&mut self, n: u64) {
        self.done += n;
        if !self.enabled || self.total == 0 {
            return;
        }
        let percent = self.done.saturating_mul(100) / self.total;
        if self.shown_percent != Some(percent) {
            self.shown_percent = Some(percent);
            eprint!(
                "\rhashing {percent:>3}% ({} of {} MiB)",
                self.done >> 20,
                self.total >> 20
            );
        }
    }

    fn finish(&self) {
        if self.enabled && self.shown_percent.is_some() {
            eprintln!();
        }
    }
}
