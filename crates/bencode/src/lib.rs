//! Bencode with hard limits, on top of the [`bendy`] tokenizer.
//!
//! # What this crate promises
//!
//! * [`decode`] reads exactly one bencoded value from untrusted bytes and never panics. Depth,
//!   string length, item count and total input size are bounded by [`Limits`] before anything
//!   is allocated for them, so hostile input costs at most a small multiple of its own size.
//! * Decoding is zero-copy: byte strings in the returned [`Value`] borrow from the input, and
//!   every decoded [`Dict`] remembers the exact bytes it was decoded from ([`Dict::raw`]).
//!   That span is what a torrent's info hash is computed over.
//! * Decoding is lenient where real `.torrent` files are sloppy: dictionary keys out of order
//!   are accepted (see `decode.rs` for how), while duplicate keys, leading zeros and other
//!   ambiguous encodings are rejected.
//! * [`encode`] always writes canonical bencode (dictionary keys sorted bytewise), so
//!   `decode(encode(v)) == v` for every value.
//! * [`decode_prefix`] reads one value and reports how many bytes it used, for messages that
//!   carry raw bytes after a bencoded header (BEP 9 `ut_metadata` data messages).
//!
//! No I/O, no clock, no global state: the crate compiles for `wasm32-unknown-unknown` too.
//!
//! # Example
//!
//! ```
//! # use shoal_bencode as bencode;
//! use bencode::{decode, encode, Dict, Limits, Value};
//!
//! let input = b"d3:cow3:moo4:spaml4:eggsi42eee";
//! let value = decode(input, &Limits::default())?;
//! let dict = value.as_dict().expect("a dict");
//! assert_eq!(dict.get(b"cow").and_then(Value::as_str), Some("moo"));
//! assert_eq!(dict.raw(), Some(&input[..]));
//!
//! let mut built = Dict::new();
//! built.insert(b"spam", Value::List(vec![Value::Bytes(b"eggs"), Value::Int(42)]));
//! built.insert(b"cow", Value::Bytes(b"moo"));
//! assert_eq!(encode(&Value::Dict(built)), input);
//! # Ok::<(), bencode::DecodeError>(())
//! ```
#![warn(missing_docs)]

mod decode;
mod encode;
mod error;
mod lex;
mod limits;
mod value;

#[cfg(all(test, not(target_family = "wasm")))]
mod proptests;

pub use decode::{decode, decode_prefix};
pub use encode::encode;
pub use error::DecodeError;
pub use limits::Limits;
pub use value::{Dict, Value};

// Run the unit tests in headless Chromium when built for the browser.
#[cfg(all(test, target_family = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
