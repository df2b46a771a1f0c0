//! A whole `.torrent` file: the info dict plus trackers, webseeds and descriptive fields.

use bencode::{Dict, Limits, Value};

use crate::{
    info::{int, preferred_text},
    Info, InfoHash, MetainfoError,
};

/// Most trackers (over all tiers) and webseeds kept from one torrent; the rest are dropped.
/// Nobody needs more, and each one may cost a connection.
pub const MAX_URLS: usize = 256;

/// A parsed, validated v1 `.torrent` file. Owns its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metainfo {
    /// SHA-1 of the exact `info` bytes in the file (also `info.info_hash`).
    pub info_hash: InfoHash,
    /// The exact bytes of the `info` dict, as they appear in the file (what BEP 9 serves).
    pub info_bytes: Vec<u8>,
    /// The validated info dict.
    pub info: Info,
    /// Tracker tiers (BEP 12): `announce-list` if it has any URL, else `[[announce]]`.
    /// Empty tiers and repeated URLs (across all tiers) are dropped, first occurrence wins.
    pub announce: Vec<Vec<String>>,
    /// Webseeds (BEP 19 `url-list`, a string or a list), deduplicated.
    pub url_list: Vec<String>,
    /// `comment` (`comment.utf-8` preferred).
    pub comment: Option<String>,
    /// `created by`.
    pub created_by: Option<String>,
    /// `creation date`, seconds since the Unix epoch.
    pub creation_date: Option<i64>,
}

impl Metainfo {
    /// Parses and validates a `.torrent` file.
    ///
    /// Unknown keys are ignored, dict keys may be out of order, and the info hash is always
    /// over the `info` bytes exactly as they appear in `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MetainfoError> {
        let value = bencode::decode(bytes, &Limits::default())?;
        let top = value.as_dict().ok_or(MetainfoError::WrongType {
            field: "torrent",
            expected: "a dictionary",
        })?;
        let info_dict = top
            .get(b"info")
            .ok_or(MetainfoError::Missing { field: "info" })?
            .as_dict()
            .ok_or(MetainfoError::WrongType {
                field: "info",
                expected: "a dictionary",
            })?;
        // A decoded dict always knows its span; the fallback only keeps this total.
        let info_bytes = info_dict.raw().unwrap_or_default();
        let info = Info::from_dict(info_dict, info_bytes)?;
        Ok(Self {
            info_hash: info.info_hash,
            info_bytes: info_bytes.to_vec(),
            info,
            announce: announce_tiers(top),
            url_list: url_list(top),
            comment: preferred_text(top, b"comment.utf-8", b"comment", "comment")?,
            created_by: preferred_text(top, b"created by.utf-8", b"created by", "created by")?,
            creation_date: int(top, b"creation date", "creation date")?,
        })
    }
}

/// Trackers are advisory: malformed entries are skipped rather than failing the torrent.
fn announce_tiers(top: &Dict<'_>) -> Vec<Vec<String>> {
    let mut seen = Vec::new();
    let mut keep = |url: &Value<'_>| -> Option<String> {
        let url = url.as_str()?.trim();
        if url.is_empty() || seen.len() >= MAX_URLS || seen.iter().any(|s| s == url) {
            return None;
        }
        seen.push(url.to_owned());
        Some(url.to_owned())
    };
    let mut tiers: Vec<Vec<String>> = Vec::new();
    if let Some(list) = top.get(b"announce-list").and_then(Value::as_list) {
        for tier in list {
            // Some encoders write a flat list of URLs instead of a list of tiers.
            let urls: Vec<String> = match tier {
                Value::List(urls) => urls.iter().filter_map(&mut keep).collect(),
                other => keep(other).into_iter().collect(),
            };
            if !urls.is_empty() {
                tiers.push(urls);
            }
        }
    }
    // BEP 12: `announce` only counts when there is no usable `announce-list`.
    if tiers.is_empty() {
        if let Some(url) = top.get(b"announce").and_then(&mut keep) {
            tiers.push(vec![url]);
        }
    }
    tiers
}

fn url_list(top: &Dict<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: &Value<'_>| {
        if let Some(url) = v.as_str().map(str::trim) {
            if !url.is_empty() && out.len() < MAX_URLS && !out.iter().any(|u| u == url) {
                out.push(url.to_owned());
            }
        }
    };
    match top.get(b"url-list") {
        Some(Value::List(urls)) => urls.iter().for_each(&mut add),
        Some(single) => add(single),
        None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TorrentBuilder;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sha1(b: &[u8]) -> [u8; 20] {
        sha1_smol::Sha1::from(b).digest().bytes()
    }

    /// A hand-written torrent with keys out of order and unknown keys inside `info`.
    fn sloppy_torrent() -> (Vec<u8>, Vec<u8>) {
        let pieces = [sha1(b"hello"), sha1(b" worl"), sha1(b"d")].concat();
        let info = [
            &b"d4:name9:hello.txt12:piece lengthi5e6:lengthi11e"[..],
            b"7:x-extra3:abc6:pieces60:",
            &pieces,
            b"7:privatei1ee",
        ]
        .concat();
        let torrent = [
            &b"d8:announce14:wss://a.test/x4:info"[..],
            &info,
            b"7:comment2:hi13:creation datei1700000000ee",
        ]
        .concat();
        (torrent, info)
    }

    #[test]
    fn info_hash_is_over_the_exact_raw_bytes_even_when_unsorted() {
        let (torrent, info) = sloppy_torrent();
        let m = Metainfo::from_bytes(&torrent).unwrap();
        assert_eq!(m.info_bytes, info);
        assert_eq!(m.info_hash.0, sha1(&info));
        assert_eq!(m.info.info_hash, m.info_hash);
        assert_eq!(m.info.name, "hello.txt");
        assert!(m.info.private && m.info.single_file);
        assert_eq!(m.info.total_length, 11);
        assert_eq!(m.announce, [["wss://a.test/x"]]);
        assert_eq!(m.comment.as_deref(), Some("hi"));
        assert_eq!(m.creation_date, Some(1_700_000_000));
        // The bare info dict (as ut_metadata delivers it) gives the same Info.
        assert_eq!(Info::from_bytes(&info).unwrap(), m.info);
        // A re-encoding would sort the keys and change the hash: we must not do that.
        let reencoded = bencode::encode(&bencode::decode(&info, &Limits::default()).unwrap());
        assert_ne!(sha1(&reencoded), m.info_hash.0);
    }

    #[test]
    fn single_and_multi_file_torrents_built_here_parse_back() {
        let mut b = TorrentBuilder::new("one.bin", vec![(vec!["one.bin".into()], 3)], 16384);
        b.update(b"abc");
        let m = Metainfo::from_bytes(&b.finish().unwrap()).unwrap();
        assert!(m.info.single_file);
        assert_eq!(m.info.files[0].path, ["one.bin"]);
        assert_eq!(m.info.pieces, [sha1(b"abc")]);

        let files = vec![
            (vec!["a".into(), "x.txt".into()], 4),
            (vec!["empty".into()], 0),
            (vec!["b.txt".into()], 3),
        ];
        let mut b = TorrentBuilder::new("dir", files, 16384);
        b.update(b"abcd");
        b.update(b"efg");
        let m = Metainfo::from_bytes(&b.finish().unwrap()).unwrap();
        assert!(!m.info.single_file);
        let offsets: Vec<_> = m.info.files.iter().map(|f| (f.offset, f.length)).collect();
        assert_eq!(offsets, [(0, 4), (4, 0), (4, 3)]);
        assert_eq!(m.info.pieces, [sha1(b"abcdefg")]);
        assert_eq!(m.info.files[0].path, ["a", "x.txt"]);
    }

    #[test]
    fn announce_list_tiers_are_deduplicated_and_override_announce() {
        let mut b = TorrentBuilder::new("f", vec![(vec!["f".into()], 0)], 16384);
        b = b.announce(vec![
            vec!["wss://a".into(), "wss://b".into()],
            vec!["wss://a".into()],
            vec![],
            vec!["udp://c".into(), "wss://b".into()],
        ]);
        let m = Metainfo::from_bytes(&b.finish().unwrap()).unwrap();
        assert_eq!(
            m.announce,
            vec![vec!["wss://a", "wss://b"], vec!["udp://c"]]
        );

        // `announce` alone becomes one tier; with a usable announce-list it is ignored.
        let t = |extra: &str| {
            format!("d8:announce8:wss://z1{extra}4:infod6:lengthi0e4:name1:f12:piece lengthi1e6:pieces0:ee")
        };
        let m = Metainfo::from_bytes(t("").as_bytes()).unwrap();
        assert_eq!(m.announce, [["wss://z1"]]);
        let m = Metainfo::from_bytes(t("13:announce-listll7:wss://yee").as_bytes()).unwrap();
        assert_eq!(m.announce, [["wss://y"]]);
        // A flat announce-list (a known encoder bug) still yields its URLs.
        let m = Metainfo::from_bytes(t("13:announce-listl7:wss://ye").as_bytes()).unwrap();
        assert_eq!(m.announce, [["wss://y"]]);
    }

    #[test]
    fn url_list_may_be_a_string_or_a_list() {
        let t = |ul: &str| {
            format!("d4:infod6:lengthi0e4:name1:f12:piece lengthi1e6:pieces0:e8:url-list{ul}e")
        };
        let m = Metainfo::from_bytes(t("12:https://w/f1").as_bytes()).unwrap();
        assert_eq!(m.url_list, ["https://w/f1"]);
        let m = Metainfo::from_bytes(t("l4:http4:http0:6:https:e").as_bytes()).unwrap();
        assert_eq!(m.url_list, ["http", "https:"]);
        let m = Metainfo::from_bytes(t("i3e").as_bytes()).unwrap();
        assert!(m.url_list.is_empty());
    }

    #[test]
    fn malformed_torrents_name_the_field() {
        use MetainfoError::*;
        let info = |body: &str| format!("d4:infod{body}ee");
        let check = |body: &str| Metainfo::from_bytes(info(body).as_bytes()).unwrap_err();
        assert!(matches!(Metainfo::from_bytes(b"d4:info"), Err(Bencode(_))));
        assert_eq!(
            Metainfo::from_bytes(b"le").unwrap_err(),
            WrongType {
                field: "torrent",
                expected: "a dictionary"
            }
        );
        assert_eq!(
            Metainfo::from_bytes(b"de").unwrap_err(),
            Missing { field: "info" }
        );
        assert_eq!(check("6:lengthi0e"), Missing { field: "name" });
        assert_eq!(
            check("4:name1:f"),
            Missing {
                field: "piece length"
            }
        );
        assert!(matches!(
            check("4:name1:f12:piece lengthi0e"),
            Invalid {
                field: "piece length",
                ..
            }
        ));
        assert!(matches!(
            check("4:name1:f12:piece lengthi1e6:pieces3:abc"),
            Invalid {
                field: "pieces",
                ..
            }
        ));
        assert_eq!(
            check("4:name1:f12:piece lengthi1e6:pieces0:"),
            Missing { field: "length" }
        );
        assert_eq!(
            check("6:lengthi2e4:name1:f12:piece lengthi1e6:pieces0:"),
            PieceCount {
                expected: 2,
                actual: 0,
                total_length: 2,
                piece_length: 1
            }
        );
        assert!(matches!(
            check("4:name2:..12:piece lengthi1e6:pieces0:"),
            Invalid { field: "name", .. }
        ));
        let files = |path: &str| {
            check(&format!(
                "5:filesld6:lengthi0e4:pathl{path}eee4:name1:f12:piece lengthi1e6:pieces0:"
            ))
        };
        assert!(matches!(files("2:.."), InvalidFile { index: 0, .. }));
        assert!(matches!(files("3:a/b"), InvalidFile { index: 0, .. }));
        assert!(matches!(files("0:"), InvalidFile { index: 0, .. }));
        assert!(matches!(files(""), InvalidFile { index: 0, .. }));
        assert!(matches!(
            check("5:filesle4:name1:f12:piece lengthi1e6:pieces0:"),
            Invalid { field: "files", .. }
        ));
        let huge = "5:filesld6:lengthi9223372036854775807e4:pathl1:aeed6:lengthi9223372036854775807e4:pathl1:beed6:lengthi9e4:pathl1:ceee4:name1:f12:piece lengthi1e6:pieces0:";
        assert!(matches!(check(huge), InvalidFile { index: 2, .. }));
    }

    #[test]
    fn utf8_variants_are_preferred() {
        let bytes = [
            &b"d4:infod6:lengthi0e4:name3:"[..],
            &[0xff, 0xfe, 0xfd],
            "10:name.utf-85:café12:piece lengthi1e6:pieces0:ee".as_bytes(),
        ]
        .concat();
        let m = Metainfo::from_bytes(&bytes).unwrap();
        assert_eq!(m.info.name, "café");
    }
}
