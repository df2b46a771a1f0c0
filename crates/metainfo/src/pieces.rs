//! Piece math: where pieces are in the content and which files they cover.
//!
//! The content of a torrent is its files concatenated in order; piece `i` covers bytes
//! `[i * piece_length, min((i + 1) * piece_length, total_length))`. All functions here take
//! indices from the outside world, so out-of-range indices give empty answers, not panics.

use std::ops::Range;

use crate::Info;

/// The part of one file that lies inside one piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSlice {
    /// Index into [`Info::files`].
    pub file_index: usize,
    /// Where the slice starts inside the file.
    pub offset_in_file: u64,
    /// Where the slice starts inside the piece.
    pub offset_in_piece: u64,
    /// Length of the slice in bytes (never 0).
    pub len: u64,
}

impl Info {
    /// Number of pieces (validated to fit in `u32` when parsing).
    pub fn piece_count(&self) -> u32 {
        u32::try_from(self.pieces.len()).unwrap_or(u32::MAX)
    }

    /// Size of piece `index`: `piece_length`, except the last piece, which may be shorter.
    /// 0 for an index past the end.
    pub fn piece_size(&self, index: u32) -> u64 {
        let start = self.piece_offset(index);
        self.total_length
            .saturating_sub(start)
            .min(self.piece_length)
    }

    /// Offset of piece `index` in the content (`total_length` for an index past the end).
    pub fn piece_offset(&self, index: u32) -> u64 {
        u64::from(index)
            .saturating_mul(self.piece_length)
            .min(self.total_length)
    }

    /// The piece holding content byte `offset`, or `None` past the end.
    pub fn piece_for_offset(&self, offset: u64) -> Option<u32> {
        if offset >= self.total_length || self.piece_length == 0 {
            return None;
        }
        u32::try_from(offset / self.piece_length).ok()
    }

    /// The file slices making up piece `index`, in content order. A piece can span several
    /// files; zero-length files contain no bytes and never appear. Empty for an index past
    /// the end.
    pub fn file_slices(&self, index: u32) -> impl Iterator<Item = FileSlice> + '_ {
        let start = self.piece_offset(index);
        let end = start + self.piece_size(index);
        // Files are sorted by offset and their ends never decrease: binary search for the
        // first file that ends after the piece starts.
        let first = self.files.partition_point(|f| f.offset + f.length <= start);
        self.files
            .iter()
            .enumerate()
            .skip(first)
            .take_while(move |(_, f)| f.offset < end)
            .filter(|(_, f)| f.length > 0)
            .map(move |(file_index, f)| {
                let from = f.offset.max(start);
                let to = (f.offset + f.length).min(end);
                FileSlice {
                    file_index,
                    offset_in_file: from - f.offset,
                    offset_in_piece: from - start,
                    len: to - from,
                }
            })
    }

    /// The pieces that hold bytes of file `file_index` (those to download to play it).
    /// Empty for a zero-length file (positioned where the file sits) and for an index past
    /// the end.
    pub fn file_piece_range(&self, file_index: usize) -> Range<u32> {
        let Some(f) = self.files.get(file_index) else {
            return 0..0;
        };
        let first = self.piece_at_or_end(f.offset);
        if f.length == 0 {
            return first..first;
        }
        let last = self.piece_at_or_end(f.offset + f.length - 1);
        first..last.saturating_add(1)
    }

    fn piece_at_or_end(&self, offset: u64) -> u32 {
        self.piece_for_offset(offset)
            .unwrap_or_else(|| self.piece_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FileEntry, InfoHash};
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// An `Info` with the given file lengths (hashes are zero; piece math ignores them).
    pub(crate) fn info_with(lengths: &[u64], piece_length: u64) -> Info {
        let mut offset = 0;
        let files = lengths
            .iter()
            .enumerate()
            .map(|(i, &length)| {
                let f = FileEntry {
                    path: vec![format!("f{i}")],
                    length,
                    offset,
                };
                offset += length;
                f
            })
            .collect();
        let count = offset.div_ceil(piece_length) as usize;
        Info {
            info_hash: InfoHash::default(),
            name: "t".into(),
            piece_length,
            pieces: vec![[0; 20]; count],
            files,
            total_length: offset,
            private: false,
            single_file: lengths.len() == 1,
        }
    }

    #[test]
    fn pieces_span_file_boundaries() {
        // files: [0,5) [5,5) [5,12) [12,13); pieces of 4: [0,4) [4,8) [8,12) [12,13)
        let info = info_with(&[5, 0, 7, 1], 4);
        assert_eq!(info.piece_count(), 4);
        assert_eq!(
            (0..5).map(|i| info.piece_size(i)).collect::<Vec<_>>(),
            [4, 4, 4, 1, 0]
        );
        assert_eq!(info.piece_offset(3), 12);
        assert_eq!(info.piece_offset(99), 13);
        assert_eq!(info.piece_for_offset(7), Some(1));
        assert_eq!(info.piece_for_offset(13), None);
        let slices: Vec<_> = info.file_slices(1).collect();
        assert_eq!(
            slices,
            [
                FileSlice {
                    file_index: 0,
                    offset_in_file: 4,
                    offset_in_piece: 0,
                    len: 1
                },
                FileSlice {
                    file_index: 2,
                    offset_in_file: 0,
                    offset_in_piece: 1,
                    len: 3
                },
            ]
        );
        assert_eq!(info.file_slices(3).collect::<Vec<_>>().len(), 1);
        assert_eq!(info.file_slices(4).count(), 0);
        assert_eq!(info.file_piece_range(0), 0..2);
        assert_eq!(info.file_piece_range(1), 1..1);
        assert_eq!(info.file_piece_range(2), 1..3);
        assert_eq!(info.file_piece_range(3), 3..4);
        assert_eq!(info.file_piece_range(4), 0..0);
    }

    #[test]
    fn zero_length_files_at_the_ends_and_empty_torrents() {
        let info = info_with(&[0, 4, 0], 4);
        assert_eq!(info.file_piece_range(0), 0..0);
        assert_eq!(info.file_piece_range(2), 1..1);
        assert_eq!(
            info.file_slices(0)
                .map(|s| s.file_index)
                .collect::<Vec<_>>(),
            [1]
        );
        let empty = info_with(&[0], 16);
        assert_eq!(empty.piece_count(), 0);
        assert_eq!(empty.file_piece_range(0), 0..0);
        assert_eq!(empty.piece_size(0), 0);
        assert_eq!(empty.file_slices(0).count(), 0);
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod proptests {
    use proptest::prelude::*;

    use super::tests::info_with;

    proptest! {
        #[test]
        fn slices_tile_every_piece(
            lengths in proptest::collection::vec(prop_oneof![Just(0u64), 0u64..40], 1..8),
            piece_length in 1u64..17,
        ) {
            let info = info_with(&lengths, piece_length);
            let mut covered = 0u64;
            for p in 0..info.piece_count() {
                let mut at = 0;
                for s in info.file_slices(p) {
                    // Contiguous inside the piece, and consistent with the file's offset.
                    prop_assert_eq!(s.offset_in_piece, at);
                    prop_assert!(s.len > 0);
                    let f = &info.files[s.file_index];
                    prop_assert_eq!(f.offset + s.offset_in_file, info.piece_offset(p) + at);
                    prop_assert!(s.offset_in_file + s.len <= f.length);
                    prop_assert!(info.file_piece_range(s.file_index).contains(&p));
                    at += s.len;
                }
                prop_assert_eq!(at, info.piece_size(p));
                covered += at;
            }
            prop_assert_eq!(covered, info.total_length);
            for byte in 0..info.total_length {
                let p = info.piece_for_offset(byte).unwrap();
                prop_assert!(info.piece_offset(p) <= byte && byte < info.piece_offset(p) + info.piece_size(p));
            }
            for (i, f) in info.files.iter().enumerate() {
                let r = info.file_piece_range(i);
                let bytes: u64 = r.clone()
                    .flat_map(|p| info.file_slices(p))
                    .filter(|s| s.file_index == i)
                    .map(|s| s.len)
                    .sum();
                prop_assert_eq!(bytes, f.length);
            }
        }
    }
}
