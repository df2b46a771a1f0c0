//! Catalog items ([`MetaPreview`]) and full items ([`Meta`]) with their videos (episodes).

use vecmap::VecMap;

use serde::Deserialize;

use crate::lenient;

/// A catalog item: enough to draw a poster and a caption.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetaPreview {
    /// Item id, e.g. `tt0111161`.
    pub id: String,
    /// Content type, e.g. `movie`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Title.
    pub name: String,
    /// Poster image URL.
    #[serde(default, deserialize_with = "lenient::url")]
    pub poster: Option<String>,
    /// Poster proportions.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub poster_shape: PosterShape,
    /// Wide background image URL.
    #[serde(default, deserialize_with = "lenient::url")]
    pub background: Option<String>,
    /// Title logo URL.
    #[serde(default, deserialize_with = "lenient::url")]
    pub logo: Option<String>,
    /// Synopsis.
    #[serde(default, deserialize_with = "lenient::text")]
    pub description: Option<String>,
    /// Year or range, e.g. `2014` or `2008-2013`.
    #[serde(default, deserialize_with = "lenient::text")]
    pub release_info: Option<String>,
    /// e.g. `142 min`.
    #[serde(default, deserialize_with = "lenient::text")]
    pub runtime: Option<String>,
    /// e.g. `9.3`.
    #[serde(default, deserialize_with = "lenient::text")]
    pub imdb_rating: Option<String>,
    /// Genres.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub genres: Vec<String>,
    /// Directors.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub director: Vec<String>,
    /// Cast.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub cast: Vec<String>,
    /// Links (genres, cast, IMDb, …).
    #[serde(default, deserialize_with = "lenient::list")]
    pub links: Vec<Link>,
}

/// Poster proportions; unknown shapes are drawn as ordinary posters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PosterShape {
    /// 1:0.675 (portrait).
    #[default]
    Poster,
    /// 1:1.
    Square,
    /// 1:1.77.
    Landscape,
}

/// A link in a meta.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Link {
    /// Label.
    pub name: String,
    /// e.g. `Genres`, `Cast`, `imdb`.
    #[serde(default, deserialize_with = "lenient::text")]
    pub category: Option<String>,
    /// Target URL.
    #[serde(default, deserialize_with = "lenient::url")]
    pub url: Option<String>,
}

/// A full item, from the `meta` resource.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// Everything a preview has.
    #[serde(flatten)]
    pub preview: MetaPreview,
    /// Videos (episodes for series). Empty means the item is one video with the item's id.
    #[serde(default, deserialize_with = "lenient::list")]
    pub videos: Vec<Video>,
    /// Spoken language.
    #[serde(default, deserialize_with = "lenient::text")]
    pub language: Option<String>,
    /// Country.
    #[serde(default, deserialize_with = "lenient::text")]
    pub country: Option<String>,
    /// Awards.
    #[serde(default, deserialize_with = "lenient::text")]
    pub awards: Option<String>,
    /// Official site.
    #[serde(default, deserialize_with = "lenient::url")]
    pub website: Option<String>,
}

/// One video of a meta: an episode, or a channel upload.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Video {
    /// Video id, e.g. `tt0898266:9:17`; streams are requested with it.
    pub id: String,
    /// Episode title (`name` in older add-ons).
    #[serde(default, alias = "name", deserialize_with = "lenient::text")]
    pub title: Option<String>,
    /// Release date: ISO 8601 text, or epoch milliseconds written as text.
    #[serde(default, deserialize_with = "lenient::text")]
    pub released: Option<String>,
    /// Still image URL.
    #[serde(default, deserialize_with = "lenient::url")]
    pub thumbnail: Option<String>,
    /// Season number (0 is specials).
    #[serde(default, deserialize_with = "lenient::number")]
    pub season: Option<u64>,
    /// Episode number within the season.
    #[serde(default, deserialize_with = "lenient::number")]
    pub episode: Option<u64>,
    /// Synopsis (`description` in some add-ons).
    #[serde(default, alias = "description", deserialize_with = "lenient::text")]
    pub overview: Option<String>,
}

impl Meta {
    /// The videos grouped by season, seasons ascending, episodes ascending within a season.
    /// Videos without a season go under `None` (channels, or one-off videos).
    pub fn seasons(&self) -> VecMap<Option<u64>, Vec<&Video>> {
        let mut seasons: VecMap<Option<u64>, Vec<&Video>> = VecMap::new();
        for video in &self.videos {
            seasons.entry(video.season).or_default().push(video);
        }
        for episodes in seasons.values_mut() {
            vecmap::sort_by_key(episodes, |v| v.episode);
        }
        seasons
    }

    /// The video id to ask stream add-ons about for a movie-like item (no videos, or one).
    pub fn single_video_id(&self) -> Option<&str> {
        match self.videos.as_slice() {
            [] => Some(&self.preview.id),
            [only] => Some(&only.id),
            _ => None,
        }
    }
}

impl Video {
    /// `S2 E5 · Title`-style label for lists.
    pub fn label(&self) -> String {
        let number = match (self.season, self.episode) {
            (Some(s), Some(e)) => format!("S{s} E{e}"),
            (None, Some(e)) => format!("E{e}"),
            _ => String::new(),
        };
        match (&self.title, number.is_empty()) {
            (Some(t), true) => t.clone(),
            (Some(t), false) => format!("{number} · {t}"),
            (None, false) => number,
            (None, true) => self.id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_series_meta_groups_episodes_by_season() {
        let meta: Meta = serde_json::from_str(
            r#"{"id":"tt0898266","type":"series","name":"The Big Bang Theory","releaseInfo":"2007-2019",
                "imdbRating":8.1,"posterShape":"regular","poster":"","genres":["Comedy",null],
                "videos":[
                  {"id":"tt0898266:2:1","name":"The Bad Fish Paradigm","season":2,"episode":1,"released":"2008-09-22T00:00:00.000Z"},
                  {"id":"tt0898266:1:2","title":"The Big Bran Hypothesis","season":"1","episode":"2"},
                  {"id":"tt0898266:1:1","title":"Pilot","season":1,"episode":1,"released":1190592000000},
                  {"title":"no id: skipped","season":1,"episode":3}
                ]}"#,
        )
        .expect("lenient");
        assert_eq!(meta.preview.imdb_rating.as_deref(), Some("8.1"));
        assert_eq!(meta.preview.poster, None);
        assert_eq!(meta.preview.poster_shape, PosterShape::Poster);
        assert_eq!(meta.preview.genres, ["Comedy"]);
        let seasons = meta.seasons();
        assert_eq!(
            seasons.keys().copied().collect::<Vec<_>>(),
            [Some(1), Some(2)]
        );
        let first: Vec<String> = seasons[&Some(1)].iter().map(|v| v.label()).collect();
        assert_eq!(first, ["S1 E1 · Pilot", "S1 E2 · The Big Bran Hypothesis"]);
        assert_eq!(
            seasons[&Some(1)][0].released.as_deref(),
            Some("1190592000000")
        );
        assert_eq!(meta.single_video_id(), None);
    }

    #[test]
    fn a_movie_without_videos_is_one_video() {
        let meta: Meta =
            serde_json::from_str(r#"{"id":"tt1","type":"movie","name":"M","videos":null}"#)
                .expect("lenient");
        assert_eq!(meta.single_video_id(), Some("tt1"));
    }
}
