//! Unit tests for message encoding and decoding.

use super::*;
use crate::{error::DecodeError, limits::Limits};
#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn decode_all(bytes: &[u8]) -> Result<(Message<'_>, usize), DecodeError> {
    Message::decode(bytes, &Limits::default())
}

#[test]
fn captured_webtorrent_messages() {
    let cases: [(&str, Message<'_>); 7] = [
        ("00000000", Message::KeepAlive),
        ("0000000102", Message::Interested),
        ("000000010f", Message::HaveNone),
        ("000000010e", Message::HaveAll),
        ("000000050400000002", Message::Have(2)),
        (
            "0000000d06000003ff0000000000004000",
            Message::Request(BlockInfo {
                index: 1023,
                begin: 0,
                length: 16384,
            }),
        ),
        ("0000000309c8d5", Message::Port(0xc8d5)),
    ];
    for (h, msg) in cases {
        let bytes = hex(h);
        assert_eq!(decode_all(&bytes), Ok((msg, bytes.len())), "{h}");
        assert_eq!(msg.to_vec(), bytes);
        assert_eq!(msg.encoded_len(), bytes.len());
    }
}

#[test]
fn piece_borrows_block_and_header_helper_matches() {
    let block = [9u8; 100];
    let msg = Message::Piece {
        index: 3,
        begin: 16384,
        block: &block,
    };
    let bytes = msg.to_vec();
    let mut header = Vec::new();
    encode_piece_header(3, 16384, 100, &mut header);
    assert_eq!(&bytes[..13], &header[..]);
    let (decoded, n) = decode_all(&bytes).unwrap();
    assert_eq!((decoded, n), (msg, 113));
    let Message::Piece { block: b, .. } = decoded else {
        panic!("not a piece")
    };
    // Borrowed, not copied.
    assert!(std::ptr::eq(b.as_ptr(), bytes[13..].as_ptr()));
}

#[test]
fn need_more_vs_malformed() {
    let bytes = Message::Have(7).to_vec();
    for cut in 0..bytes.len() {
        let err = decode_all(&bytes[..cut]).unwrap_err();
        assert_eq!(
            err,
            DecodeError::NeedMore {
                needed: if cut < 4 { 4 - cut } else { bytes.len() - cut }
            }
        );
    }
    // A have with a wrong length is malformed without waiting for its body.
    assert_eq!(
        decode_all(&hex("0000000604")),
        Err(WireError::BadLength {
            id: 4,
            len: 6,
            expected: 5
        }
        .into())
    );
    // A 4 GiB length is refused after the prefix alone.
    assert!(matches!(
        decode_all(&hex("ffffffff")),
        Err(DecodeError::Malformed(WireError::TooLong { id: None, .. }))
    ));
    // A 16 KiB + 1 block is refused after the 5-byte header.
    assert!(matches!(
        decode_all(&hex("0000400a07")),
        Err(DecodeError::Malformed(WireError::TooLong {
            id: Some(7),
            ..
        }))
    ));
    assert_eq!(
        decode_all(&hex("0000000807")),
        Err(WireError::TooShort { id: 7, len: 8 }.into())
    );
    assert_eq!(
        decode_all(&hex("0000000114")),
        Err(WireError::TooShort { id: 20, len: 1 }.into())
    );
}

#[test]
fn requests_over_128_kib_are_refused() {
    let ok = Message::Request(BlockInfo {
        index: 0,
        begin: 0,
        length: 128 * 1024,
    });
    assert!(decode_all(&ok.to_vec()).is_ok());
    let big = Message::Request(BlockInfo {
        index: 0,
        begin: 0,
        length: 128 * 1024 + 1,
    });
    assert_eq!(
        decode_all(&big.to_vec()),
        Err(WireError::RequestTooLarge {
            len: 131_073,
            max: 131_072
        }
        .into())
    );
    // Cancel (and reject) of a large block are not requests: not limited.
    let cancel = Message::Cancel(BlockInfo {
        index: 0,
        begin: 0,
        length: u32::MAX,
    });
    assert!(decode_all(&cancel.to_vec()).is_ok());
}

#[test]
fn unknown_ids_are_skipped_not_errors() {
    let bytes = hex("000000041503aabb");
    assert_eq!(
        decode_all(&bytes),
        Ok((Message::Unknown { id: 21, len: 3 }, 8))
    );
    assert_eq!(
        Message::Unknown { id: 21, len: 3 }.to_vec(),
        hex("0000000415000000")
    );
}

#[test]
fn fast_rules() {
    for id in [13, 14, 15, 16, 17] {
        assert!(is_fast_only(id));
    }
    for id in [0, 4, 5, 6, 7, 9, 12, 18, 20] {
        assert!(!is_fast_only(id));
    }
    assert_eq!(
        Message::HaveAll.check_negotiated(Reserved::NONE.with_extension_protocol(true)),
        Err(WireError::FastNotNegotiated { id: 14 })
    );
    assert_eq!(
        Message::HaveAll.check_negotiated(Reserved::WEBTORRENT),
        Ok(())
    );
    assert_eq!(Message::Have(1).check_negotiated(Reserved::NONE), Ok(()));
}
