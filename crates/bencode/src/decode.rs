//! Decoding: bendy tokenizes, this module builds the tree and enforces the limits.
//!
//! # Why not just `bendy::decoding::Decoder::next_object`?
//!
//! 1. **Unsorted keys.** bendy 0.6 rejects a dict whose keys are not strictly increasing, and
//!    has no switch to turn that off. Real `.torrent` files (old or hand-rolled encoders)
//!    sometimes have keys out of order, and their info hash must still be the SHA-1 of the
//!    bytes as they are. So we run bendy as a *tokenizer* in "sessions": a session is a bendy
//!    decoder over `input[pos..]`. When bendy rejects a key at `pos` for being out of order,
//!    we keep our own stack of open containers, start a new session at that key, and go on.
//!    bendy reads the rest of the dict as a run of top-level values (it accepts a stream of
//!    those), and the `e` closing a container that was opened in an earlier session is
//!    recognised and applied by us (bendy reports it as an `e` at top level), after which a
//!    new session starts behind it. Each restart moves past at least one token, and restarts
//!    only happen on unsorted input, so canonical input is decoded in exactly one session.
//! 2. **Limits and offsets.** We need byte offsets for errors and for [`Dict::raw`], and
//!    depth/length/count limits checked before allocating. bendy's tokens borrow from the
//!    input, so each token's position follows from the slice it returns; `d`, `l` and `e`
//!    are one byte each.
//! 3. **Structure checks are ours.** Because a restarted session no longer knows it is inside
//!    a dict, this module checks dict structure itself (keys are strings, every key has a
//!    value, no duplicate keys), independent of which session saw the tokens.
//!
//! bendy still does all the lexing: integer syntax (no leading zeros, no `-0`), string
//! lengths, and truncation.

use bendy::{decoding::Decoder, state_tracker::Token};

use crate::{
    lex::{decimal_len, lex_int, lex_string, Lexed},
    DecodeError, Dict, Limits, Value,
};

/// Decodes exactly one value; anything after it is [`DecodeError::TrailingData`].
pub fn decode<'a>(input: &'a [u8], limits: &Limits) -> Result<Value<'a>, DecodeError> {
    let (value, used) = decode_prefix(input, limits)?;
    if used != input.len() {
        return Err(DecodeError::TrailingData { offset: used });
    }
    Ok(value)
}

/// Decodes one value from the start of `input` and returns it with the number of bytes it
/// took. The rest of the input is not looked at (BEP 9 puts raw bytes after a dict).
pub fn decode_prefix<'a>(
    input: &'a [u8],
    limits: &Limits,
) -> Result<(Value<'a>, usize), DecodeError> {
    if input.len() > limits.max_input_len {
        return Err(DecodeError::InputTooLarge {
            len: input.len(),
            max: limits.max_input_len,
        });
    }
    Builder {
        input,
        limits,
        pos: 0,
        items: 0,
        stack: Vec::new(),
    }
    .run()
}

/// A list or dict that has been opened but not closed yet.
enum Frame<'a> {
    List {
        items: Vec<Value<'a>>,
    },
    Dict {
        start: usize,
        dict: Dict<'a>,
        /// A key that is waiting for its value.
        key: Option<&'a [u8]>,
    },
}

struct Builder<'a, 'l> {
    input: &'a [u8],
    limits: &'l Limits,
    /// Offset of the next unread byte.
    pos: usize,
    items: usize,
    stack: Vec<Frame<'a>>,
}

/// What to do after a token was applied.
enum Step<'a> {
    More,
    Done(Value<'a>),
}

impl<'a> Builder<'a, '_> {
    fn run(mut self) -> Result<(Value<'a>, usize), DecodeError> {
        // bendy's own depth limit must never fire before ours, which has the better error.
        let bendy_depth = self.limits.max_depth.saturating_add(1);
        loop {
            let rest = self.input.get(self.pos..).unwrap_or_default();
            let mut tokens = Decoder::new(rest).with_max_depth(bendy_depth).tokens();
            // Containers opened in this session and still open; they are the innermost ones.
            let mut session_depth = 0usize;
            loop {
                match tokens.next() {
                    // bendy saw a clean end of input between values: ours is unfinished.
                    None => return Err(DecodeError::Truncated),
                    Some(Ok(token)) => {
                        match token {
                            Token::List | Token::Dict => session_depth += 1,
                            Token::End => session_depth = session_depth.saturating_sub(1),
                            Token::String(_) | Token::Num(_) => {}
                        }
                        if let Step::Done(value) = self.apply(token)? {
                            return Ok((value, self.pos));
                        }
                    }
                    Some(Err(_)) => {
                        let next = self.input.get(self.pos).copied();
                        if session_depth == 0 && next == Some(b'e') && !self.stack.is_empty() {
                            // Closes a container from an earlier session (see the module docs).
                            let start = self.pos;
                            self.pos += 1;
                            if let Step::Done(value) = self.close(start)? {
                                return Ok((value, self.pos));
                            }
                        } else if session_depth > 0 && self.expects_key() && self.string_at_pos() {
                            // A well-formed key that bendy refused: it is out of order. Our
                            // frame checks order and duplicates itself.
                        } else {
                            return Err(self.classify_failure());
                        }
                        break; // start a new session at `self.pos`
                    }
                }
            }
        }
    }

    /// Applies one token from bendy; `self.pos` is where it starts.
    fn apply(&mut self, token: Token<'a>) -> Result<Step<'a>, DecodeError> {
        let start = self.pos;
        match token {
            Token::End => {
                self.pos += 1;
                self.close(start)
            }
            Token::List | Token::Dict => {
                self.pos += 1;
                self.count_item()?;
                if self.expects_key() {
                    return Err(non_string_key(start));
                }
                if self.stack.len() >= self.limits.max_depth {
                    return Err(DecodeError::TooDeep {
                        offset: start,
                        max: self.limits.max_depth,
                    });
                }
                self.stack.push(if token == Token::List {
                    Frame::List { items: Vec::new() }
                } else {
                    Frame::Dict {
                        start,
                        dict: Dict::new(),
                        key: None,
                    }
                });
                Ok(Step::More)
            }
            Token::Num(digits) => {
                // bendy hands out `digits` from between `i` and `e`.
                self.pos = self.offset_of(digits.as_bytes()) + digits.len() + 1;
                self.count_item()?;
                if self.expects_key() {
                    return Err(non_string_key(start));
                }
                let n = digits
                    .parse::<i64>()
                    .map_err(|_| DecodeError::IntegerOverflow { offset: start })?;
                Ok(self.deliver(Value::Int(n)))
            }
            Token::String(bytes) => {
                self.pos = self.offset_of(bytes) + bytes.len();
                self.count_item()?;
                if bytes.len() > self.limits.max_string_len {
                    return Err(DecodeError::StringTooLong {
                        offset: start,
                        len: bytes.len(),
                        max: self.limits.max_string_len,
                    });
                }
                if let Some(Frame::Dict { dict, key, .. }) = self.stack.last_mut() {
                    if key.is_none() {
                        // Keys in a sorted run are checked here; unsorted dicts are checked for
                        // duplicates once complete (sorting then is O(n log n), not O(n²)).
                        if dict.is_sorted() && dict.last_key() == Some(bytes) {
                            return Err(DecodeError::DuplicateKey { offset: start });
                        }
                        *key = Some(bytes);
                        return Ok(Step::More);
                    }
                }
                Ok(self.deliver(Value::Bytes(bytes)))
            }
        }
    }

    /// Closes the innermost container at the `e` at `start`.
    fn close(&mut self, start: usize) -> Result<Step<'a>, DecodeError> {
        let value = match self.stack.pop() {
            None => {
                return Err(DecodeError::Malformed {
                    offset: start,
                    reason: "'e' without an open list or dict",
                })
            }
            Some(Frame::List { items, .. }) => Value::List(items),
            Some(Frame::Dict { key: Some(_), .. }) => {
                return Err(DecodeError::Malformed {
                    offset: start,
                    reason: "dict key without a value",
                })
            }
            Some(Frame::Dict {
                start: open,
                mut dict,
                key: None,
            }) => {
                if let Some(dup) = dict.find_duplicate() {
                    // Report the later occurrence: it is the one that breaks the dict.
                    let offset = dict
                        .iter()
                        .filter(|(k, _)| *k == dup)
                        .map(|(k, _)| self.offset_of(k))
                        .max()
                        .unwrap_or(open);
                    return Err(DecodeError::DuplicateKey {
                        offset: offset.saturating_sub(decimal_len(dup.len()) + 1),
                    });
                }
                dict.set_raw(&self.input[open..self.pos]);
                Value::Dict(dict)
            }
        };
        Ok(self.deliver(value))
    }

    /// Hands a finished value to its parent, or returns it if it is the top-level value.
    fn deliver(&mut self, value: Value<'a>) -> Step<'a> {
        match self.stack.last_mut() {
            None => Step::Done(value),
            Some(Frame::List { items, .. }) => {
                items.push(value);
                Step::More
            }
            Some(Frame::Dict { dict, key, .. }) => {
                // `apply` only delivers into a dict that holds a key (otherwise the token
                // was a key, or a non-string key error).
                if let Some(k) = key.take() {
                    dict.push_decoded(k, value);
                }
                Step::More
            }
        }
    }

    fn count_item(&mut self) -> Result<(), DecodeError> {
        self.items += 1;
        if self.items > self.limits.max_items {
            return Err(DecodeError::TooManyItems {
                max: self.limits.max_items,
            });
        }
        Ok(())
    }

    /// Whether the innermost container is a dict waiting for a key.
    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Dict { key: None, .. }))
    }

    /// Byte offset of a slice that bendy returned from `self.input`.
    fn offset_of(&self, part: &[u8]) -> usize {
        (part.as_ptr() as usize).saturating_sub(self.input.as_ptr() as usize)
    }

    /// Whether a complete, well-formed byte string starts at `self.pos`.
    fn string_at_pos(&self) -> bool {
        matches!(lex_string(self.input, self.pos), Lexed::Complete)
    }

    /// Turns a bendy error at `self.pos` into our error, by looking at the bytes there.
    fn classify_failure(&self) -> DecodeError {
        let offset = self.pos;
        let Some(&byte) = self.input.get(offset) else {
            return DecodeError::Truncated;
        };
        if byte == b'e' {
            return DecodeError::Malformed {
                offset,
                reason: match self.stack.last() {
                    Some(Frame::Dict { key: Some(_), .. }) => "dict key without a value",
                    _ => "'e' without an open list or dict",
                },
            };
        }
        if self.expects_key() && !byte.is_ascii_digit() {
            return non_string_key(offset);
        }
        let lexed = match byte {
            b'i' => lex_int(self.input, offset),
            b'0'..=b'9' => lex_string(self.input, offset),
            _ => {
                return DecodeError::Malformed {
                    offset,
                    reason: "expected a value: 'i', 'l', 'd' or a string length",
                }
            }
        };
        match lexed {
            Lexed::Truncated => DecodeError::Truncated,
            Lexed::Complete | Lexed::Invalid => DecodeError::Malformed {
                offset,
                reason: if byte == b'i' {
                    "invalid integer (expected i<digits>e, no leading zeros, no -0)"
                } else {
                    "invalid string length (expected <digits>:, no leading zeros)"
                },
            },
        }
    }
}

fn non_string_key(offset: usize) -> DecodeError {
    DecodeError::Malformed {
        offset,
        reason: "dict key is not a byte string",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn dec(input: &[u8]) -> Result<Value<'_>, DecodeError> {
        decode(input, &Limits::default())
    }

    #[test]
    fn decodes_scalars_lists_and_dicts() {
        assert_eq!(dec(b"i-42e"), Ok(Value::Int(-42)));
        assert_eq!(dec(b"i0e"), Ok(Value::Int(0)));
        assert_eq!(dec(b"0:"), Ok(Value::Bytes(b"")));
        assert_eq!(dec(b"4:spam"), Ok(Value::Bytes(b"spam")));
        assert_eq!(
            dec(b"li1e1:alee"),
            Ok(Value::List(vec![
                Value::Int(1),
                Value::Bytes(b"a"),
                Value::List(vec![])
            ]))
        );
        let input = b"d1:ad1:bi1ee1:cle1:dlee";
        let v = dec(input).unwrap();
        let d = v.as_dict().unwrap();
        assert_eq!(d.raw(), Some(&input[..]));
        let inner = d.get(b"a").unwrap().as_dict().unwrap();
        assert_eq!(inner.raw(), Some(&b"d1:bi1ee"[..]));
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn unsorted_keys_are_accepted_with_exact_raw_spans() {
        // Outer keys out of order, an inner dict out of order, then more outer keys.
        let input = b"d1:zi1e1:ad1:yi2e1:bi3ee1:ci4e1:bl1:xee";
        let v = dec(input).unwrap();
        let d = v.as_dict().unwrap();
        assert_eq!(d.raw(), Some(&input[..]));
        let keys: Vec<_> = d.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [&b"z"[..], b"a", b"c", b"b"]);
        let inner = d.get(b"a").unwrap().as_dict().unwrap();
        assert_eq!(inner.raw(), Some(&b"d1:yi2e1:bi3ee"[..]));
        assert_eq!(inner.get(b"b"), Some(&Value::Int(3)));
        assert_eq!(d.get(b"b").unwrap().as_list().unwrap().len(), 1);
        // Re-encoding sorts, and the result decodes to an equal value.
        let canonical = crate::encode(&v);
        assert_eq!(canonical, b"d1:ad1:bi3e1:yi2ee1:bl1:xe1:ci4e1:zi1ee");
        assert_eq!(dec(&canonical).unwrap(), v);
    }

    #[test]
    fn unsorted_nested_deeply_and_closing_many_levels() {
        let input = b"ld1:bd1:bi1e1:ai2ee1:ai3eee";
        let v = dec(input).unwrap();
        let outer = &v.as_list().unwrap()[0];
        assert_eq!(
            outer.as_dict().unwrap().raw(),
            Some(&input[1..input.len() - 1])
        );
        assert_eq!(
            decode_prefix(b"d1:bi1e1:ai2eeXYZ", &Limits::default())
                .unwrap()
                .1,
            14
        );
    }

    #[test]
    fn duplicate_keys_are_rejected_sorted_or_not() {
        assert_eq!(
            dec(b"d1:ai1e1:ai2ee"),
            Err(DecodeError::DuplicateKey { offset: 7 })
        );
        assert_eq!(
            dec(b"d1:bi1e1:ai2e1:bi3ee"),
            Err(DecodeError::DuplicateKey { offset: 13 })
        );
    }

    #[test]
    fn errors_name_what_went_wrong() {
        use DecodeError::*;
        assert_eq!(dec(b""), Err(Truncated));
        assert_eq!(dec(b"d3:foo"), Err(Truncated));
        assert_eq!(dec(b"l"), Err(Truncated));
        assert_eq!(dec(b"5:ab"), Err(Truncated));
        assert_eq!(dec(b"i12"), Err(Truncated));
        assert_eq!(dec(b"d1:bi1e1:a"), Err(Truncated));
        assert!(matches!(dec(b"i012e"), Err(Malformed { offset: 0, .. })));
        assert!(matches!(dec(b"i-0e"), Err(Malformed { offset: 0, .. })));
        assert!(matches!(dec(b"i12xe"), Err(Malformed { offset: 0, .. })));
        assert!(matches!(
            dec(b"li1e03:abce"),
            Err(Malformed { offset: 4, .. })
        ));
        assert!(matches!(dec(b"x"), Err(Malformed { offset: 0, .. })));
        assert!(matches!(dec(b"e"), Err(Malformed { offset: 0, .. })));
        assert!(matches!(dec(b"di1ei2ee"), Err(Malformed { offset: 1, .. })));
        assert!(matches!(dec(b"d1:ae"), Err(Malformed { offset: 4, .. })));
        // After a restart (unsorted keys) the structure checks still hold.
        assert!(matches!(
            dec(b"d1:bi1e1:ae"),
            Err(Malformed { offset: 10, .. })
        ));
        assert!(matches!(
            dec(b"d1:bi1e1:ai1eli1eee"),
            Err(Malformed { offset: 13, .. })
        ));
        assert_eq!(
            dec(b"i9223372036854775808e"),
            Err(IntegerOverflow { offset: 0 })
        );
        assert_eq!(dec(b"i-9223372036854775808e"), Ok(Value::Int(i64::MIN)));
        assert_eq!(dec(b"i1ei2e"), Err(TrailingData { offset: 3 }));
    }

    #[test]
    fn limits_are_enforced() {
        let tight = Limits {
            max_depth: 2,
            max_string_len: 3,
            max_items: 4,
            max_input_len: 10,
        };
        assert_eq!(
            decode(b"llleee", &tight),
            Err(DecodeError::TooDeep { offset: 2, max: 2 })
        );
        assert_eq!(
            decode(b"4:abcd", &tight),
            Err(DecodeError::StringTooLong {
                offset: 0,
                len: 4,
                max: 3
            })
        );
        assert_eq!(
            decode(
                b"li1ei2ei3ei4ee",
                &Limits {
                    max_input_len: 100,
                    ..tight
                }
            ),
            Err(DecodeError::TooManyItems { max: 4 })
        );
        assert_eq!(
            decode(b"li1ei2ei3ee", &tight),
            Err(DecodeError::InputTooLarge { len: 11, max: 10 })
        );
        // Deep nesting beyond bendy's own default (2048) is our error, not a crash.
        let deep = [vec![b'l'; 5000], vec![b'e'; 5000]].concat();
        assert_eq!(
            decode(&deep, &Limits::default()),
            Err(DecodeError::TooDeep {
                offset: 64,
                max: 64
            })
        );
    }

    #[test]
    fn prefix_reports_bytes_used_and_ignores_the_rest() {
        let msg = b"d8:msg_typei1e5:piecei0e10:total_sizei3eeabc";
        let (v, used) = decode_prefix(msg, &Limits::small()).unwrap();
        assert_eq!(&msg[used..], b"abc");
        assert_eq!(
            v.as_dict().unwrap().get(b"total_size"),
            Some(&Value::Int(3))
        );
        // Garbage after the value is not even looked at.
        assert_eq!(
            decode_prefix(b"i1e\xff\xff", &Limits::small()).unwrap().1,
            3
        );
    }
}
