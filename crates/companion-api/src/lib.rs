//! The JSON a Shoal companion (`shoal serve`) answers on the app's own origin, declared once for
//! both ends: the companion serializes these types and the browser app deserializes them.
//!
//! What it promises: [`CompanionInfo`] is the body of [`COMPANION_PATH`], [`Library`] the body
//! of [`LIBRARY_PATH`], with camelCase field names. Reading is lenient where an older or newer
//! companion may differ (optional fields default), so the app keeps working across versions.
//! Plain serde data, no I/O: it builds natively and for `wasm32-unknown-unknown`.
//!
//! How to drive it: serialize with any serde format on the companion, and deserialize the
//! response body in the app; bounding the body's size is the reader's job.

use serde::{Deserialize, Serialize};

/// Where the companion says that it is one, and where its add-on is.
pub const COMPANION_PATH: &str = "/api/companion";
/// Where the companion lists the files it seeds.
pub const LIBRARY_PATH: &str = "/api/library";

/// The body of [`COMPANION_PATH`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanionInfo {
    /// The manifest URL of the companion's Stremio add-on; `None` (JSON `null`) while its
    /// library is empty, as there is nothing to browse.
    pub addon: Option<String>,
    /// The companion's version (`CARGO_PKG_VERSION`); empty when an old companion omits it.
    #[serde(default)]
    pub version: String,
}

/// The body of [`LIBRARY_PATH`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Library {
    /// One entry per seeded file, in the companion's order (sorted by path).
    pub items: Vec<LibraryItem>,
}

/// One file of the companion's library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LibraryItem {
    /// The file's name without its extension.
    pub title: String,
    /// The path inside the library folder, `/`-separated.
    #[serde(default)]
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Running time in seconds, when the container's header says; `null` otherwise.
    #[serde(default)]
    pub duration: Option<f64>,
    /// The torrent's info hash, 40 lowercase hex digits.
    #[serde(default)]
    pub info_hash: String,
    /// A magnet link for the torrent.
    #[serde(default)]
    pub magnet: String,
    /// The file's index inside its torrent.
    #[serde(default)]
    pub file_index: u32,
    /// Where the file is served over plain HTTP (`/files/...`).
    #[serde(default)]
    pub url: String,
    /// Where its .torrent is served (`/torrents/<info hash>.torrent`). It names the tracker and
    /// the web seed, so a browser plays it from the companion's peer and over HTTP alike.
    pub torrent_url: String,
    /// The file's media type, from its extension.
    #[serde(default)]
    pub mime: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn item() -> LibraryItem {
        LibraryItem {
            title: "clip".to_owned(),
            path: "films/clip.mp4".to_owned(),
            size: 1_696_732,
            duration: Some(20.0),
            info_hash: "ab".repeat(20),
            magnet: format!("magnet:?xt=urn:btih:{}", "ab".repeat(20)),
            file_index: 0,
            url: "http://127.0.0.1:8080/files/films/clip.mp4".to_owned(),
            torrent_url: format!("http://127.0.0.1:8080/torrents/{}.torrent", "ab".repeat(20)),
            mime: "video/mp4".to_owned(),
        }
    }

    #[test]
    fn library_items_are_camel_case_and_round_trip() {
        let library = Library {
            items: vec![item()],
        };
        let json = serde_json::to_value(&library).expect("serializes");
        let first = &json["items"][0];
        assert_eq!(first["torrentUrl"], library.items[0].torrent_url.as_str());
        assert_eq!(first["fileIndex"], 0);
        assert_eq!(first["infoHash"], "ab".repeat(20));
        assert_eq!(first["duration"], 20.0);
        let back: Library = serde_json::from_value(json).expect("parses");
        assert_eq!(back, library);
    }

    #[test]
    fn an_unknown_duration_is_written_as_null() {
        let json = serde_json::to_value(LibraryItem {
            duration: None,
            ..item()
        })
        .expect("serializes");
        assert!(json["duration"].is_null(), "{json}");
    }

    #[test]
    fn optional_fields_may_be_missing() {
        let minimal: LibraryItem =
            serde_json::from_str(r#"{"title":"t","size":1,"torrentUrl":"/t.torrent"}"#)
                .expect("parses");
        assert_eq!(minimal.duration, None);
        assert_eq!(minimal.file_index, 0);
        assert!(serde_json::from_str::<LibraryItem>(r#"{"title":"t","size":1}"#).is_err());
    }

    #[test]
    fn companion_info_names_the_addon_or_null() {
        let info = CompanionInfo {
            addon: None,
            version: "0.1.0".to_owned(),
        };
        assert_eq!(
            serde_json::to_string(&info).expect("serializes"),
            r#"{"addon":null,"version":"0.1.0"}"#
        );
        let old: CompanionInfo =
            serde_json::from_str(r#"{"addon":"http://h/manifest.json"}"#).expect("parses");
        assert_eq!(old.addon.as_deref(), Some("http://h/manifest.json"));
        assert_eq!(old.version, "");
    }
}
