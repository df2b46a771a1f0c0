//! Response bodies: each has one top-level key; its list may be `null` (empty) and bad items in
//! it are skipped.

use serde_json::{Map, Value};

use crate::error::AddonError;
use crate::lenient;
use crate::meta::{Meta, MetaPreview};
use crate::stream::Stream;
use crate::subtitles::Subtitle;
use crate::MAX_RESPONSE_BYTES;

fn object(body: &[u8]) -> Result<Map<String, Value>, AddonError> {
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(AddonError::TooLarge { len: body.len() });
    }
    match serde_json::from_slice(body).map_err(|e| AddonError::NotJson(e.to_string()))? {
        Value::Object(map) => Ok(map),
        _ => Err(AddonError::NotJson("the top level is not an object".into())),
    }
}

fn list<T: serde::de::DeserializeOwned>(
    body: &[u8],
    key: &'static str,
) -> Result<Vec<T>, AddonError> {
    let mut map = object(body)?;
    let value = map.remove(key).ok_or(AddonError::MissingKey(key))?;
    Ok(lenient::list_from_value(value))
}

/// A catalog page (`metas`).
pub fn parse_catalog(body: &[u8]) -> Result<Vec<MetaPreview>, AddonError> {
    list(body, "metas")
}

/// A stream list (`streams`).
pub fn parse_streams(body: &[u8]) -> Result<Vec<Stream>, AddonError> {
    list(body, "streams")
}

/// A subtitle list (`subtitles`).
pub fn parse_subtitles(body: &[u8]) -> Result<Vec<Subtitle>, AddonError> {
    list(body, "subtitles")
}

/// One item (`meta`). `null` means the add-on does not know it; an invalid item is an error
/// here (there is nothing else to show).
pub fn parse_meta(body: &[u8]) -> Result<Meta, AddonError> {
    let mut map = object(body)?;
    match map.remove("meta").ok_or(AddonError::MissingKey("meta"))? {
        Value::Null => Err(AddonError::NotFound),
        value => serde_json::from_value(value).map_err(|e| AddonError::NotJson(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::StreamKind;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_catalog_with_one_broken_item_keeps_the_rest() {
        let body = br#"{"metas":[
            {"id":"tt0111161","type":"movie","name":"The Shawshank Redemption","poster":"https://images.example/p.jpg","releaseInfo":1994,"imdbRating":"9.3"},
            {"id":"tt0068646","type":"movie"},
            "garbage",
            {"id":"tt0468569","type":"movie","name":"The Dark Knight","posterShape":"landscape","genres":null}
        ],"cacheMaxAge":3600}"#;
        let metas = parse_catalog(body).expect("valid");
        assert_eq!(metas.len(), 2);
        assert_eq!(metas[0].release_info.as_deref(), Some("1994"));
        assert_eq!(metas[1].name, "The Dark Knight");
    }

    #[test]
    fn null_lists_are_empty_and_missing_keys_are_errors() {
        assert_eq!(parse_streams(br#"{"streams":null}"#).expect("valid"), []);
        assert_eq!(
            parse_streams(br#"{"metas":[]}"#),
            Err(AddonError::MissingKey("streams"))
        );
        assert!(matches!(
            parse_streams(b"Internal Server Error"),
            Err(AddonError::NotJson(_))
        ));
        assert!(matches!(
            parse_streams(b"[1,2]"),
            Err(AddonError::NotJson(_))
        ));
        assert_eq!(parse_meta(br#"{"meta":null}"#), Err(AddonError::NotFound));
        assert!(matches!(
            parse_meta(br#"{"meta":{"id":"x"}}"#),
            Err(AddonError::NotJson(_))
        ));
        let huge = vec![b' '; MAX_RESPONSE_BYTES + 1];
        assert!(matches!(
            parse_catalog(&huge),
            Err(AddonError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_mixed_stream_list() {
        let body = br#"{"streams":[
            {"url":"https://example.com/movie.mp4","name":"Direct","description":"720p \\ud83d\\udcbe 400 MB"},
            {"infoHash":"not-a-hash"},
            {"infoHash":"d2474e86c95b19b8bcfdb92bc12c9d44667cfa36","fileIdx":0,"sources":["dht:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36"]},
            {"ytId":"aqz-KE-bpKQ"},
            {"externalUrl":"https://example.com/watch"}
        ]}"#;
        let kinds: Vec<StreamKind> = parse_streams(body)
            .expect("valid")
            .iter()
            .map(|s| s.kind())
            .collect();
        assert_eq!(
            kinds,
            [
                StreamKind::Http,
                StreamKind::Torrent,
                StreamKind::YouTube,
                StreamKind::External
            ]
        );
    }
}
