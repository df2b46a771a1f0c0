//! Parse arbitrary text as a magnet; on success, format → parse must give it back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use metainfo::{parse_source, Magnet};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(m) = Magnet::parse(text) {
        assert_eq!(Magnet::parse(&m.to_uri()), Ok(m));
    }
    if let Ok(m) = parse_source(text) {
        assert_eq!(Magnet::parse(&m.to_uri()), Ok(m));
    }
});
