//! Canonical encoding through bendy's encoder.

use bendy::encoding::{Encoder, Error, SingleItemEncoder, ToBencode};

use crate::Value;

/// Encodes `value` as canonical bencode: dict keys sorted bytewise, shortest integers.
///
/// A decoded dict that had unsorted keys comes out sorted, so hash the original bytes
/// ([`crate::Dict::raw`]), never a re-encoding, when an exact hash matters.
pub fn encode(value: &Value<'_>) -> Vec<u8> {
    // bendy's depth limit guards against runaway nesting while *producing* bencode; a value
    // we hold is already in memory, so allow whatever depth it has. (Encoding recurses once
    // per level, like dropping the value does; decoded values are bounded by
    // `Limits::max_depth`.)
    let mut encoder = Encoder::new().with_max_depth(usize::MAX);
    match encoder
        .emit(Canonical(value))
        .and_then(|()| encoder.get_output())
    {
        Ok(bytes) => bytes,
        // bendy only fails on unsorted/duplicate keys, depth, or a missing value. We sort,
        // `Dict` keeps keys unique, depth is unlimited and every arm emits: unreachable.
        Err(e) => unreachable!("bendy rejected a well-formed value: {e}"),
    }
}

/// Wrapper so that bendy's trait stays out of our public API.
struct Canonical<'v, 'a>(&'v Value<'a>);

impl ToBencode for Canonical<'_, '_> {
    // 0 = "statically unknown"; the encoder above sets the real limit.
    const MAX_DEPTH: usize = 0;

    fn encode(&self, e: SingleItemEncoder) -> Result<(), Error> {
        match self.0 {
            Value::Int(i) => e.emit_int(*i),
            Value::Bytes(b) => e.emit_bytes(b),
            Value::List(items) => {
                e.emit_list(|list| items.iter().try_for_each(|item| list.emit(Canonical(item))))
            }
            Value::Dict(dict) => e.emit_dict(|mut out| {
                dict.sorted_entries()
                    .into_iter()
                    .try_for_each(|(k, v)| out.emit_pair(k, Canonical(v)))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dict;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn encodes_canonically() {
        let mut d = Dict::new();
        d.insert(b"zz", Value::Int(-3));
        d.insert(b"a", Value::List(vec![Value::Bytes(b""), Value::Int(0)]));
        assert_eq!(encode(&Value::Dict(d)), b"d1:al0:i0ee2:zzi-3ee");
        assert_eq!(encode(&Value::Int(i64::MIN)), b"i-9223372036854775808e");
    }

    #[test]
    fn deep_values_encode() {
        // Encoding recurses once per level (as does dropping a `Value`); decoded values are
        // bounded by `Limits::max_depth`, so only hand-built values could go much deeper.
        let mut v = Value::List(vec![]);
        for _ in 0..300 {
            v = Value::List(vec![v]);
        }
        let bytes = encode(&v);
        assert_eq!(bytes.len(), 2 * 301);
    }
}
