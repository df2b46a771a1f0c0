//! The JSON a Shoal companion (`shoal serve`) answers on the app's own origin, declared once for
//! both ends: the companion serializes these types and the browser app deserializes them.
//!
//! What it promises: [`CompanionInfo`] is the body of [`COMPANION_PATH`], [`Library`] the body
//! of [`LIBRARY_PATH`], a JSON array of [`ChannelEntry`] the body of [`CHANNELS_PATH`],
//! [`Health`] the JSON body of [`HEALTH_PATH`], with
//! camelCase field names. [`is_player_page`] says which of the app's two builds answers a page
//! address (the companion serves it, the app follows it). Reading is lenient where an older or newer
//! companion may differ (optional fields default), so the app keeps working across versions.
//! Plain serde data, no I/O: it builds natively and for `wasm32-unknown-unknown`.
//!
//! How to drive it: serialize with any serde format on the companion, and deserialize the
//! response body in the app; bounding the body's size is the reader's job.

mod app_module;

pub use app_module::{is_player_page, PLAYER_HTML};
use serde::{Deserialize, Serialize};

/// Where the companion says that it is one, and where its add-on is.
pub const COMPANION_PATH: &str = "/api/companion";
/// Where the companion lists the files it seeds.
pub const LIBRARY_PATH: &str = "/api/library";

/// Where the companion answers `ok`, or [`Health`] as JSON to `Accept: application/json`.
pub const HEALTH_PATH: &str = "/health";

/// The JSON body of [`HEALTH_PATH`]: what an app weighs to pick one of several streaming
/// servers (it adds the round trip it measures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub ok: bool,
    /// The host's one-minute load average divided by its cores, when known.
    #[serde(default)]
    pub load_per_core: Option<f64>,
    /// Memory available to new work, bytes, when known.
    #[serde(default)]
    pub free_memory_bytes: Option<u64>,
    /// Whether the companion runs a gateway to TCP swarms.
    #[serde(default)]
    pub gateway: bool,
    /// The gateway's open stream and web-seed responses.
    #[serde(default)]
    pub active_streams: u64,
    /// The torrents the gateway runs.
    #[serde(default)]
    pub torrents: u64,
}

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

/// Where the companion lists its live channels: a JSON array of [`ChannelEntry`].
pub const CHANNELS_PATH: &str = "/api/channels";

/// Whether a channel is broadcasting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelState {
    /// Publishing segments (or waiting for its source's first one).
    Live,
    /// Its source ended, its encoder stopped, or it could not start; its playlist has
    /// `#EXT-X-ENDLIST` (or no segment at all).
    Ended,
}

/// One live channel of the companion (an element of the [`CHANNELS_PATH`] array).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelEntry {
    /// The channel's name, the last segment of `/live/NAME` and `/channels/NAME/...`.
    pub name: String,
    /// A human title.
    #[serde(default)]
    pub title: String,
    /// The media playlist's absolute URL (`.../channels/NAME/index.m3u8`).
    pub playlist: String,
    pub state: ChannelState,
    /// Distinct playlist fetchers in the last 10 seconds, when the companion counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewers: Option<u64>,
    /// Why the channel ended, when it was not its source's normal end (e.g. ffmpeg missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
    #[test]
    fn channel_entries_are_camel_case_with_a_lowercase_state() {
        let entry = ChannelEntry {
            name: "demo".to_owned(),
            title: "Demo".to_owned(),
            playlist: "http://h/channels/demo/index.m3u8".to_owned(),
            state: ChannelState::Live,
            viewers: Some(2),
            error: None,
        };
        let json = serde_json::to_value(vec![entry.clone()]).expect("serializes");
        assert_eq!(json[0]["state"], "live");
        assert_eq!(json[0]["viewers"], 2);
        assert!(json[0].get("error").is_none(), "{json}");
        let back: Vec<ChannelEntry> = serde_json::from_value(json).expect("parses");
        assert_eq!(back, vec![entry]);
        let ended: ChannelEntry = serde_json::from_str(
            r#"{"name":"n","playlist":"/p","state":"ended","error":"ffmpeg was not found"}"#,
        )
        .expect("parses");
        assert_eq!(ended.state, ChannelState::Ended);
        assert_eq!(ended.viewers, None);
    }
}
