//! The validated `info` dictionary of a v1 torrent.

use bencode::{Dict, Limits, Value};

use crate::{InfoHash, MetainfoError};

/// Largest accepted `piece length`: 64 MiB. Real torrents top out around 16–32 MiB; a bigger
/// piece would have to be buffered whole before it can be verified, which a browser tab
/// cannot afford.
pub const MAX_PIECE_LENGTH: u64 = 64 * 1024 * 1024;

/// One file of the torrent, in torrent order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Path components below the torrent's directory; for a single-file torrent, `[name]`.
    /// Every component is non-empty, not `.` or `..`, and contains no `/` or NUL, so joining
    /// them can never leave the download directory.
    pub path: Vec<String>,
    /// Size in bytes (may be 0).
    pub length: u64,
    /// Where the file starts in the torrent's concatenated content.
    pub offset: u64,
}

/// A validated `info` dictionary: what a torrent *is* (its hash covers exactly this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// SHA-1 of the exact bencoded bytes of the info dict.
    pub info_hash: InfoHash,
    /// Suggested file (single-file) or directory (multi-file) name; `name.utf-8` when present.
    pub name: String,
    /// Bytes per piece (the last piece may be shorter); `1..=MAX_PIECE_LENGTH`.
    pub piece_length: u64,
    /// SHA-1 of each piece; exactly `ceil(total_length / piece_length)` of them.
    pub pieces: Vec<[u8; 20]>,
    /// The files in torrent order, with their offsets; never empty.
    pub files: Vec<FileEntry>,
    /// Sum of all file lengths.
    pub total_length: u64,
    /// BEP 27: `private` is 1 (peers only from the torrent's trackers).
    pub private: bool,
    /// Single-file layout (`length` key) rather than a `files` list. Webseeds (BEP 19) use
    /// the URL as is for single-file torrents and append `name/path` for multi-file ones.
    pub single_file: bool,
}

impl Info {
    /// Parses a bare bencoded info dict, e.g. the metadata fetched with BEP 9 `ut_metadata`,
    /// and hashes it. Compare `info_hash` with the hash you asked for before trusting it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MetainfoError> {
        let value = bencode::decode(bytes, &Limits::default())?;
        let dict = value.as_dict().ok_or(MetainfoError::WrongType {
            field: "info",
            expected: "a dictionary",
        })?;
        Self::from_dict(dict, bytes)
    }

    /// Validates `dict`, whose exact encoded bytes are `raw`.
    pub(crate) fn from_dict(dict: &Dict<'_>, raw: &[u8]) -> Result<Self, MetainfoError> {
        let info_hash = InfoHash::from(sha1_smol::Sha1::from(raw).digest().bytes());
        let name = preferred_text(dict, b"name.utf-8", b"name", "name")?
            .ok_or(MetainfoError::Missing { field: "name" })?;
        check_component(&name).map_err(|reason| MetainfoError::Invalid {
            field: "name",
            reason,
        })?;

        let piece_length =
            int(dict, b"piece length", "piece length")?.ok_or(MetainfoError::Missing {
                field: "piece length",
            })?;
        let piece_length = u64::try_from(piece_length)
            .ok()
            .filter(|&p| p > 0 && p <= MAX_PIECE_LENGTH)
            .ok_or(MetainfoError::Invalid {
                field: "piece length",
                reason: "it must be between 1 byte and 64 MiB",
            })?;

        let pieces_bytes = match dict.get(b"pieces") {
            None => return Err(MetainfoError::Missing { field: "pieces" }),
            Some(v) => v.as_bytes().ok_or(MetainfoError::WrongType {
                field: "pieces",
                expected: "a byte string",
            })?,
        };
        if pieces_bytes.len() % 20 != 0 {
            return Err(MetainfoError::Invalid {
                field: "pieces",
                reason: "its length is not a multiple of 20 bytes",
            });
        }

        let (files, single_file) = match dict.get(b"files") {
            Some(list) => (parse_files(list)?, false),
            None => {
                let length = int(dict, b"length", "length")?
                    .ok_or(MetainfoError::Missing { field: "length" })?;
                let length = u64::try_from(length).map_err(|_| MetainfoError::Invalid {
                    field: "length",
                    reason: "it is negative",
                })?;
                let entry = FileEntry {
                    path: vec![name.clone()],
                    length,
                    offset: 0,
                };
                (vec![entry], true)
            }
        };
        let total_length = files.last().map_or(0, |f| f.offset + f.length);

        let expected = total_length.div_ceil(piece_length);
        let actual = (pieces_bytes.len() / 20) as u64;
        if expected != actual || u32::try_from(actual).is_err() {
            return Err(MetainfoError::PieceCount {
                expected,
                actual,
                total_length,
                piece_length,
            });
        }
        let pieces = pieces_bytes
            .chunks_exact(20)
            .map(|c| {
                let mut h = [0u8; 20];
                h.copy_from_slice(c);
                h
            })
            .collect();

        let private = int(dict, b"private", "private")? == Some(1);
        Ok(Self {
            info_hash,
            name,
            piece_length,
            pieces,
            files,
            total_length,
            private,
            single_file,
        })
    }
}

/// `files`: a non-empty list of `{length, path}` dicts; computes offsets with overflow checks.
fn parse_files(list: &Value<'_>) -> Result<Vec<FileEntry>, MetainfoError> {
    let items = list.as_list().ok_or(MetainfoError::WrongType {
        field: "files",
        expected: "a list",
    })?;
    if items.is_empty() {
        return Err(MetainfoError::Invalid {
            field: "files",
            reason: "the list is empty",
        });
    }
    let mut files = Vec::with_capacity(items.len());
    let mut offset = 0u64;
    for (index, item) in items.iter().enumerate() {
        let bad = |reason| MetainfoError::InvalidFile { index, reason };
        let file = item.as_dict().ok_or(bad("it is not a dictionary"))?;
        let length = file
            .get(b"length")
            .ok_or(bad("it has no length"))?
            .as_int()
            .and_then(|l| u64::try_from(l).ok())
            .ok_or(bad("its length is not a non-negative integer"))?;
        // Prefer `path.utf-8` when it is a usable list; otherwise `path`.
        let path = file
            .get(b"path.utf-8")
            .and_then(|p| path_components(p, true))
            .or_else(|| file.get(b"path").and_then(|p| path_components(p, false)))
            .ok_or(bad("its path is not a list of strings"))?;
        if path.is_empty() {
            return Err(bad("its path is empty"));
        }
        for part in &path {
            check_component(part).map_err(bad)?;
        }
        let end = offset
            .checked_add(length)
            .ok_or(bad("the file lengths add up to more than 2^64 bytes"))?;
        files.push(FileEntry {
            path,
            length,
            offset,
        });
        offset = end;
    }
    Ok(files)
}

/// A list of byte strings as text; `strict` refuses non-UTF-8 instead of replacing it.
fn path_components(value: &Value<'_>, strict: bool) -> Option<Vec<String>> {
    value
        .as_list()?
        .iter()
        .map(|part| {
            let bytes = part.as_bytes()?;
            if strict {
                std::str::from_utf8(bytes).ok().map(str::to_owned)
            } else {
                Some(String::from_utf8_lossy(bytes).into_owned())
            }
        })
        .collect()
}

/// Refuses path components that could escape the download directory or name nothing.
pub(crate) fn check_component(part: &str) -> Result<(), &'static str> {
    if part.is_empty() {
        Err("a path component is empty")
    } else if part == "." || part == ".." {
        Err("a path component is `.` or `..`")
    } else if part.contains('/') {
        Err("a path component contains `/`")
    } else if part.contains('\0') {
        Err("a path component contains a NUL byte")
    } else {
        Ok(())
    }
}

/// A text field, preferring the `.utf-8` variant when it is valid UTF-8. Non-UTF-8 bytes in
/// the plain variant are replaced (old torrents used local code pages).
pub(crate) fn preferred_text(
    dict: &Dict<'_>,
    utf8_key: &[u8],
    key: &[u8],
    field: &'static str,
) -> Result<Option<String>, MetainfoError> {
    if let Some(s) = dict.get(utf8_key).and_then(Value::as_str) {
        return Ok(Some(s.to_owned()));
    }
    match dict.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_bytes()
            .map(|b| Some(String::from_utf8_lossy(b).into_owned()))
            .ok_or(MetainfoError::WrongType {
                field,
                expected: "a string",
            }),
    }
}

/// An integer field.
pub(crate) fn int(
    dict: &Dict<'_>,
    key: &[u8],
    field: &'static str,
) -> Result<Option<i64>, MetainfoError> {
    match dict.get(key) {
        None => Ok(None),
        Some(v) => v.as_int().map(Some).ok_or(MetainfoError::WrongType {
            field,
            expected: "an integer",
        }),
    }
}
