//! Request URLs: `{base}/{resource}/{type}/{id}[/{extra}].json`, where `base` is the manifest
//! URL without its trailing `/manifest.json` (add-ons keep their configuration in it).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::AddonError;
use crate::manifest::ManifestCatalog;

/// The characters `encodeURIComponent` leaves alone, which is what Stremio uses for every
/// path piece and every extra name and value.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Longest add-on URL accepted (configured add-ons embed settings in it, so it can be long).
pub const MAX_URL_LEN: usize = 4096;

const MANIFEST_SUFFIX: &str = "/manifest.json";

/// Where an add-on lives: its manifest URL, validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransportUrl {
    manifest_url: String,
}

impl TransportUrl {
    /// Accepts an `http(s)://…/manifest.json` URL; `stremio://host/…` install links mean
    /// `https://host/…`. Surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Self, AddonError> {
        let text = text.trim();
        if text.len() > MAX_URL_LEN {
            return Err(AddonError::UrlTooLong);
        }
        let url = match text.strip_prefix("stremio://") {
            Some(rest) => format!("https://{rest}"),
            None => text.to_owned(),
        };
        let lower = url.to_ascii_lowercase();
        let after_scheme = if let Some(rest) = lower.strip_prefix("https://") {
            rest
        } else if let Some(rest) = lower.strip_prefix("http://") {
            rest
        } else {
            return Err(AddonError::BadScheme);
        };
        if after_scheme.is_empty() || after_scheme.starts_with('/') {
            return Err(AddonError::NoHost);
        }
        if url.contains(char::is_whitespace) {
            return Err(AddonError::Whitespace);
        }
        if !url.ends_with(MANIFEST_SUFFIX) {
            return Err(AddonError::NotManifestUrl);
        }
        Ok(Self { manifest_url: url })
    }

    /// The manifest URL itself.
    pub fn manifest_url(&self) -> &str {
        &self.manifest_url
    }

    /// Everything before `/manifest.json`.
    pub fn base(&self) -> &str {
        &self.manifest_url[..self.manifest_url.len() - MANIFEST_SUFFIX.len()]
    }

    /// The URL of `request` on this add-on.
    pub fn resource_url(&self, request: &ResourceRequest) -> String {
        let mut url = String::with_capacity(self.base().len() + 64);
        url.push_str(self.base());
        for piece in [&request.resource, &request.kind, &request.id] {
            url.push('/');
            url.extend(utf8_percent_encode(piece, COMPONENT));
        }
        if !request.extra.is_empty() {
            url.push('/');
            for (i, (name, value)) in request.extra.iter().enumerate() {
                if i > 0 {
                    url.push('&');
                }
                url.extend(utf8_percent_encode(name, COMPONENT));
                url.push('=');
                url.extend(utf8_percent_encode(value, COMPONENT));
            }
        }
        url.push_str(".json");
        url
    }
}

impl std::fmt::Display for TransportUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.manifest_url)
    }
}

/// One resource request: `resource` of `kind` for `id`, with `extra` pairs in the order they
/// will be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRequest {
    /// `catalog`, `meta`, `stream`, `subtitles`.
    pub resource: String,
    /// Content type.
    pub kind: String,
    /// Catalog id or item id.
    pub id: String,
    /// `name=value` pairs.
    pub extra: Vec<(String, String)>,
}

impl ResourceRequest {
    /// A request with no extras (meta, stream).
    pub fn new(resource: &str, kind: &str, id: &str) -> Self {
        Self {
            resource: resource.into(),
            kind: kind.into(),
            id: id.into(),
            extra: Vec::new(),
        }
    }

    /// A catalog page. Extras are written in the order the catalog declares them, so the same
    /// page always has the same URL (static and cached add-ons rely on that); empty values are
    /// left out. Fails when the catalog does not accept this set of extras.
    pub fn catalog(catalog: &ManifestCatalog, extra: &[(&str, &str)]) -> Result<Self, AddonError> {
        let mut pairs: Vec<(usize, String, String)> = Vec::with_capacity(extra.len());
        for (name, value) in extra {
            if value.is_empty() {
                continue;
            }
            let Some(position) = catalog.extra.iter().position(|e| e.name == *name) else {
                return Err(AddonError::ExtraNotDeclared {
                    name: (*name).to_owned(),
                });
            };
            pairs.push((position, (*name).to_owned(), (*value).to_owned()));
        }
        if let Some(missing) = catalog
            .extra
            .iter()
            .find(|e| e.is_required && !pairs.iter().any(|(_, n, _)| *n == e.name))
        {
            return Err(AddonError::ExtraRequired {
                name: missing.name.clone(),
            });
        }
        // A stable sort keeps repeated extras (multi-select genres) in the caller's order.
        vecmap::sort_by_key(&mut pairs, |(position, _, _)| *position);
        Ok(Self {
            resource: "catalog".into(),
            kind: catalog.kind.clone(),
            id: catalog.id.clone(),
            extra: pairs.into_iter().map(|(_, n, v)| (n, v)).collect(),
        })
    }
}

/// The `skip` value of catalog page `page` (0-based): Stremio pages are 100 items.
pub fn skip_for_page(page: u32) -> String {
    (u64::from(page) * CATALOG_PAGE_SIZE as u64).to_string()
}

/// Items on a full catalog page; a shorter page is the last one.
pub const CATALOG_PAGE_SIZE: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn addon() -> TransportUrl {
        TransportUrl::parse("https://v3-cinemeta.strem.io/manifest.json").expect("valid")
    }

    #[test]
    fn protocol_examples() {
        let url = addon().resource_url(&ResourceRequest::new("stream", "series", "tt0898266:9:17"));
        assert_eq!(
            url,
            "https://v3-cinemeta.strem.io/stream/series/tt0898266%3A9%3A17.json"
        );
        let m = Manifest::from_json(
            br#"{"id":"a","name":"A","resources":["catalog"],"types":["movie"],
                 "catalogs":[{"type":"movie","id":"top","extra":[{"name":"genre"},{"name":"skip"},{"name":"search"}]}]}"#,
        )
        .expect("valid");
        let req = ResourceRequest::catalog(&m.catalogs[0], &[("skip", "100"), ("genre", "Action")])
            .expect("accepted");
        assert_eq!(
            addon().resource_url(&req),
            "https://v3-cinemeta.strem.io/catalog/movie/top/genre=Action&skip=100.json"
        );
        let req =
            ResourceRequest::catalog(&m.catalogs[0], &[("search", "Tom & Jerry: 100% (été)")])
                .expect("accepted");
        assert_eq!(
            addon().resource_url(&req),
            "https://v3-cinemeta.strem.io/catalog/movie/top/search=Tom%20%26%20Jerry%3A%20100%25%20(%C3%A9t%C3%A9).json"
        );
        assert!(matches!(
            ResourceRequest::catalog(&m.catalogs[0], &[("year", "2020")]),
            Err(AddonError::ExtraNotDeclared { .. })
        ));
    }

    #[test]
    fn configuration_in_the_base_is_kept() {
        let t =
            TransportUrl::parse("  stremio://example.com/c=1%7Cq=2/manifest.json ").expect("valid");
        assert_eq!(t.base(), "https://example.com/c=1%7Cq=2");
        assert_eq!(
            t.resource_url(&ResourceRequest::new("meta", "movie", "tt1")),
            "https://example.com/c=1%7Cq=2/meta/movie/tt1.json"
        );
    }

    #[test]
    fn bad_addresses_are_refused() {
        assert_eq!(
            TransportUrl::parse("ftp://x/manifest.json"),
            Err(AddonError::BadScheme)
        );
        assert_eq!(
            TransportUrl::parse("https://x/"),
            Err(AddonError::NotManifestUrl)
        );
        assert_eq!(
            TransportUrl::parse("https:///manifest.json"),
            Err(AddonError::NoHost)
        );
        assert_eq!(
            TransportUrl::parse("https://x y/manifest.json"),
            Err(AddonError::Whitespace)
        );
        assert_eq!(
            TransportUrl::parse(&"a".repeat(MAX_URL_LEN + 1)),
            Err(AddonError::UrlTooLong)
        );
    }

    #[test]
    fn pages_are_hundreds() {
        assert_eq!(skip_for_page(0), "0");
        assert_eq!(skip_for_page(3), "300");
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod props {
    use super::*;
    use percent_encoding::percent_decode_str;
    use proptest::prelude::*;

    fn unescaped_ok(c: char) -> bool {
        c.is_ascii_alphanumeric() || "-_.!~*'()%".contains(c)
    }

    proptest! {
        #[test]
        fn pieces_round_trip_and_never_break_the_path(
            kind in "\\PC{0,12}", id in "\\PC{0,40}",
            extra in proptest::collection::vec(("[a-z]{1,8}", "\\PC{1,20}"), 0..4),
        ) {
            let t = TransportUrl::parse("http://127.0.0.1:7000/cfg/manifest.json").expect("valid");
            let req = ResourceRequest {
                resource: "stream".into(), kind: kind.clone(), id: id.clone(), extra: extra.clone(),
            };
            let url = t.resource_url(&req);
            let rest = url.strip_prefix("http://127.0.0.1:7000/cfg/").expect("base kept");
            let rest = rest.strip_suffix(".json").expect("suffix");
            prop_assert!(rest.chars().all(|c| unescaped_ok(c) || c == '/' || c == '&' || c == '='));
            let parts: Vec<&str> = rest.split('/').collect();
            prop_assert_eq!(parts.len(), if extra.is_empty() { 3 } else { 4 });
            let decode = |s: &str| percent_decode_str(s).decode_utf8().expect("utf8").into_owned();
            prop_assert_eq!(decode(parts[0]), "stream");
            prop_assert_eq!(decode(parts[1]), kind);
            prop_assert_eq!(decode(parts[2]), id);
            if !extra.is_empty() {
                let pairs: Vec<(String, String)> = parts[3]
                    .split('&')
                    .map(|p| {
                        let (n, v) = p.split_once('=').expect("name=value");
                        (decode(n), decode(v))
                    })
                    .collect();
                prop_assert_eq!(pairs, extra);
            }
        }

        #[test]
        fn catalog_extras_follow_the_declared_order(order in Just(vec!["genre", "skip", "search"]).prop_shuffle()) {
            let m = crate::manifest::Manifest::from_json(
                br#"{"id":"a","name":"A","resources":["catalog"],
                     "catalogs":[{"type":"movie","id":"top","extra":[{"name":"search"},{"name":"genre"},{"name":"skip"}]}]}"#,
            ).expect("valid");
            let given: Vec<(&str, &str)> = order.iter().map(|n| (*n, "v")).collect();
            let req = ResourceRequest::catalog(&m.catalogs[0], &given).expect("accepted");
            let names: Vec<&str> = req.extra.iter().map(|(n, _)| n.as_str()).collect();
            prop_assert_eq!(names, vec!["search", "genre", "skip"]);
        }
    }
}
