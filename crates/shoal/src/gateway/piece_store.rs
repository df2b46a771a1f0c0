//! A [`swarm::Storage`] on disk for torrents the gateway downloads: one file per verified
//! piece in the torrent's folder. Per-piece files need no piece length up front, so a torrent
//! added by magnet (whose size is unknown until the metadata arrives) stores like any other,
//! and single- and multi-file torrents alike are read by torrent offset.

use std::{
    fs::File,
    io::{Read, Seek, SeekFrom},
    path::PathBuf,
};

use swarm::{Storage, StorageError};

/// Verified pieces of one torrent under `dir`.
pub(crate) struct PieceStore {
    dir: PathBuf,
    have: Vec<bool>,
    /// Bytes on disk.
    bytes: u64,
    /// Opened on pieces already written (see [`PieceStore::adopt`]).
    adopted: bool,
    /// Pieces written since [`PieceStore::take_written`] was last called (the gateway's own
    /// store only): how the gateway learns, once per piece, that a piece is verified and on
    /// disk, so the WebRTC seeder can read it from there (`gateway/hybrid.rs`).
    written: Vec<u32>,
}

impl PieceStore {
    /// A store in `dir` (created now; anything already there is removed: pieces are only
    /// trusted when this process verified them).
    pub(crate) fn create(dir: PathBuf) -> std::io::Result<Self> {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            have: Vec::new(),
            bytes: 0,
            adopted: false,
            written: Vec::new(),
        })
    }

    /// A second store on the folder of a torrent this process is downloading (for the WebRTC
    /// seeder). It starts with no piece: each, once the gateway verified and wrote it, is
    /// read back, re-checked against its hash by the caller's engine and then `put` here,
    /// which finds the bytes already on disk and does not write them again.
    pub(crate) fn adopt(dir: PathBuf) -> Self {
        Self {
            dir,
            have: Vec::new(),
            bytes: 0,
            adopted: true,
            written: Vec::new(),
        }
    }

    /// Whether its folder is still there (the gateway deletes it when the torrent is removed
    /// or evicted).
    pub(crate) fn dir_exists(&self) -> bool {
        self.dir.is_dir()
    }

    /// Bytes stored.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The pieces written since the last call, in order. The gateway's torrent takes them
    /// after every event it handles, so the list never holds more than the pieces verified
    /// by one event.
    pub(crate) fn take_written(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.written)
    }

    /// Where `piece` is kept in the folder `dir`.
    pub(crate) fn piece_path(dir: &std::path::Path, piece: u32) -> PathBuf {
        dir.join(format!("{piece:08}.piece"))
    }

    fn path(&self, piece: u32) -> PathBuf {
        Self::piece_path(&self.dir, piece)
    }
}

impl Storage for PieceStore {
    fn put(&mut self, piece: u32, data: Vec<u8>) -> Vec<u32> {
        let len = data.len() as u64;
        let on_disk = self.adopted
            && std::fs::metadata(self.path(piece)).is_ok_and(|m| m.is_file() && m.len() == len);
        if on_disk {
            // Adopted: the caller read these very bytes from this file and checked them.
        } else if let Err(error) = std::fs::write(self.path(piece), &data) {
            // The disk is full or gone: the piece is not kept (the engine stops advertising it).
            tracing::warn!(piece, %error, dir = %self.dir.display(), "storing a piece failed");
            return vec![piece];
        }
        let i = piece as usize;
        if self.have.len() <= i {
            self.have.resize(i + 1, false);
        }
        if !self.have[i] {
            self.have[i] = true;
            self.bytes += len;
            if !self.adopted {
                self.written.push(piece);
            }
        }
        Vec::new()
    }

    fn read(
        &mut self,
        piece: u32,
        begin: u32,
        len: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), StorageError> {
        if !self.has(piece) {
            return Err(StorageError::Missing(piece));
        }
        let mut file = File::open(self.path(piece)).map_err(|_| StorageError::Missing(piece))?;
        let size = file
            .metadata()
            .map_err(|_| StorageError::Missing(piece))?
            .len();
        if u64::from(begin) + u64::from(len) > size {
            return Err(StorageError::OutOfRange { piece, begin, len });
        }
        file.seek(SeekFrom::Start(u64::from(begin)))
            .map_err(|_| StorageError::Missing(piece))?;
        let start = out.len();
        out.resize(start + len as usize, 0);
        if file.read_exact(&mut out[start..]).is_err() {
            out.truncate(start);
            return Err(StorageError::Missing(piece));
        }
        Ok(())
    }

    fn has(&self, piece: u32) -> bool {
        self.have.get(piece as usize).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_round_trip_and_ranges_are_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = PieceStore::create(dir.path().join("t")).expect("create");
        assert!(!s.has(3));
        assert!(s.put(3, vec![1, 2, 3, 4]).is_empty());
        assert_eq!(s.bytes(), 4);
        let mut out = vec![9];
        s.read(3, 1, 2, &mut out).expect("read");
        assert_eq!(out, [9, 2, 3]);
        assert_eq!(
            s.read(3, 3, 2, &mut out),
            Err(StorageError::OutOfRange {
                piece: 3,
                begin: 3,
                len: 2
            })
        );
        assert_eq!(s.read(0, 0, 1, &mut out), Err(StorageError::Missing(0)));
        assert_eq!(s.take_written(), [3]);
        assert!(s.put(1, vec![5]).is_empty());
        assert!(s.put(3, vec![1, 2, 3, 4]).is_empty());
        assert_eq!(
            s.take_written(),
            [1],
            "each piece once, each call what is new"
        );
        assert_eq!(s.take_written(), [] as [u32; 0]);
    }
}
