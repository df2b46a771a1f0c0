//! Decode arbitrary bytes; whatever decodes must survive an encode/decode round trip.
#![no_main]

use bencode::{decode, encode, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(value) = decode(data, &limits) {
        let canonical = encode(&value);
        let again = decode(&canonical, &limits).expect("canonical output must decode");
        assert_eq!(again, value, "round trip changed the value");
        // Canonical input re-encodes to itself.
        assert_eq!(encode(&again), canonical);
    }
    let _ = bencode::decode_prefix(data, &Limits::small());
});
