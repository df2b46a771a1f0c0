//! Decoding one length-prefixed message from a borrowed slice.

use super::{id, BlockInfo, Message};
use crate::{
    error::{DecodeError, WireError},
    limits::Limits,
};

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    if let Some(s) = bytes.get(at..at + 4) {
        b.copy_from_slice(s);
    }
    u32::from_be_bytes(b)
}

impl<'a> Message<'a> {
    /// Decodes one message from the start of `buf`, returning it and the bytes consumed.
    ///
    /// The length prefix is checked against `limits` as soon as the prefix and id are present,
    /// before waiting for the payload, so a hostile length never makes anyone buffer for it.
    /// Fast-only ids are decoded regardless of negotiation; see
    /// [`check_negotiated`](Self::check_negotiated).
    pub fn decode(buf: &'a [u8], limits: &Limits) -> Result<(Self, usize), DecodeError> {
        let Some(prefix) = buf.get(..4) else {
            return Err(DecodeError::NeedMore {
                needed: 4 - buf.len(),
            });
        };
        let len = u32_at(prefix, 0);
        if len == 0 {
            return Ok((Self::KeepAlive, 4));
        }
        let Some(&msg_id) = buf.get(4) else {
            let max = limits.max_frame_len();
            if len > max {
                return Err(WireError::TooLong { id: None, len, max }.into());
            }
            // The whole frame is missing but for its prefix.
            return Err(DecodeError::NeedMore {
                needed: len as usize,
            });
        };
        check_len(msg_id, len, limits)?;
        let total = 4 + len as usize;
        let Some(frame) = buf.get(..total) else {
            return Err(DecodeError::NeedMore {
                needed: total - buf.len(),
            });
        };
        let payload = &frame[5..];
        let block = || BlockInfo {
            index: u32_at(payload, 0),
            begin: u32_at(payload, 4),
            length: u32_at(payload, 8),
        };
        let msg = match msg_id {
            id::CHOKE => Self::Choke,
            id::UNCHOKE => Self::Unchoke,
            id::INTERESTED => Self::Interested,
            id::NOT_INTERESTED => Self::NotInterested,
            id::HAVE => Self::Have(u32_at(payload, 0)),
            id::BITFIELD => Self::Bitfield(payload),
            id::REQUEST => {
                let b = block();
                if b.length > limits.max_request_len {
                    return Err(WireError::RequestTooLarge {
                        len: b.length,
                        max: limits.max_request_len,
                    }
                    .into());
                }
                Self::Request(b)
            }
            id::PIECE => Self::Piece {
                index: u32_at(payload, 0),
                begin: u32_at(payload, 4),
                block: &payload[8..],
            },
            id::CANCEL => Self::Cancel(block()),
            id::PORT => Self::Port(u16::from_be_bytes([payload[0], payload[1]])),
            id::SUGGEST => Self::Suggest(u32_at(payload, 0)),
            id::HAVE_ALL => Self::HaveAll,
            id::HAVE_NONE => Self::HaveNone,
            id::REJECT_REQUEST => Self::RejectRequest(block()),
            id::ALLOWED_FAST => Self::AllowedFast(u32_at(payload, 0)),
            id::EXTENDED => Self::Extended {
                id: payload[0],
                payload: &payload[1..],
            },
            other => Self::Unknown {
                id: other,
                len: len - 1,
            },
        };
        Ok((msg, total))
    }
}

/// Checks a length prefix against the message type and the limits.
fn check_len(msg_id: u8, len: u32, limits: &Limits) -> Result<(), WireError> {
    let max = limits.max_len_for(msg_id);
    let variable = matches!(msg_id, id::PIECE | id::BITFIELD | id::EXTENDED)
        || !matches!(msg_id, 0..=id::PORT | id::SUGGEST..=id::ALLOWED_FAST);
    if !variable {
        return if len == max {
            Ok(())
        } else {
            Err(WireError::BadLength {
                id: msg_id,
                len,
                expected: max,
            })
        };
    }
    if len > max {
        return Err(WireError::TooLong {
            id: Some(msg_id),
            len,
            max,
        });
    }
    let min = match msg_id {
        id::PIECE => 9,
        id::EXTENDED => 2,
        _ => 1,
    };
    if len < min {
        return Err(WireError::TooShort { id: msg_id, len });
    }
    Ok(())
}
