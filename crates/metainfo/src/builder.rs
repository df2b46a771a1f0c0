//! Building `.torrent` files, sans-IO: the caller reads the files and feeds their bytes.
//!
//! # Matching `create-torrent`
//!
//! The info hash of a torrent built here equals the one npm `create-torrent` 6.1.3 produces
//! for the same files (same order, same paths), name, piece length and `private` option,
//! because the info dict is byte-for-byte the same:
//!
//! * keys `name`, `piece length`, `pieces`, then `length` (single-file layout) or `files`
//!   (multi-file layout), plus `private` **only when the option was given**: `private: 1`
//!   for true and `private: 0` for false (`Number(opts.private)`). Note that create-torrent's
//!   *CLI* declares `--private` as a boolean flag, so it always passes it and always writes
//!   `private 0` or `1`; its JS API omits the key unless asked. Nothing else goes in `info`
//!   (no `name.utf-8`, no `md5sum`, no padding files).
//! * each `files` entry is `{length, path}`, in the order the files were given (see
//!   [`crate::sort_files`] for the order of a directory walk) with zero-length files kept;
//! * pieces are the SHA-1 of consecutive `piece length` chunks of the concatenated files,
//!   the last one shorter, no padding;
//! * single-file layout is used when create-torrent got a single *file* (not a directory);
//!   [`TorrentBuilder::new`] guesses it from "exactly one file whose path is `[name]`", and
//!   [`TorrentBuilder::single_file`] overrides the guess (a directory `d` holding only `d`);
//! * everything is canonical bencode (keys sorted), text as UTF-8.
//!
//! Outside `info` (does not affect the hash) create-torrent writes `announce` (first URL of
//! the first tier) with `announce-list` (all tiers) when there are trackers, `comment`,
//! `created by`, `creation date` (seconds, rounded up from milliseconds), `encoding: UTF-8`,
//! and `url-list` (a list, even for one URL). So do we, except that we add no default
//! trackers (create-torrent adds eight public ones when given none) and write `creation
//! date` only when the caller supplies one (no clock here).

use bencode::{Dict, Value};

use crate::{info::check_component, MAX_PIECE_LENGTH};

/// Why [`TorrentBuilder::finish`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Fed a different number of bytes than the files add up to.
    #[error("the files add up to {expected} bytes, but {actual} bytes were fed")]
    ByteCountMismatch {
        /// Sum of the file lengths given to `new`.
        expected: u64,
        /// Bytes passed to `update`.
        actual: u64,
    },
    /// Piece length 0 or above [`MAX_PIECE_LENGTH`].
    #[error("the piece length must be between 1 byte and 64 MiB, not {0}")]
    PieceLength(u64),
    /// No files.
    #[error("a torrent needs at least one file")]
    NoFiles,
    /// Single-file layout with other than one file.
    #[error("a single-file torrent must have exactly one file, not {0}")]
    NotSingleFile(usize),
    /// The name or a path component is empty, `.`, `..`, or has `/` or NUL in it.
    #[error("invalid path {path:?}: {reason}")]
    InvalidPath {
        /// The offending path, joined with `/`.
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The file lengths overflow 64 bits.
    #[error("the files add up to more than 2^64 bytes")]
    TooLarge,
}

/// Builds a `.torrent` from file sizes and the file bytes, fed in order.
///
/// ```
/// # use shoal_metainfo as metainfo;
/// use metainfo::{default_piece_length, Metainfo, TorrentBuilder};
///
/// let files = vec![(vec!["a.txt".to_string()], 5), (vec!["b.txt".to_string()], 3)];
/// let mut builder = TorrentBuilder::new("two", files, default_piece_length(8))
///     .announce(vec![vec!["wss://tracker.example".into()]])
///     .created_by("Shoal");
/// builder.update(b"hello");
/// builder.update(b"abc");
/// let torrent = builder.finish()?;
/// let parsed = Metainfo::from_bytes(&torrent).expect("we just built it");
/// assert_eq!(parsed.info.files.len(), 2);
/// # Ok::<(), metainfo::BuildError>(())
/// ```
#[derive(Clone)]
pub struct TorrentBuilder {
    name: String,
    files: Vec<(Vec<String>, u64)>,
    piece_length: u64,
    single_file: bool,
    announce: Vec<Vec<String>>,
    url_list: Vec<String>,
    comment: Option<String>,
    created_by: Option<String>,
    creation_date: Option<i64>,
    private: Option<bool>,
    hasher: sha1_smol::Sha1,
    /// Bytes hashed into the current piece.
    in_piece: u64,
    pieces: Vec<u8>,
    fed: u64,
}

impl std::fmt::Debug for TorrentBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The hasher has no `Debug`; progress is what matters when debugging.
        f.debug_struct("TorrentBuilder")
            .field("name", &self.name)
            .field("files", &self.files.len())
            .field("piece_length", &self.piece_length)
            .field("single_file", &self.single_file)
            .field("fed", &self.fed)
            .finish_non_exhaustive()
    }
}

impl TorrentBuilder {
    /// Starts a torrent called `name` with `files` (path components below the torrent
    /// directory, length) in content order, cut into pieces of `piece_length` bytes (use
    /// [`crate::default_piece_length`] to match create-torrent's choice).
    pub fn new(name: impl Into<String>, files: Vec<(Vec<String>, u64)>, piece_length: u64) -> Self {
        let name = name.into();
        let single_file = files.len() == 1 && files[0].0.len() == 1 && files[0].0[0] == name;
        Self {
            name,
            files,
            piece_length,
            single_file,
            announce: Vec::new(),
            url_list: Vec::new(),
            comment: None,
            created_by: None,
            creation_date: None,
            private: None,
            hasher: sha1_smol::Sha1::new(),
            in_piece: 0,
            pieces: Vec::new(),
            fed: 0,
        }
    }

    /// Forces the single-file (`length`) or multi-file (`files`) layout.
    pub fn single_file(mut self, single: bool) -> Self {
        self.single_file = single;
        self
    }

    /// Tracker tiers; empty tiers are dropped.
    pub fn announce(mut self, tiers: Vec<Vec<String>>) -> Self {
        self.announce = tiers.into_iter().filter(|t| !t.is_empty()).collect();
        self
    }

    /// Webseed base URLs (BEP 19).
    pub fn url_list(mut self, urls: Vec<String>) -> Self {
        self.url_list = urls;
        self
    }

    /// Free-form comment.
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// The creating program, e.g. `"Shoal 0.1"`.
    pub fn created_by(mut self, created_by: impl Into<String>) -> Self {
        self.created_by = Some(created_by.into());
        self
    }

    /// Creation time in seconds since the Unix epoch.
    pub fn creation_date(mut self, seconds: i64) -> Self {
        self.creation_date = Some(seconds);
        self
    }

    /// Writes `private` into the info dict: 1 for true, 0 for false (changes the hash!).
    /// Without this call there is no `private` key.
    pub fn private(mut self, private: bool) -> Self {
        self.private = Some(private);
        self
    }

    /// Feeds the next bytes of content (all files concatenated in order), in chunks of any
    /// size. Bytes beyond the declared total are counted (for the error) but not hashed.
    pub fn update(&mut self, mut bytes: &[u8]) {
        let total = self.total().unwrap_or(u64::MAX);
        let room = total.saturating_sub(self.fed);
        self.fed = self.fed.saturating_add(bytes.len() as u64);
        if !(1..=MAX_PIECE_LENGTH).contains(&self.piece_length) {
            return; // reported by `finish`; hashing with a zero piece length never ends
        }
        bytes = &bytes[..bytes.len().min(usize::try_from(room).unwrap_or(usize::MAX))];
        while !bytes.is_empty() {
            let want = self.piece_length - self.in_piece;
            let take = bytes.len().min(usize::try_from(want).unwrap_or(usize::MAX));
            self.hasher.update(&bytes[..take]);
            self.in_piece += take as u64;
            bytes = &bytes[take..];
            if self.in_piece == self.piece_length {
                self.end_piece();
            }
        }
    }

    /// Checks everything and returns the bencoded `.torrent`.
    pub fn finish(mut self) -> Result<Vec<u8>, BuildError> {
        if !(1..=MAX_PIECE_LENGTH).contains(&self.piece_length) {
            return Err(BuildError::PieceLength(self.piece_length));
        }
        if self.files.is_empty() {
            return Err(BuildError::NoFiles);
        }
        if self.single_file && self.files.len() != 1 {
            return Err(BuildError::NotSingleFile(self.files.len()));
        }
        self.check_paths()?;
        let expected = self.total().ok_or(BuildError::TooLarge)?;
        if self.fed != expected {
            return Err(BuildError::ByteCountMismatch {
                expected,
                actual: self.fed,
            });
        }
        if self.in_piece > 0 {
            self.end_piece();
        }
        Ok(self.encode(expected))
    }

    fn total(&self) -> Option<u64> {
        self.files
            .iter()
            .try_fold(0u64, |sum, (_, len)| sum.checked_add(*len))
    }

    fn end_piece(&mut self) {
        self.pieces.extend_from_slice(&self.hasher.digest().bytes());
        self.hasher.reset();
        self.in_piece = 0;
    }

    fn check_paths(&self) -> Result<(), BuildError> {
        let invalid = |path: String, reason| BuildError::InvalidPath { path, reason };
        check_component(&self.name).map_err(|r| invalid(self.name.clone(), r))?;
        if self.single_file {
            return Ok(()); // the file is stored under `name`
        }
        for (path, _) in &self.files {
            if path.is_empty() {
                return Err(invalid(String::new(), "a file path has no components"));
            }
            for part in path {
                check_component(part).map_err(|r| invalid(path.join("/"), r))?;
            }
        }
        Ok(())
    }

    fn encode(&self, total: u64) -> Vec<u8> {
        // Every integer in a torrent fits an i64 in practice; saturate rather than wrap.
        let int = |n: u64| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
        let mut info = Dict::new();
        info.insert(b"name", text(&self.name));
        info.insert(b"piece length", int(self.piece_length));
        info.insert(b"pieces", Value::Bytes(&self.pieces));
        if let Some(private) = self.private {
            info.insert(b"private", Value::Int(i64::from(private)));
        }
        if self.single_file {
            info.insert(b"length", int(total));
        } else {
            let files = self.files.iter().map(|(path, len)| {
                let mut f = Dict::new();
                f.insert(b"length", int(*len));
                f.insert(b"path", Value::List(path.iter().map(|p| text(p)).collect()));
                Value::Dict(f)
            });
            info.insert(b"files", Value::List(files.collect()));
        }

        let mut torrent = Dict::new();
        torrent.insert(b"info", Value::Dict(info));
        torrent.insert(b"encoding", text("UTF-8"));
        if let Some(first) = self.announce.first().and_then(|tier| tier.first()) {
            torrent.insert(b"announce", text(first));
            let tiers = self
                .announce
                .iter()
                .map(|tier| Value::List(tier.iter().map(|url| text(url)).collect()));
            torrent.insert(b"announce-list", Value::List(tiers.collect()));
        }
        if !self.url_list.is_empty() {
            let urls = self.url_list.iter().map(|u| text(u)).collect();
            torrent.insert(b"url-list", Value::List(urls));
        }
        if let Some(c) = &self.comment {
            torrent.insert(b"comment", text(c));
        }
        if let Some(c) = &self.created_by {
            torrent.insert(b"created by", text(c));
        }
        if let Some(d) = self.creation_date {
            torrent.insert(b"creation date", Value::Int(d));
        }
        bencode::encode(&Value::Dict(torrent))
    }
}

fn text(s: &str) -> Value<'_> {
    Value::Bytes(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Metainfo;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn p(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn info_dict_has_exactly_create_torrents_keys() {
        let mut b = TorrentBuilder::new("hello.txt", vec![(p(&["hello.txt"]), 5)], 16384);
        b.update(b"hello");
        let bytes = b.finish().unwrap();
        let m = Metainfo::from_bytes(&bytes).unwrap();
        // Byte-exact info dict: name, piece length, pieces, length; no private key.
        let digest = sha1_smol::Sha1::from(b"hello").digest().bytes();
        let expected = [
            &b"d6:lengthi5e4:name9:hello.txt12:piece lengthi16384e6:pieces20:"[..],
            &digest,
            b"e",
        ]
        .concat();
        assert_eq!(m.info_bytes, expected);
        assert!(String::from_utf8_lossy(&bytes).contains("8:encoding5:UTF-8"));
    }

    #[test]
    fn private_false_still_writes_the_key() {
        let build = |private: Option<bool>| {
            let mut b = TorrentBuilder::new("d", vec![(p(&["a"]), 1), (p(&["b"]), 1)], 1);
            if let Some(x) = private {
                b = b.private(x);
            }
            b.update(b"xy");
            Metainfo::from_bytes(&b.finish().unwrap()).unwrap()
        };
        let (none, off, on) = (build(None), build(Some(false)), build(Some(true)));
        assert!(!none.info.private && !off.info.private && on.info.private);
        assert_ne!(none.info_hash, off.info_hash);
        assert!(off.info_bytes.windows(11).any(|w| w == b"7:privatei0"));
        assert_eq!(none.info.pieces.len(), 2);
    }

    #[test]
    fn pieces_do_not_depend_on_how_bytes_are_chunked() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let files = vec![(p(&["x"]), 600), (p(&["y"]), 0), (p(&["z", "w"]), 400)];
        let mut whole = TorrentBuilder::new("n", files.clone(), 64);
        whole.update(&data);
        let mut bits = TorrentBuilder::new("n", files, 64);
        for chunk in data.chunks(13) {
            bits.update(chunk);
        }
        let (a, b) = (whole.finish().unwrap(), bits.finish().unwrap());
        assert_eq!(a, b);
        let m = Metainfo::from_bytes(&a).unwrap();
        assert_eq!(m.info.pieces.len(), 16);
        assert_eq!(
            m.info.pieces[15],
            sha1_smol::Sha1::from(&data[960..]).digest().bytes()
        );
    }

    #[test]
    fn outer_fields_round_trip() {
        let mut b = TorrentBuilder::new("f", vec![(p(&["f"]), 0)], 16384)
            .announce(vec![vec!["wss://t1".into()], vec!["wss://t2".into()]])
            .url_list(vec!["https://seed/".into()])
            .comment("c")
            .created_by("Shoal")
            .creation_date(1_700_000_001);
        b.update(&[]);
        let m = Metainfo::from_bytes(&b.finish().unwrap()).unwrap();
        assert_eq!(m.announce, [["wss://t1"], ["wss://t2"]]);
        assert_eq!(m.url_list, ["https://seed/"]);
        assert_eq!(m.comment.as_deref(), Some("c"));
        assert_eq!(m.created_by.as_deref(), Some("Shoal"));
        assert_eq!(m.creation_date, Some(1_700_000_001));
        assert_eq!(m.info.piece_count(), 0);
    }

    #[test]
    fn errors() {
        let one = || vec![(p(&["f"]), 2)];
        let mut b = TorrentBuilder::new("f", one(), 4);
        b.update(b"abc");
        assert_eq!(
            b.finish(),
            Err(BuildError::ByteCountMismatch {
                expected: 2,
                actual: 3
            })
        );
        let b = TorrentBuilder::new("f", one(), 4);
        assert_eq!(
            b.finish(),
            Err(BuildError::ByteCountMismatch {
                expected: 2,
                actual: 0
            })
        );
        let mut b = TorrentBuilder::new("f", one(), 0);
        b.update(b"ab");
        assert_eq!(b.finish(), Err(BuildError::PieceLength(0)));
        assert_eq!(
            TorrentBuilder::new("f", vec![], 4).finish(),
            Err(BuildError::NoFiles)
        );
        let b = TorrentBuilder::new("d", vec![(p(&["..", "x"]), 0)], 4);
        assert!(matches!(b.finish(), Err(BuildError::InvalidPath { .. })));
        let b = TorrentBuilder::new("d", vec![(p(&["a"]), 0), (p(&["b"]), 0)], 4).single_file(true);
        assert_eq!(b.finish(), Err(BuildError::NotSingleFile(2)));
        let b = TorrentBuilder::new("d", vec![(p(&["a"]), u64::MAX), (p(&["b"]), 1)], 4);
        assert_eq!(b.finish(), Err(BuildError::TooLarge));
    }

    #[test]
    fn directory_with_one_file_of_the_same_name_can_be_forced_multi_file() {
        let mut b = TorrentBuilder::new("d", vec![(p(&["d"]), 1)], 4).single_file(false);
        b.update(b"x");
        let m = Metainfo::from_bytes(&b.finish().unwrap()).unwrap();
        assert!(!m.info.single_file);
        assert_eq!(m.info.files[0].path, ["d"]);
    }
}
