//! A [`swarm::Storage`] backed by the seeded file itself: verified pieces are not copied, they
//! are read back from the file on request.
//!
//! The file may change under us (edited, replaced, deleted). Every read first compares the
//! file's size and modification time with those seen when it was hashed; on any difference the
//! store forgets every piece and refuses reads, so no byte that was not verified is ever sent.
//! The library notices [`FileStorage::is_stale`] and re-hashes or drops the file.

use std::{
    fs::File,
    io::{Read, Seek, SeekFrom},
    path::{Path, PathBuf},
    time::SystemTime,
};

use swarm::{Storage, StorageError};

/// What identifies one version of a file: its size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    pub(crate) len: u64,
    pub(crate) modified: Option<SystemTime>,
}

impl FileStamp {
    pub(crate) fn of(path: &Path) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        Ok(Self {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

/// Verified pieces of one single-file torrent, read from the file on disk.
pub(crate) struct FileStorage {
    path: PathBuf,
    piece_length: u64,
    stamp: FileStamp,
    have: Vec<bool>,
    file: Option<File>,
    stale: bool,
}

impl FileStorage {
    /// A store for `path` as it was when hashed (`stamp`), with `pieces` pieces of
    /// `piece_length` bytes.
    pub(crate) fn new(path: PathBuf, stamp: FileStamp, piece_length: u64, pieces: u32) -> Self {
        Self {
            path,
            piece_length,
            stamp,
            have: vec![false; pieces as usize],
            file: None,
            stale: false,
        }
    }

    /// The file changed or vanished since it was hashed: nothing is served from it any more.
    pub(crate) fn is_stale(&self) -> bool {
        self.stale
    }

    /// Checks the file against its stamp; marks the store stale on a difference.
    pub(crate) fn check(&mut self) -> bool {
        if self.stale {
            return false;
        }
        if FileStamp::of(&self.path).ok() != Some(self.stamp) {
            tracing::warn!(
                file = %self.path.display(),
                "the file changed or vanished since it was hashed: no longer serving it"
            );
            self.stale = true;
            self.have.iter_mut().for_each(|h| *h = false);
            self.file = None;
        }
        !self.stale
    }

    fn read_at(&mut self, offset: u64, len: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
        if self.file.is_none() {
            self.file = Some(File::open(&self.path)?);
        }
        let Some(file) = self.file.as_mut() else {
            return Err(std::io::ErrorKind::NotFound.into());
        };
        file.seek(SeekFrom::Start(offset))?;
        let start = out.len();
        out.resize(start + len, 0);
        let result = file.read_exact(&mut out[start..]);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }
}

impl Storage for FileStorage {
    fn put(&mut self, piece: u32, _data: Vec<u8>) -> Vec<u32> {
        // The bytes were read from the file and just matched their hash: the file holds them.
        match self.have.get_mut(piece as usize) {
            Some(slot) if !self.stale => {
                *slot = true;
                Vec::new()
            }
            _ => vec![piece],
        }
    }

    fn read(
        &mut self,
        piece: u32,
        begin: u32,
        len: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), StorageError> {
        if !self.has(piece) || !self.check() {
            return Err(StorageError::Missing(piece));
        }
        if u64::from(begin) + u64::from(len) > self.piece_length {
            return Err(StorageError::OutOfRange { piece, begin, len });
        }
        let offset = u64::from(piece) * self.piece_length + u64::from(begin);
        self.read_at(offset, len as usize, out).map_err(|error| {
            tracing::warn!(file = %self.path.display(), %error, "reading a piece failed");
            self.file = None;
            StorageError::Missing(piece)
        })
    }

    fn has(&self, piece: u32) -> bool {
        !self.stale && self.have.get(piece as usize).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_verified_pieces_and_stops_when_the_file_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.bin");
        let data: Vec<u8> = (0..100u8).collect();
        std::fs::write(&path, &data).expect("write");
        let stamp = FileStamp::of(&path).expect("stat");
        let mut s = FileStorage::new(path.clone(), stamp, 32, 4);
        let mut out = Vec::new();
        assert_eq!(s.read(1, 0, 4, &mut out), Err(StorageError::Missing(1)));
        assert!(s.put(1, Vec::new()).is_empty());
        s.read(1, 2, 4, &mut out).expect("read");
        assert_eq!(out, [34, 35, 36, 37]);

        // Same size, new content and mtime: refused from now on.
        std::fs::write(&path, vec![7u8; 100]).expect("rewrite");
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(later))
            .expect("touch");
        out.clear();
        assert_eq!(s.read(1, 0, 4, &mut out), Err(StorageError::Missing(1)));
        assert!(out.is_empty());
        assert!(s.is_stale() && !s.has(1));
    }

    #[test]
    fn a_vanished_file_is_never_served() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("b.bin");
        std::fs::write(&path, [1u8; 64]).expect("write");
        let stamp = FileStamp::of(&path).expect("stat");
        let mut s = FileStorage::new(path.clone(), stamp, 32, 2);
        s.put(0, Vec::new());
        std::fs::remove_file(&path).expect("rm");
        let mut out = Vec::new();
        assert!(s.read(0, 0, 1, &mut out).is_err());
        assert!(s.is_stale());
    }
}
