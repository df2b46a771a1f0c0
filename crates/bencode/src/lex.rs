//! A tiny bencode scalar lexer of our own, used only to *explain* a failure that bendy
//! reported (bendy's error type does not say what went wrong in a form we can match on), and
//! to confirm that a dict key bendy refused is otherwise well-formed (so it was refused for
//! being out of order). The decoding itself is bendy's.

pub(crate) fn decimal_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// Result of looking at one scalar token ourselves (only used to explain a bendy error, or
/// to confirm that a key bendy refused is otherwise well-formed).
pub(crate) enum Lexed {
    Complete,
    Truncated,
    Invalid,
}

/// `i<digits>e` at `at`, with bendy's canonical-number rules.
pub(crate) fn lex_int(input: &[u8], at: usize) -> Lexed {
    let body = input.get(at + 1..).unwrap_or_default();
    let end = body
        .iter()
        .position(|b| !(b.is_ascii_digit() || *b == b'-'));
    match end {
        None => Lexed::Truncated,
        Some(n) if body[n] == b'e' && canonical_int(&body[..n]) => Lexed::Complete,
        Some(_) => Lexed::Invalid,
    }
}

/// `<len>:<bytes>` at `at`, with a canonical length and all bytes present.
pub(crate) fn lex_string(input: &[u8], at: usize) -> Lexed {
    let body = input.get(at..).unwrap_or_default();
    let Some(n) = body.iter().position(|b| !b.is_ascii_digit()) else {
        return Lexed::Truncated;
    };
    let digits = &body[..n];
    if body[n] != b':' || digits.is_empty() || (digits.len() > 1 && digits[0] == b'0') {
        return Lexed::Invalid;
    }
    let len = std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse::<usize>().ok());
    match len {
        None => Lexed::Invalid,
        Some(len) if body.len() - n > len => Lexed::Complete,
        Some(_) => Lexed::Truncated,
    }
}

fn canonical_int(digits: &[u8]) -> bool {
    let magnitude = digits.strip_prefix(b"-").unwrap_or(digits);
    !magnitude.is_empty()
        && magnitude.iter().all(u8::is_ascii_digit)
        && (magnitude == b"0" || magnitude[0] != b'0')
        && digits != b"-0"
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn scalars_are_complete_truncated_or_invalid() {
        assert!(matches!(lex_int(b"i-12e", 0), Lexed::Complete));
        assert!(matches!(lex_int(b"i-12", 0), Lexed::Truncated));
        assert!(matches!(lex_int(b"i-0e", 0), Lexed::Invalid));
        assert!(matches!(lex_int(b"i01e", 0), Lexed::Invalid));
        assert!(matches!(lex_string(b"xx3:abc", 2), Lexed::Complete));
        assert!(matches!(lex_string(b"3:ab", 0), Lexed::Truncated));
        assert!(matches!(lex_string(b"12", 0), Lexed::Truncated));
        assert!(matches!(lex_string(b"03:abc", 0), Lexed::Invalid));
        assert!(matches!(lex_string(b"3-abc", 0), Lexed::Invalid));
        assert_eq!((decimal_len(0), decimal_len(9), decimal_len(10)), (1, 1, 2));
    }
}
