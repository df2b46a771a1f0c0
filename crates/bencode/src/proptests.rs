//! Property tests (native only: proptest does not run under wasm-bindgen-test).

use proptest::prelude::*;

use crate::{decode, decode_prefix, encode, Dict, Limits, Value};

/// Arbitrary values whose byte strings borrow from a leaked pool (tests only), so the
/// strategy can hand out `Value<'static>`.
fn arb_value() -> impl Strategy<Value = Value<'static>> {
    let bytes = proptest::collection::vec(any::<u8>(), 0..12)
        .prop_map(|v| &*Box::leak(v.into_boxed_slice()));
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::Int),
        bytes.clone().prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            proptest::collection::vec((bytes.clone(), inner), 0..6)
                .prop_map(|entries| Value::Dict(entries.into_iter().collect::<Dict>())),
        ]
    })
}

/// Fragments that glue together into almost-valid bencode, to reach deep decoder paths.
const NEAR_BENCODE: &[&[u8]] = &[
    b"d", b"l", b"e", b"i1e", b"i-0e", b"1:a", b"1:b", b"0:", b"3:", b"x",
];

proptest! {
    #[test]
    fn encode_then_decode_round_trips(v in arb_value()) {
        let bytes = encode(&v);
        let back = decode(&bytes, &Limits::default()).unwrap();
        prop_assert_eq!(&back, &v);
        // Canonical input re-encodes byte for byte, and top-level dicts span everything.
        prop_assert_eq!(encode(&back), bytes.clone());
        if let Value::Dict(d) = &back {
            prop_assert_eq!(d.raw(), Some(&bytes[..]));
        }
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes, &Limits::default());
        let _ = decode_prefix(&bytes, &Limits::small());
    }

    #[test]
    fn decode_never_panics_on_near_bencode(
        parts in proptest::collection::vec(proptest::sample::select(NEAR_BENCODE), 0..40)
    ) {
        let bytes = parts.concat();
        if let Ok((v, used)) = decode_prefix(&bytes, &Limits::default()) {
            // Whatever decodes re-encodes to something that decodes to the same value.
            prop_assert!(used <= bytes.len());
            let again = encode(&v);
            prop_assert_eq!(decode(&again, &Limits::default()).unwrap(), v);
        }
    }
}
