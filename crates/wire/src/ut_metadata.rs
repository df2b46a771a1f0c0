//! BEP 9 `ut_metadata`: fetching the info dict from peers in 16 KiB pieces.
//!
//! A payload is a bencoded dict, for `data` followed by the raw piece bytes. The split point is
//! the end of the dict as the bencode decoder finds it ([`bencode::decode_prefix`]), not a search
//! for `ee` as some clients do.
//!
//! [`MetadataMessage::decode`] checks structure only (types, ranges, `total_size` within the
//! 10,000,000-byte cap WebTorrent enforces); [`MetadataMessage::validate`] checks a message
//! against the metadata size we learned from the extended handshake (piece index, piece length,
//! `total_size`). After assembling all pieces, the session must still verify
//! SHA-1(metadata) == info hash.

use bencode::{Dict, Value};

use crate::{error::ExtensionError, extended::saturating_i64};

/// Metadata piece size: 16 KiB (the last piece may be shorter).
pub const METADATA_PIECE_LEN: usize = 16 * 1024;

/// Largest metadata size accepted, as WebTorrent: 10,000,000 bytes.
pub const MAX_METADATA_SIZE: u64 = 10_000_000;

/// Number of metadata pieces for a metadata size: ⌈size / 16 KiB⌉ (saturating).
pub fn metadata_piece_count(size: u64) -> u32 {
    u32::try_from(size.div_ceil(METADATA_PIECE_LEN as u64)).unwrap_or(u32::MAX)
}

/// Length of metadata piece `piece` (16 KiB except the last), `None` if out of range.
pub fn metadata_piece_len(size: u64, piece: u32) -> Option<usize> {
    let start = u64::from(piece).checked_mul(METADATA_PIECE_LEN as u64)?;
    if start >= size {
        return None;
    }
    let len = (size - start).min(METADATA_PIECE_LEN as u64);
    usize::try_from(len).ok()
}

/// A `ut_metadata` message. `Data` borrows its piece bytes from the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataMessage<'a> {
    /// `msg_type` 0: please send piece `piece`.
    Request {
        /// Metadata piece index.
        piece: u32,
    },
    /// `msg_type` 1: piece `piece` of metadata that is `total_size` bytes long.
    Data {
        /// Metadata piece index.
        piece: u32,
        /// Size of the whole metadata in bytes.
        total_size: u64,
        /// The piece bytes (after the dict).
        data: &'a [u8],
    },
    /// `msg_type` 2: the sender will not send piece `piece`.
    Reject {
        /// Metadata piece index.
        piece: u32,
    },
}

impl<'a> MetadataMessage<'a> {
    /// The piece index the message is about.
    pub fn piece(&self) -> u32 {
        match *self {
            Self::Request { piece } | Self::Data { piece, .. } | Self::Reject { piece } => piece,
        }
    }

    /// Decodes a `ut_metadata` payload (the bytes after the extended message id). Bytes after
    /// the dict of a request or reject are ignored (BEP 9 gives them no meaning).
    pub fn decode(payload: &'a [u8]) -> Result<Self, ExtensionError> {
        let (value, used) = bencode::decode_prefix(payload, &bencode::Limits::small())?;
        let dict = value.as_dict().ok_or(ExtensionError::NotADict)?;
        let msg_type = dict
            .get(b"msg_type")
            .and_then(Value::as_int)
            .ok_or(ExtensionError::BadField { key: "msg_type" })?;
        let piece = dict
            .get(b"piece")
            .and_then(Value::as_int)
            .and_then(|p| u32::try_from(p).ok())
            .ok_or(ExtensionError::BadField { key: "piece" })?;
        match msg_type {
            0 => Ok(Self::Request { piece }),
            1 => {
                let total = dict
                    .get(b"total_size")
                    .and_then(Value::as_int)
                    .ok_or(ExtensionError::BadField { key: "total_size" })?;
                let total_size = u64::try_from(total)
                    .ok()
                    .filter(|&n| (1..=MAX_METADATA_SIZE).contains(&n))
                    .ok_or(ExtensionError::MetadataSizeOutOfRange(total))?;
                Ok(Self::Data {
                    piece,
                    total_size,
                    data: payload.get(used..).unwrap_or_default(),
                })
            }
            2 => Ok(Self::Reject { piece }),
            other => Err(ExtensionError::UnknownMsgType(other)),
        }
    }

    /// Checks the message against the metadata size we know (`metadata_size` from the extended
    /// handshake): piece index in range; for data, `total_size` equal to it and exactly 16 KiB
    /// of bytes (the remainder for the last piece).
    pub fn validate(&self, metadata_size: u64) -> Result<(), ExtensionError> {
        let piece = self.piece();
        let count = metadata_piece_count(metadata_size);
        let Some(expected) = metadata_piece_len(metadata_size, piece) else {
            return Err(ExtensionError::PieceOutOfRange { piece, count });
        };
        if let Self::Data {
            total_size, data, ..
        } = *self
        {
            if total_size != metadata_size {
                return Err(ExtensionError::TotalSizeMismatch {
                    expected: metadata_size,
                    got: total_size,
                });
            }
            if data.len() != expected {
                return Err(ExtensionError::PieceLength {
                    piece,
                    len: data.len(),
                    expected,
                });
            }
        }
        Ok(())
    }

    /// Appends the payload (canonical dict, then the piece bytes for data) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut dict = Dict::new();
        let msg_type = match self {
            Self::Request { .. } => 0,
            Self::Data { .. } => 1,
            Self::Reject { .. } => 2,
        };
        dict.insert(b"msg_type", Value::Int(msg_type));
        dict.insert(b"piece", Value::Int(i64::from(self.piece())));
        if let Self::Data { total_size, .. } = *self {
            dict.insert(b"total_size", Value::Int(saturating_i64(total_size)));
        }
        out.extend_from_slice(&bencode::encode(&Value::Dict(dict)));
        if let Self::Data { data, .. } = *self {
            out.extend_from_slice(data);
        }
    }

    /// The payload as a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn piece_math() {
        assert_eq!(metadata_piece_count(20555), 2);
        assert_eq!(metadata_piece_count(16384), 1);
        assert_eq!(metadata_piece_count(16385), 2);
        assert_eq!(metadata_piece_count(MAX_METADATA_SIZE), 611);
        assert_eq!(metadata_piece_len(20555, 0), Some(16384));
        assert_eq!(metadata_piece_len(20555, 1), Some(4171));
        assert_eq!(metadata_piece_len(20555, 2), None);
        assert_eq!(metadata_piece_len(16384, 1), None);
        assert_eq!(metadata_piece_len(0, 0), None);
        assert_eq!(metadata_piece_len(5, u32::MAX), None);
    }

    #[test]
    fn request_and_reject_bytes() {
        let req = MetadataMessage::Request { piece: 1 };
        assert_eq!(req.to_vec(), b"d8:msg_typei0e5:piecei1ee");
        assert_eq!(MetadataMessage::decode(&req.to_vec()), Ok(req));
        let rej = MetadataMessage::Reject { piece: 0 };
        assert_eq!(rej.to_vec(), b"d8:msg_typei2e5:piecei0ee");
        assert_eq!(
            MetadataMessage::decode(b"d8:msg_typei2e5:piecei0eeXYZ"),
            Ok(rej)
        );
    }

    #[test]
    fn data_splits_at_end_of_dict() {
        // Piece bytes that themselves look like bencode ("ee") must not confuse the split.
        let bytes = b"d8:msg_typei1e5:piecei1e10:total_sizei16390eeee123";
        let msg = MetadataMessage::decode(bytes).unwrap();
        assert_eq!(
            msg,
            MetadataMessage::Data {
                piece: 1,
                total_size: 16390,
                data: b"ee123"
            }
        );
        assert_eq!(msg.to_vec(), bytes);
        assert_eq!(
            msg.validate(16390),
            Err(ExtensionError::PieceLength {
                piece: 1,
                len: 5,
                expected: 6
            })
        );
        assert_eq!(
            msg.validate(16389),
            Err(ExtensionError::TotalSizeMismatch {
                expected: 16389,
                got: 16390
            })
        );
        assert_eq!(
            MetadataMessage::Request { piece: 2 }.validate(16390),
            Err(ExtensionError::PieceOutOfRange { piece: 2, count: 2 })
        );
        let ok = MetadataMessage::Data {
            piece: 1,
            total_size: 16390,
            data: b"abcdef",
        };
        assert_eq!(ok.validate(16390), Ok(()));
    }

    #[test]
    fn malformed_payloads() {
        let err = |b: &[u8]| MetadataMessage::decode(b).unwrap_err();
        assert_eq!(err(b"le"), ExtensionError::NotADict);
        assert_eq!(
            err(b"d5:piecei0ee"),
            ExtensionError::BadField { key: "msg_type" }
        );
        assert_eq!(
            err(b"d8:msg_typei0ee"),
            ExtensionError::BadField { key: "piece" }
        );
        assert_eq!(
            err(b"d8:msg_typei0e5:piecei-1ee"),
            ExtensionError::BadField { key: "piece" }
        );
        assert_eq!(
            err(b"d8:msg_typei1e5:piecei0ee"),
            ExtensionError::BadField { key: "total_size" }
        );
        assert_eq!(
            err(b"d8:msg_typei1e5:piecei0e10:total_sizei10000001ee"),
            ExtensionError::MetadataSizeOutOfRange(10_000_001)
        );
        assert_eq!(
            err(b"d8:msg_typei1e5:piecei0e10:total_sizei0ee"),
            ExtensionError::MetadataSizeOutOfRange(0)
        );
        assert_eq!(
            err(b"d8:msg_typei7e5:piecei0ee"),
            ExtensionError::UnknownMsgType(7)
        );
        assert!(matches!(err(b"d8:msg_type"), ExtensionError::Bencode(_)));
    }
}
