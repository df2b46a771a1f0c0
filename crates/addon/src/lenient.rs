//! Serde helpers for third-party JSON: add-ons disagree about strings versus numbers, send
//! `null` for lists and `""` for "no URL", and sometimes put one broken item in a long list.
//! These helpers accept what Stremio itself accepts, and drop (rather than fail on) what it
//! would also drop.

use serde::de::{DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::Value;

/// The most items kept from any one list in a response; a catalog page is 100 items and a long
/// series has a few thousand episodes, so this only stops a hostile or broken add-on.
pub const MAX_LIST_ITEMS: usize = 10_000;

/// A list where each invalid item is skipped; `null` or a non-list is an empty list.
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(list_from_value(Value::deserialize(d)?))
}

pub(crate) fn list_from_value<T: DeserializeOwned>(value: Value) -> Vec<T> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .take(MAX_LIST_ITEMS)
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    }
}

/// A list of strings: numbers become strings, other items are skipped, a lone string is a
/// one-item list, `null` is empty.
pub(crate) fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(strings_from_value(Value::deserialize(d)?))
}

fn strings_from_value(value: Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .take(MAX_LIST_ITEMS)
            .filter_map(text_from_value)
            .collect(),
        other => text_from_value(other).into_iter().collect(),
    }
}

/// Like [`strings`], but keeps "absent" apart from "empty" (an absent `types` on a resource
/// means "use the manifest's", an empty one means "none").
pub(crate) fn opt_strings<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => None,
        other => Some(strings_from_value(other)),
    })
}

/// Text that some add-ons send as a number (`"releaseInfo": 2014`, `"imdbRating": 8.6`).
/// `null`, `""` and other shapes are `None`.
pub(crate) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(text_from_value(Value::deserialize(d)?))
}

fn text_from_value(value: Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A count or index that some add-ons send as a string (`"season": "1"`).
pub(crate) fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A flag that may arrive as `true`, `"true"`, `1`, or `null`.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::String(s) => s.eq_ignore_ascii_case("true") || s == "1",
        Value::Number(n) => n.as_u64() == Some(1),
        _ => false,
    })
}

/// An object field that is ignored (becomes its default) when it has the wrong shape, instead
/// of making the whole enclosing item invalid.
pub(crate) fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    Ok(serde_json::from_value(Value::deserialize(d)?).unwrap_or_default())
}

/// A URL field: `""`, non-strings and `null` mean "no URL".
pub(crate) fn url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Item {
        id: String,
    }

    #[derive(Deserialize, Debug)]
    struct Holder {
        #[serde(default, deserialize_with = "list")]
        items: Vec<Item>,
        #[serde(default, deserialize_with = "strings")]
        tags: Vec<String>,
        #[serde(default, deserialize_with = "text")]
        year: Option<String>,
        #[serde(default, deserialize_with = "number")]
        season: Option<u64>,
        #[serde(default, deserialize_with = "flag")]
        on: bool,
    }

    #[test]
    fn bad_items_are_skipped_not_fatal() {
        let h: Holder = serde_json::from_str(
            r#"{"items":[{"id":"a"},{"nope":1},null,{"id":"b"}],"tags":["x",2,null],"year":2014,"season":"3","on":"true"}"#,
        )
        .expect("lenient");
        assert_eq!(
            h.items,
            vec![Item { id: "a".into() }, Item { id: "b".into() }]
        );
        assert_eq!(h.tags, vec!["x".to_owned(), "2".to_owned()]);
        assert_eq!(h.year.as_deref(), Some("2014"));
        assert_eq!(h.season, Some(3));
        assert!(h.on);
    }

    #[test]
    fn nulls_and_wrong_shapes_are_empty() {
        let h: Holder =
            serde_json::from_str(r#"{"items":null,"tags":"solo","year":"","season":-1,"on":null}"#)
                .expect("lenient");
        assert!(h.items.is_empty());
        assert_eq!(h.tags, vec!["solo".to_owned()]);
        assert_eq!(h.year, None);
        assert_eq!(h.season, None);
        assert!(!h.on);
    }
}
