//! Parse arbitrary bytes as a torrent and as a bare info dict; on success, walk all the
//! piece math, which must agree with itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use metainfo::{Info, Metainfo};

fn exercise(info: &Info) {
    let mut covered = 0u64;
    for p in 0..info.piece_count() {
        let size = info.piece_size(p);
        let sum: u64 = info.file_slices(p).map(|s| s.len).sum();
        assert_eq!(sum, size, "slices of piece {p} do not add up");
        covered += size;
        let _ = info.piece_for_offset(info.piece_offset(p));
    }
    assert_eq!(covered, info.total_length);
    for i in 0..info.files.len() {
        let _ = info.file_piece_range(i);
    }
    let _ = info.file_slices(info.piece_count());
    let _ = info.file_piece_range(info.files.len());
}

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Metainfo::from_bytes(data) {
        assert_eq!(m.info_hash, m.info.info_hash);
        exercise(&m.info);
        let again = Info::from_bytes(&m.info_bytes).expect("the info bytes parsed once");
        assert_eq!(again, m.info);
    }
    if let Ok(info) = Info::from_bytes(data) {
        exercise(&info);
    }
});
