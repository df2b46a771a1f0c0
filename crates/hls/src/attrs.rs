//! RFC 8216 §4.2 attribute lists: `NAME=value,NAME="quoted string",…`.

use crate::error::HlsError;

/// Most attributes read from one list (a Shoal tag has four or five).
const MAX_ATTRS: usize = 32;

/// The attributes of one tag, in order, values with their quotes removed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Attrs<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Attrs<'a> {
    /// Parses `text` (what follows the tag's colon).
    pub(crate) fn parse(text: &'a str) -> Result<Self, HlsError> {
        let mut pairs = Vec::new();
        let mut rest = text.trim();
        while !rest.is_empty() {
            if pairs.len() >= MAX_ATTRS {
                return Err(HlsError::BadAttributes("too many attributes"));
            }
            let eq = rest
                .find('=')
                .ok_or(HlsError::BadAttributes("a name without '='"))?;
            let name = rest[..eq].trim();
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(HlsError::BadAttributes(
                    "a name that is not A-Z, 0-9 and '-'",
                ));
            }
            let after = &rest[eq + 1..];
            let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
                let end = quoted
                    .find('"')
                    .ok_or(HlsError::BadAttributes("an unterminated quoted string"))?;
                (&quoted[..end], &quoted[end + 1..])
            } else {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim(), &after[end..])
            };
            pairs.push((name, value));
            let tail = tail.trim_start();
            rest = match tail.strip_prefix(',') {
                Some(t) => t.trim_start(),
                None if tail.is_empty() => tail,
                None => return Err(HlsError::BadAttributes("text after a value without ','")),
            };
        }
        Ok(Self { pairs })
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// The value of `name`, which must be there.
    pub(crate) fn need(&self, name: &'static str) -> Result<&'a str, HlsError> {
        self.get(name).ok_or(HlsError::Missing(name))
    }

    /// `name` as a decimal integer.
    pub(crate) fn need_u64(&self, name: &'static str) -> Result<u64, HlsError> {
        let v = self.need(name)?;
        if v.is_empty() || v.len() > 20 || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HlsError::Invalid(name, "not a decimal integer"));
        }
        v.parse()
            .map_err(|_| HlsError::Invalid(name, "too large an integer"))
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn quoted_and_plain_values() {
        let a = Attrs::parse(r#"VERSION=1,SWARM=ab12,TRACKERS="ws://a/x ws://b, y",X=2"#)
            .expect("valid list");
        assert_eq!(a.get("VERSION"), Some("1"));
        assert_eq!(a.get("TRACKERS"), Some("ws://a/x ws://b, y"));
        assert_eq!(a.need_u64("X"), Ok(2));
        assert_eq!(a.get("NOPE"), None);
    }

    #[test]
    fn malformed_lists_are_refused() {
        for bad in ["NOEQUALS", "A=\"open", "a=1", "A=\"x\"junk", "=1"] {
            assert!(Attrs::parse(bad).is_err(), "{bad}");
        }
        let many = (0..40)
            .map(|i| format!("A{i}=1"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(Attrs::parse(&many).is_err());
    }

    #[test]
    fn integers_are_bounded() {
        let a = Attrs::parse("N=99999999999999999999999,M=-1,K=1x").expect("valid list");
        assert!(a.need_u64("N").is_err());
        assert!(a.need_u64("M").is_err());
        assert!(a.need_u64("K").is_err());
        assert_eq!(a.need_u64("Z"), Err(HlsError::Missing("Z")));
    }
}
