//! Subtitle tracks offered by `subtitles` add-ons or inside a stream.

use serde::Deserialize;

use crate::lenient;

/// One subtitle track.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Subtitle {
    /// Add-on's id for the track (optional in practice).
    #[serde(default, deserialize_with = "lenient::text")]
    pub id: Option<String>,
    /// Track URL (`.srt` or `.vtt`).
    pub url: String,
    /// Language, ISO 639-2 when the add-on follows the spec (`eng`), free text otherwise.
    #[serde(default, deserialize_with = "lenient::text")]
    pub lang: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn ids_are_optional_and_urls_are_not() {
        let list: Vec<Subtitle> = lenient::list_from_value(
            serde_json::json!([{"url": "https://x/a.srt", "lang": "eng"}, {"id": 4, "lang": "fre"}]),
        );
        assert_eq!(
            list,
            [Subtitle {
                id: None,
                url: "https://x/a.srt".into(),
                lang: Some("eng".into())
            }]
        );
    }
}
