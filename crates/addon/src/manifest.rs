//! The add-on manifest: who the add-on is, which resources it serves for which types and ids,
//! and which catalogs (with which extras) it offers.

use serde::{Deserialize, Serialize};

use crate::error::AddonError;
use crate::lenient;
use crate::MAX_RESPONSE_BYTES;

/// An add-on's `manifest.json`, parsed leniently: unknown fields are ignored, bad catalogs or
/// resources are dropped, and only what makes the add-on unusable is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Reverse-domain identifier, e.g. `org.example.movies`.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Semantic version string (kept as text: many add-ons write it loosely).
    #[serde(default, deserialize_with = "lenient::text")]
    pub version: Option<String>,
    /// One-paragraph description.
    #[serde(default, deserialize_with = "lenient::text")]
    pub description: Option<String>,
    /// What the add-on serves.
    #[serde(default, deserialize_with = "lenient::list")]
    pub resources: Vec<ManifestResource>,
    /// Content types served unless a resource says otherwise.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub types: Vec<String>,
    /// Catalogs the add-on offers.
    #[serde(default, deserialize_with = "lenient::list")]
    pub catalogs: Vec<ManifestCatalog>,
    /// Id prefixes served unless a resource says otherwise; `None` means any id.
    #[serde(
        default,
        deserialize_with = "lenient::opt_strings",
        skip_serializing_if = "Option::is_none"
    )]
    pub id_prefixes: Option<Vec<String>>,
    /// Logo image URL.
    #[serde(
        default,
        deserialize_with = "lenient::url",
        skip_serializing_if = "Option::is_none"
    )]
    pub logo: Option<String>,
    /// Background image URL.
    #[serde(
        default,
        deserialize_with = "lenient::url",
        skip_serializing_if = "Option::is_none"
    )]
    pub background: Option<String>,
    /// Flags about the add-on as a whole.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub behavior_hints: ManifestBehaviorHints,
}

/// `behaviorHints` of a manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ManifestBehaviorHints {
    /// Adult content.
    #[serde(deserialize_with = "lenient::flag")]
    pub adult: bool,
    /// Streams come from peer-to-peer sources.
    #[serde(deserialize_with = "lenient::flag")]
    pub p2p: bool,
    /// The add-on has a configuration page.
    #[serde(deserialize_with = "lenient::flag")]
    pub configurable: bool,
    /// The add-on does nothing until configured.
    #[serde(deserialize_with = "lenient::flag")]
    pub configuration_required: bool,
}

/// One entry of `resources`: the short form `"stream"` or `{ name, types?, idPrefixes? }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ResourceRepr", into = "ResourceRepr")]
pub struct ManifestResource {
    /// `catalog`, `meta`, `stream`, `subtitles`, `addon_catalog`, …
    pub name: String,
    /// Overrides the manifest's `types` when present.
    pub types: Option<Vec<String>>,
    /// Overrides the manifest's `idPrefixes` when present.
    pub id_prefixes: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ResourceRepr {
    Short(String),
    #[serde(rename_all = "camelCase")]
    Full {
        name: String,
        #[serde(
            default,
            deserialize_with = "lenient::opt_strings",
            skip_serializing_if = "Option::is_none"
        )]
        types: Option<Vec<String>>,
        #[serde(
            default,
            deserialize_with = "lenient::opt_strings",
            skip_serializing_if = "Option::is_none"
        )]
        id_prefixes: Option<Vec<String>>,
    },
}

impl From<ResourceRepr> for ManifestResource {
    fn from(repr: ResourceRepr) -> Self {
        match repr {
            ResourceRepr::Short(name) => Self {
                name,
                types: None,
                id_prefixes: None,
            },
            ResourceRepr::Full {
                name,
                types,
                id_prefixes,
            } => Self {
                name,
                types,
                id_prefixes,
            },
        }
    }
}

impl From<ManifestResource> for ResourceRepr {
    fn from(r: ManifestResource) -> Self {
        if r.types.is_none() && r.id_prefixes.is_none() {
            Self::Short(r.name)
        } else {
            Self::Full {
                name: r.name,
                types: r.types,
                id_prefixes: r.id_prefixes,
            }
        }
    }
}

/// A catalog: `{ type, id, name?, extra? }`; the legacy `extraSupported` / `extraRequired`
/// string lists are folded into `extra` when reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "CatalogRepr")]
pub struct ManifestCatalog {
    /// Content type, e.g. `movie`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Catalog id, unique per type within the add-on.
    pub id: String,
    /// Human name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Extras the catalog accepts, in the order the add-on declares them.
    pub extra: Vec<ExtraProp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CatalogRepr {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    #[serde(default, deserialize_with = "lenient::text")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient::list")]
    extra: Vec<ExtraProp>,
    #[serde(default, deserialize_with = "lenient::strings")]
    extra_supported: Vec<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    extra_required: Vec<String>,
}

impl From<CatalogRepr> for ManifestCatalog {
    fn from(c: CatalogRepr) -> Self {
        let mut extra = c.extra;
        for name in c.extra_supported.iter().chain(&c.extra_required) {
            if !extra.iter().any(|e| &e.name == name) {
                extra.push(ExtraProp {
                    name: name.clone(),
                    is_required: c.extra_required.contains(name),
                    options: Vec::new(),
                    options_limit: 1,
                });
            }
        }
        Self {
            kind: c.kind,
            id: c.id,
            name: c.name,
            extra,
        }
    }
}

/// One extra a catalog accepts, e.g. `{ "name": "genre", "options": ["Drama"] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtraProp {
    /// `search`, `genre`, `skip`, or an add-on-specific name.
    pub name: String,
    /// The catalog cannot be requested without this extra.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub is_required: bool,
    /// The values the add-on accepts, when it lists them.
    #[serde(
        default,
        deserialize_with = "lenient::strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub options: Vec<String>,
    /// How many options may be sent at once (default 1).
    #[serde(default = "one", deserialize_with = "options_limit")]
    pub options_limit: u64,
}

fn one() -> u64 {
    1
}

fn options_limit<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(lenient::number(d)?.unwrap_or(1))
}

impl Manifest {
    /// Parses a manifest body. Errors say why the add-on cannot be used.
    pub fn from_json(body: &[u8]) -> Result<Self, AddonError> {
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(AddonError::TooLarge { len: body.len() });
        }
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| AddonError::NotJson(e.to_string()))?;
        if !value.is_object() {
            return Err(AddonError::BadManifest("it is not a JSON object".into()));
        }
        let manifest: Self =
            serde_json::from_value(value).map_err(|e| AddonError::BadManifest(e.to_string()))?;
        if manifest.id.trim().is_empty() {
            return Err(AddonError::BadManifest("its `id` is empty".into()));
        }
        if manifest.name.trim().is_empty() {
            return Err(AddonError::BadManifest("its `name` is empty".into()));
        }
        if manifest.resources.is_empty() {
            return Err(AddonError::BadManifest("it lists no resources".into()));
        }
        Ok(manifest)
    }

    /// Whether this add-on should be asked for `resource` of `kind` for `id` (meta, stream,
    /// subtitles): it lists the resource, the type, and (if it restricts ids) a matching prefix.
    pub fn serves(&self, resource: &str, kind: &str, id: &str) -> bool {
        self.resources.iter().any(|r| {
            if r.name != resource {
                return false;
            }
            let types = r.types.as_ref().unwrap_or(&self.types);
            let prefixes = r.id_prefixes.as_ref().or(self.id_prefixes.as_ref());
            types.iter().any(|t| t == kind)
                && prefixes.is_none_or(|p| p.iter().any(|prefix| id.starts_with(prefix.as_str())))
        })
    }

    /// Whether the add-on lists `resource` at all (catalogs are then chosen by [`Self::catalogs`]).
    pub fn has_resource(&self, resource: &str) -> bool {
        self.resources.iter().any(|r| r.name == resource)
    }

    /// The catalogs that take a `search` extra.
    pub fn search_catalogs(&self) -> impl Iterator<Item = &ManifestCatalog> {
        self.catalogs
            .iter()
            .filter(|c| c.extra_named("search").is_some())
    }

    /// The catalogs that can be browsed with no extras (none of their extras is required).
    pub fn browsable_catalogs(&self) -> impl Iterator<Item = &ManifestCatalog> {
        self.catalogs
            .iter()
            .filter(|c| c.extra.iter().all(|e| !e.is_required))
    }
}

impl ManifestCatalog {
    /// The declared extra called `name`.
    pub fn extra_named(&self, name: &str) -> Option<&ExtraProp> {
        self.extra.iter().find(|e| e.name == name)
    }

    /// Whether the catalog may be requested with exactly these extras: every extra sent is
    /// declared and every required extra is sent.
    pub fn accepts<'a>(&self, sent: impl IntoIterator<Item = &'a str> + Clone) -> bool {
        let all_declared = sent
            .clone()
            .into_iter()
            .all(|name| self.extra_named(name).is_some());
        let required_sent = self
            .extra
            .iter()
            .filter(|e| e.is_required)
            .all(|e| sent.clone().into_iter().any(|name| name == e.name));
        all_declared && required_sent
    }

    /// The genres offered as options, if the catalog takes a `genre` extra.
    pub fn genres(&self) -> &[String] {
        self.extra_named("genre")
            .map(|e| e.options.as_slice())
            .unwrap_or_default()
    }

    /// The catalog's name, or its id when it has none.
    pub fn title(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const CINEMETA_LIKE: &str = r#"{
        "id": "com.linvo.cinemeta", "version": "3.0.13", "name": "Cinemeta",
        "description": "The official add-on for movie and series catalogs",
        "types": ["movie", "series"],
        "resources": ["catalog", "meta", "addon_catalog"],
        "idPrefixes": ["tt"],
        "catalogs": [
            {"type": "movie", "id": "top", "genres": ["Action"],
             "extra": [{"name": "genre", "options": ["Action", "Drama"]}, {"name": "search"}, {"name": "skip"}]},
            {"type": "series", "id": "year", "extraRequired": ["genre"], "extraSupported": ["genre", "skip"]},
            {"type": "movie"},
            {"type": "movie", "id": "imdbRating", "name": "Featured", "extra": [{"name": "skip", "optionsLimit": "2"}]}
        ],
        "behaviorHints": {"newEpisodeNotifications": true}
    }"#;

    #[test]
    fn a_cinemeta_like_manifest_parses_and_drops_the_broken_catalog() {
        let m = Manifest::from_json(CINEMETA_LIKE.as_bytes()).expect("valid");
        assert_eq!(m.name, "Cinemeta");
        assert_eq!(m.catalogs.len(), 3, "the catalog without an id is skipped");
        assert_eq!(m.catalogs[0].genres(), ["Action", "Drama"]);
        let year = &m.catalogs[1];
        assert!(year.extra_named("genre").is_some_and(|e| e.is_required));
        assert!(year.extra_named("skip").is_some_and(|e| !e.is_required));
        assert_eq!(m.catalogs[2].extra[0].options_limit, 2);
        assert_eq!(m.catalogs[2].title(), "Featured");
        assert_eq!(m.search_catalogs().count(), 1);
        assert_eq!(m.browsable_catalogs().count(), 2);
        assert!(m.serves("meta", "movie", "tt0111161"));
        assert!(!m.serves("meta", "movie", "kitsu:1"));
        assert!(!m.serves("stream", "movie", "tt0111161"));
    }

    #[test]
    fn resource_objects_override_types_and_prefixes() {
        let m = Manifest::from_json(
            br#"{"id":"x","name":"X","types":["movie"],"catalogs":null,
                "resources":[{"name":"stream","types":["series"],"idPrefixes":["kitsu:"]}, 7]}"#,
        )
        .expect("valid");
        assert!(m.catalogs.is_empty());
        assert!(m.serves("stream", "series", "kitsu:12:3"));
        assert!(!m.serves("stream", "movie", "kitsu:12"));
        assert!(!m.serves("stream", "series", "tt1"));
    }

    #[test]
    fn catalog_extras_must_be_declared_and_required_ones_sent() {
        let m = Manifest::from_json(CINEMETA_LIKE.as_bytes()).expect("valid");
        let top = &m.catalogs[0];
        assert!(top.accepts([]));
        assert!(top.accepts(["genre", "skip"]));
        assert!(!top.accepts(["year"]));
        let year = &m.catalogs[1];
        assert!(!year.accepts(["skip"]));
        assert!(year.accepts(["genre", "skip"]));
    }

    #[test]
    fn unusable_manifests_get_typed_errors() {
        assert!(matches!(
            Manifest::from_json(b"<html>"),
            Err(AddonError::NotJson(_))
        ));
        assert!(matches!(
            Manifest::from_json(b"[]"),
            Err(AddonError::BadManifest(_))
        ));
        assert!(matches!(
            Manifest::from_json(br#"{"id":"x","name":"X","resources":[]}"#),
            Err(AddonError::BadManifest(msg)) if msg.contains("no resources")
        ));
        assert!(matches!(
            Manifest::from_json(br#"{"name":"X","resources":["stream"]}"#),
            Err(AddonError::BadManifest(msg)) if msg.contains("id")
        ));
    }

    #[test]
    fn a_manifest_survives_its_own_serialisation() {
        let m = Manifest::from_json(CINEMETA_LIKE.as_bytes()).expect("valid");
        let again =
            Manifest::from_json(&serde_json::to_vec(&m).expect("serialises")).expect("valid");
        assert_eq!(m, again);
    }
}
