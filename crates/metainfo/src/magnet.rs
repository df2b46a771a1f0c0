//! Magnet URIs (BEP 9, with the parameters WebTorrent understands).

use std::{fmt, ops::RangeInclusive};

use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::{Id20, IdParseError, InfoHash};

/// Longest magnet accepted, in bytes. Real magnets are well under 4 KiB even with dozens of
/// trackers; the bound keeps a pasted novel from costing anything.
pub const MAX_MAGNET_LEN: usize = 64 * 1024;
/// Most entries kept per list parameter (`tr`, `ws`, `xs`, `x.pe`, ranges in `so`).
pub const MAX_MAGNET_LIST: usize = 256;

/// A parsed magnet link. `parse(m.to_uri()) == m` for every value `parse` can produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Magnet {
    /// `xt=urn:btih:` (40 hex or 32 base32 characters).
    pub info_hash: InfoHash,
    /// `dn`: a name to show until the metadata arrives.
    pub display_name: Option<String>,
    /// `tr`, in order, without repeats.
    pub trackers: Vec<String>,
    /// `ws` webseeds (BEP 19), in order, without repeats.
    pub webseeds: Vec<String>,
    /// `xl`: total size in bytes.
    pub exact_length: Option<u64>,
    /// `so` (BEP 53): the file indices to download, as inclusive ranges; empty means all.
    pub select_only: Vec<RangeInclusive<u32>>,
    /// `x.pe`: peer addresses (`host:port`), in order, without repeats.
    pub peers: Vec<String>,
    /// `xs` (BEP 9 "exact source"): where the .torrent itself can be downloaded, e.g. an
    /// `https://` URL; in order, without repeats. A magnet with webseeds but no peers needs
    /// one, since the metadata cannot come from a webseed.
    pub exact_sources: Vec<String>,
}

/// Why text is not a usable magnet link. The messages are meant for end users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MagnetError {
    /// Too long to be a real magnet.
    #[error("this magnet link is {len} characters long, more than the {max} allowed")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// [`MAX_MAGNET_LEN`].
        max: usize,
    },
    /// Not a `magnet:?` URI (and, for [`parse_source`], not a bare info hash either).
    #[error("not a magnet link: it must start with magnet:?")]
    NotAMagnet,
    /// No `xt=urn:btih:` parameter.
    #[error("the magnet has no xt=urn:btih: info hash")]
    NoInfoHash,
    /// The info hash has the wrong length.
    #[error("the info hash must be 40 hex or 32 base32 characters, this one has {0}")]
    InfoHashLength(usize),
    /// The info hash has characters outside its alphabet.
    #[error("the info hash has the right length but is not valid {0}")]
    InfoHashCharacters(&'static str),
    /// `xl` is not a byte count.
    #[error("the magnet's size (xl=) must be a whole number of bytes, not {0:?}")]
    InvalidLength(String),
    /// `so` is not a list of indices and ranges.
    #[error("the magnet's file selection (so=) must look like 0,2,4-6, not {0:?}")]
    InvalidSelection(String),
    /// Too many entries in one list parameter.
    #[error("the magnet lists more than {max} {what}")]
    TooMany {
        /// What was counted, e.g. `"trackers"`.
        what: &'static str,
        /// [`MAX_MAGNET_LIST`].
        max: usize,
    },
}

impl From<IdParseError> for MagnetError {
    fn from(e: IdParseError) -> Self {
        match e {
            IdParseError::Length(n) => Self::InfoHashLength(n),
            IdParseError::Alphabet(40, _) => Self::InfoHashCharacters("hex (0-9, a-f)"),
            IdParseError::Alphabet(..) => Self::InfoHashCharacters("base32 (A-Z, 2-7)"),
        }
    }
}

/// Characters left as they are in values: those `encodeURIComponent` keeps, so our links
/// look like the ones WebTorrent writes.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

impl Magnet {
    /// A magnet with only an info hash.
    pub fn new(info_hash: InfoHash) -> Self {
        Self {
            info_hash,
            display_name: None,
            trackers: Vec::new(),
            webseeds: Vec::new(),
            exact_length: None,
            select_only: Vec::new(),
            peers: Vec::new(),
            exact_sources: Vec::new(),
        }
    }

    /// Parses `magnet:?xt=urn:btih:…&dn=…&tr=…`.
    ///
    /// Values are percent-decoded (RFC 3986); in `dn` a `+` is a space, as in HTML form
    /// encoding. Unknown parameters are ignored; with several `xt`, the first `urn:btih:`
    /// one counts. Indexed keys such as `tr.1` count as `tr`.
    pub fn parse(uri: &str) -> Result<Self, MagnetError> {
        if uri.len() > MAX_MAGNET_LEN {
            return Err(MagnetError::TooLong {
                len: uri.len(),
                max: MAX_MAGNET_LEN,
            });
        }
        let query = uri
            .get(..8)
            .filter(|scheme| scheme.eq_ignore_ascii_case("magnet:?"))
            .map(|_| &uri[8..])
            .ok_or(MagnetError::NotAMagnet)?;

        let mut hash = None;
        let mut m = Self::new(InfoHash::default());
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(raw_value, false);
            match base_key(raw_key) {
                "xt" if hash.is_none() => {
                    if let Some(text) = strip_prefix_ignore_case(&value, "urn:btih:") {
                        hash = Some(Id20::from_text(text.trim())?);
                    }
                }
                "dn" => m.display_name = Some(decode(raw_value, true)),
                "tr" => push_unique(&mut m.trackers, value, "trackers")?,
                "ws" => push_unique(&mut m.webseeds, value, "webseeds")?,
                "x.pe" => push_unique(&mut m.peers, value, "peers")?,
                "xs" => push_unique(&mut m.exact_sources, value, "exact sources")?,
                "xl" => {
                    let n = value.trim().parse().ok();
                    m.exact_length = Some(n.ok_or(MagnetError::InvalidLength(value))?);
                }
                "so" => m.select_only = parse_selection(&value)?,
                _ => {}
            }
        }
        m.info_hash = hash.ok_or(MagnetError::NoInfoHash)?;
        Ok(m)
    }

    /// Formats as `magnet:?xt=urn:btih:<hex>&dn=…&xl=…&tr=…&ws=…&xs=…&so=…&x.pe=…`, every
    /// value percent-encoded.
    pub fn to_uri(&self) -> String {
        self.to_string()
    }

    /// Whether file `index` is wanted: listed in `so`, or `so` is absent.
    pub fn is_selected(&self, index: u32) -> bool {
        self.select_only.is_empty() || self.select_only.iter().any(|r| r.contains(&index))
    }
}

impl fmt::Display for Magnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "magnet:?xt=urn:btih:{}", self.info_hash.to_hex())?;
        let enc = |s: &str| utf8_percent_encode(s, VALUE).to_string();
        if let Some(dn) = &self.display_name {
            write!(f, "&dn={}", enc(dn))?;
        }
        if let Some(xl) = self.exact_length {
            write!(f, "&xl={xl}")?;
        }
        for tr in &self.trackers {
            write!(f, "&tr={}", enc(tr))?;
        }
        for ws in &self.webseeds {
            write!(f, "&ws={}", enc(ws))?;
        }
        for xs in &self.exact_sources {
            write!(f, "&xs={}", enc(xs))?;
        }
        if !self.select_only.is_empty() {
            let parts: Vec<String> = self
                .select_only
                .iter()
                .map(|r| match (r.start(), r.end()) {
                    (a, b) if a == b => a.to_string(),
                    (a, b) => format!("{a}-{b}"),
                })
                .collect();
            write!(f, "&so={}", parts.join(","))?;
        }
        for pe in &self.peers {
            write!(f, "&x.pe={}", enc(pe))?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Magnet {
    type Err = MagnetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// What the app's "open" box accepts: a magnet link, or a bare info hash (40 hex or 32
/// base32 characters). Surrounding whitespace is ignored.
pub fn parse_source(text: &str) -> Result<Magnet, MagnetError> {
    let text = text.trim();
    // `get`, not indexing: byte 7 may fall inside a multi-byte character (found by fuzzing).
    if text
        .get(..7)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("magnet:"))
    {
        return Magnet::parse(text);
    }
    // Something hash-like (only letters and digits, roughly the right size) gets the
    // precise hash error; anything else is simply not a magnet.
    let hash_like =
        (16..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric());
    if !hash_like {
        return Err(MagnetError::NotAMagnet);
    }
    Ok(Magnet::new(Id20::from_text(text)?))
}

/// `tr.1` → `tr`: some writers number repeated keys.
fn base_key(key: &str) -> &str {
    match key.rsplit_once('.') {
        Some((base, n))
            if base != "x" && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => key,
    }
}

fn decode(raw: &str, plus_is_space: bool) -> String {
    let bytes = if plus_is_space {
        percent_decode(raw.replace('+', " ").as_bytes()).collect::<Vec<u8>>()
    } else {
        percent_decode(raw.as_bytes()).collect()
    };
    String::from_utf8_lossy(&bytes).into_owned()
}

fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn push_unique(
    list: &mut Vec<String>,
    value: String,
    what: &'static str,
) -> Result<(), MagnetError> {
    if value.is_empty() || list.contains(&value) {
        return Ok(());
    }
    if list.len() >= MAX_MAGNET_LIST {
        return Err(MagnetError::TooMany {
            what,
            max: MAX_MAGNET_LIST,
        });
    }
    list.push(value);
    Ok(())
}

/// `0,2,4-6` → `[0..=0, 2..=2, 4..=6]`.
fn parse_selection(text: &str) -> Result<Vec<RangeInclusive<u32>>, MagnetError> {
    let invalid = || MagnetError::InvalidSelection(text.to_owned());
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if out.len() >= MAX_MAGNET_LIST {
            return Err(MagnetError::TooMany {
                what: "file selections",
                max: MAX_MAGNET_LIST,
            });
        }
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b): (u32, u32) = (
            a.trim().parse().map_err(|_| invalid())?,
            b.trim().parse().map_err(|_| invalid())?,
        );
        if a > b {
            return Err(invalid());
        }
        out.push(a..=b);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const HEX: &str = "0fbed86651b49c8dd6b4ee9db88e0ff8c73b35a0";

    #[test]
    fn parses_every_field() {
        let uri = format!(
            "magnet:?xt=urn:btih:{}&dn=Big+Buck%20Bunny%2B&tr=wss%3A%2F%2Ft1&tr=wss://t2\
             &tr.1=wss%3A%2F%2Ft1&ws=https%3A%2F%2Fseed%2Fa%20b&xl=1024&so=0,2,4-6&x.pe=1.2.3.4:5\
             &xs=https%3A%2F%2Fseed%2Fa.torrent&xs.1=https://seed/a.torrent&unknown=1",
            HEX.to_uppercase()
        );
        let m = Magnet::parse(&uri).unwrap();
        assert_eq!(m.info_hash.to_hex(), HEX);
        assert_eq!(m.display_name.as_deref(), Some("Big Buck Bunny+"));
        assert_eq!(m.trackers, ["wss://t1", "wss://t2"]);
        assert_eq!(m.webseeds, ["https://seed/a b"]);
        assert_eq!(m.exact_length, Some(1024));
        assert_eq!(m.select_only, [0..=0, 2..=2, 4..=6]);
        assert_eq!(m.peers, ["1.2.3.4:5"]);
        assert_eq!(m.exact_sources, ["https://seed/a.torrent"]);
        assert!(m.is_selected(5) && !m.is_selected(3));
        assert_eq!(Magnet::parse(&m.to_uri()), Ok(m.clone()));
        assert!(m.to_uri().starts_with(&format!(
            "magnet:?xt=urn:btih:{HEX}&dn=Big%20Buck%20Bunny%2B"
        )));
    }

    #[test]
    fn base32_and_multiple_xt() {
        let id: Id20 = HEX.parse().unwrap();
        let uri = format!(
            "MAGNET:?xt=urn:btmh:1220abcd&xt=urn:btih:{}&xt=urn:btih:{}",
            id.to_base32().to_lowercase(),
            "f".repeat(40)
        );
        assert_eq!(Magnet::parse(&uri).unwrap().info_hash, id);
    }

    #[test]
    fn multi_byte_characters_near_the_scheme_are_not_a_panic() {
        // The fuzzer's find: 'ȿ' straddles byte 7, where the scheme check used to slice.
        let input = "d2474e\u{23f}c95b19b8bcfdb92bc12c9d44667cfa36";
        assert!(matches!(
            parse_source(input),
            Err(MagnetError::NotAMagnet
                | MagnetError::InfoHashCharacters(_)
                | MagnetError::InfoHashLength(_))
        ));
        assert!(parse_source("magnet\u{e9}?xt").is_err());
    }

    #[test]
    fn errors_read_well() {
        let e = |s: &str| Magnet::parse(s).unwrap_err().to_string();
        assert_eq!(
            e("http://x"),
            "not a magnet link: it must start with magnet:?"
        );
        assert_eq!(
            e("magnet:?dn=x"),
            "the magnet has no xt=urn:btih: info hash"
        );
        assert_eq!(
            e(&format!("magnet:?xt=urn:btih:{}", &HEX[1..])),
            "the info hash must be 40 hex or 32 base32 characters, this one has 39"
        );
        assert!(e(&format!("magnet:?xt=urn:btih:{}", "z".repeat(40))).contains("hex"));
        assert!(e(&format!("magnet:?xt=urn:btih:{HEX}&xl=big")).contains("xl="));
        assert!(e(&format!("magnet:?xt=urn:btih:{HEX}&so=3-1")).contains("so="));
        assert!(e(&format!("magnet:?xt=urn:btih:{HEX}&so=a")).contains("so="));
        let long = format!(
            "magnet:?xt=urn:btih:{HEX}&dn={}",
            "a".repeat(MAX_MAGNET_LEN)
        );
        assert!(matches!(
            Magnet::parse(&long),
            Err(MagnetError::TooLong { .. })
        ));
        let many: String = (0..=MAX_MAGNET_LIST)
            .map(|i| format!("&tr=wss://t{i}"))
            .collect();
        assert_eq!(
            Magnet::parse(&format!("magnet:?xt=urn:btih:{HEX}{many}")),
            Err(MagnetError::TooMany {
                what: "trackers",
                max: MAX_MAGNET_LIST
            })
        );
    }

    #[test]
    fn source_box_takes_magnets_and_bare_hashes() {
        let id: Id20 = HEX.parse().unwrap();
        assert_eq!(
            parse_source(&format!("  {HEX}\n")).unwrap(),
            Magnet::new(id)
        );
        assert_eq!(parse_source(&id.to_base32()).unwrap().info_hash, id);
        assert_eq!(
            parse_source(&format!(" magnet:?xt=urn:btih:{HEX} "))
                .unwrap()
                .info_hash,
            id
        );
        assert_eq!(
            parse_source(&HEX[..39]),
            Err(MagnetError::InfoHashLength(39))
        );
        assert_eq!(parse_source("hello world"), Err(MagnetError::NotAMagnet));
        assert_eq!(parse_source(""), Err(MagnetError::NotAMagnet));
        assert_eq!(parse_source("magnet:"), Err(MagnetError::NotAMagnet));
    }

    #[test]
    fn format_is_minimal_and_stable() {
        let m = Magnet::new(HEX.parse().unwrap());
        assert_eq!(m.to_uri(), format!("magnet:?xt=urn:btih:{HEX}"));
        assert_eq!(m.to_string().parse::<Magnet>(), Ok(m));
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    fn arb_text() -> impl Strategy<Value = String> {
        // Everything that could trip the encoder: separators, '+', '%', spaces, non-ASCII.
        proptest::string::string_regex("[a-zA-Z0-9 +%&=?#/:;,.~\u{e9}\u{1f600}-]{0,12}")
            .expect("a valid regex")
    }

    fn arb_magnet() -> impl Strategy<Value = Magnet> {
        let list = || {
            proptest::collection::vec(arb_text(), 0..4).prop_map(|mut v| {
                v.retain(|s| !s.is_empty());
                let mut seen = Vec::new();
                v.retain(|s| {
                    let fresh = !seen.contains(s);
                    seen.push(s.clone());
                    fresh
                });
                v
            })
        };
        (
            any::<[u8; 20]>(),
            proptest::option::of(arb_text()),
            list(),
            list(),
            proptest::option::of(any::<u64>()),
            proptest::collection::vec((0u32..50, 0u32..5), 0..4),
            list(),
            list(),
        )
            .prop_map(|(hash, dn, tr, ws, xl, so, pe, xs)| Magnet {
                info_hash: Id20(hash),
                display_name: dn,
                trackers: tr,
                webseeds: ws,
                exact_length: xl,
                select_only: so.into_iter().map(|(a, n)| a..=a + n).collect(),
                peers: pe,
                exact_sources: xs,
            })
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(m in arb_magnet()) {
            prop_assert_eq!(Magnet::parse(&m.to_uri()), Ok(m));
        }

        #[test]
        fn parse_never_panics(s in "magnet:\\?[ -~]{0,80}") {
            if let Ok(m) = Magnet::parse(&s) {
                prop_assert_eq!(Magnet::parse(&m.to_uri()), Ok(m));
            }
            let _ = parse_source(&s);
        }
    }
}
