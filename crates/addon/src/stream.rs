//! Streams: where an item can be played from, and what kind of source each one is.

use serde::Deserialize;
use serde_json::{Map, Value};

use metainfo::{InfoHash, Magnet};

use crate::lenient;
use crate::quality::{self, Quality};
use crate::subtitles::Subtitle;

/// One playable source of an item, validated: it has exactly one usable [`StreamSource`].
#[derive(Debug, Clone, PartialEq)]
pub struct Stream {
    /// Where the bytes come from.
    pub source: StreamSource,
    /// Short label, often the add-on's name and the quality (`"Torrentio\n1080p"`).
    pub name: Option<String>,
    /// Longer text (legacy add-ons send it as `title`).
    pub description: Option<String>,
    /// Image URL.
    pub thumbnail: Option<String>,
    /// Subtitle tracks bundled with the stream.
    pub subtitles: Vec<Subtitle>,
    /// Hints about playback.
    pub behavior_hints: StreamBehaviorHints,
}

/// The one source of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamSource {
    /// A direct `http(s)` URL (a plain video file or an HLS playlist).
    Url(String),
    /// A YouTube video id.
    YouTube(String),
    /// A torrent; `file_idx` `None` means "the largest file".
    Torrent {
        /// Info hash.
        info_hash: InfoHash,
        /// Which file of the torrent.
        file_idx: Option<u64>,
        /// `tracker:` announce URLs from `sources` (and from a magnet `url`).
        trackers: Vec<String>,
    },
    /// A page to open in a browser; not playable inline.
    External(String),
    /// A source kind Shoal does not play (archives, usenet), named for the UI.
    Unsupported(&'static str),
}

/// `behaviorHints` of a stream. Unknown keys are kept in `other`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StreamBehaviorHints {
    /// The stream is not an HTTPS MP4 a browser can play as is.
    #[serde(deserialize_with = "lenient::flag")]
    pub not_web_ready: bool,
    /// Streams in one group are picked in turn for the next episode (`group` in old add-ons).
    #[serde(alias = "group", deserialize_with = "lenient::text")]
    pub binge_group: Option<String>,
    /// Countries (ISO 3166-1 alpha-3, lower case) where the stream may be shown.
    #[serde(deserialize_with = "lenient::strings")]
    pub country_whitelist: Vec<String>,
    /// Headers the player must send; a browser cannot, so such streams are not web-ready.
    pub proxy_headers: Option<Value>,
    /// OpenSubtitles hash of the video.
    #[serde(deserialize_with = "lenient::text")]
    pub video_hash: Option<String>,
    /// Size of the video file in bytes.
    #[serde(deserialize_with = "lenient::number")]
    pub video_size: Option<u64>,
    /// File name of the video.
    #[serde(deserialize_with = "lenient::text")]
    pub filename: Option<String>,
    /// Every other hint, unchanged.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// How the app should treat a stream, for badges and the play button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// Play through the torrent engine.
    Torrent,
    /// A direct HTTP(S) video.
    Http,
    /// An HLS playlist (`.m3u8`): play with hls.js or native HLS.
    Hls,
    /// A YouTube video.
    YouTube,
    /// Open outside the app.
    External,
    /// Shoal cannot play it.
    Unsupported,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StreamRepr {
    #[serde(default, deserialize_with = "lenient::url")]
    url: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    yt_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    info_hash: Option<String>,
    #[serde(default, deserialize_with = "lenient::number")]
    file_idx: Option<u64>,
    #[serde(default, deserialize_with = "lenient::strings")]
    sources: Vec<String>,
    #[serde(default, deserialize_with = "lenient::url")]
    external_url: Option<String>,
    #[serde(default)]
    rar_urls: Option<Value>,
    #[serde(default)]
    zip_urls: Option<Value>,
    #[serde(default, rename = "7zipUrls")]
    seven_zip_urls: Option<Value>,
    #[serde(default)]
    tgz_urls: Option<Value>,
    #[serde(default)]
    tar_urls: Option<Value>,
    #[serde(default, deserialize_with = "lenient::url")]
    nzb_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    description: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    title: Option<String>,
    #[serde(default, deserialize_with = "lenient::url")]
    thumbnail: Option<String>,
    #[serde(default, deserialize_with = "lenient::list")]
    subtitles: Vec<Subtitle>,
    #[serde(default, deserialize_with = "lenient::or_default")]
    behavior_hints: StreamBehaviorHints,
}

/// Why a stream item was dropped (the list keeps going without it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamItemError {
    /// No source field at all.
    #[error("the stream has no url, ytId, infoHash or externalUrl")]
    NoSource,
    /// `infoHash` is not 40 hex (or 32 base32) characters.
    #[error("the stream's info hash is not valid")]
    BadInfoHash,
}

fn torrent_source(repr: &StreamRepr, hash: &str) -> Result<StreamSource, StreamItemError> {
    let info_hash = InfoHash::from_text(hash.trim()).map_err(|_| StreamItemError::BadInfoHash)?;
    let trackers = repr
        .sources
        .iter()
        .filter_map(|s| s.strip_prefix("tracker:"))
        .map(str::to_owned)
        .collect();
    Ok(StreamSource::Torrent {
        info_hash,
        file_idx: repr.file_idx,
        trackers,
    })
}

impl TryFrom<StreamRepr> for Stream {
    type Error = StreamItemError;

    fn try_from(repr: StreamRepr) -> Result<Self, Self::Error> {
        let source = if let Some(url) = &repr.url {
            if url.starts_with("magnet:") {
                let magnet = Magnet::parse(url).map_err(|_| StreamItemError::BadInfoHash)?;
                StreamSource::Torrent {
                    info_hash: magnet.info_hash,
                    file_idx: repr.file_idx,
                    trackers: magnet.trackers,
                }
            } else {
                StreamSource::Url(url.clone())
            }
        } else if let Some(id) = &repr.yt_id {
            StreamSource::YouTube(id.clone())
        } else if let Some(hash) = &repr.info_hash {
            torrent_source(&repr, hash)?
        } else if let Some(url) = &repr.external_url {
            StreamSource::External(url.clone())
        } else if [
            &repr.rar_urls,
            &repr.zip_urls,
            &repr.seven_zip_urls,
            &repr.tgz_urls,
            &repr.tar_urls,
        ]
        .iter()
        .any(|v| v.as_ref().is_some_and(|v| !v.is_null()))
        {
            StreamSource::Unsupported("archive")
        } else if repr.nzb_url.is_some() {
            StreamSource::Unsupported("usenet")
        } else {
            return Err(StreamItemError::NoSource);
        };
        Ok(Self {
            source,
            name: repr.name,
            description: repr.description.or(repr.title),
            thumbnail: repr.thumbnail,
            subtitles: repr.subtitles,
            behavior_hints: repr.behavior_hints,
        })
    }
}

impl<'de> Deserialize<'de> for Stream {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let repr = StreamRepr::deserialize(d)?;
        Self::try_from(repr).map_err(serde::de::Error::custom)
    }
}

impl Stream {
    /// The kind of source, for badges and for choosing a player.
    pub fn kind(&self) -> StreamKind {
        match &self.source {
            StreamSource::Torrent { .. } => StreamKind::Torrent,
            StreamSource::Url(url) if is_hls(url) => StreamKind::Hls,
            StreamSource::Url(_) => StreamKind::Http,
            StreamSource::YouTube(_) => StreamKind::YouTube,
            StreamSource::External(_) => StreamKind::External,
            StreamSource::Unsupported(_) => StreamKind::Unsupported,
        }
    }

    /// Whether a browser can play the source as it is: not flagged `notWebReady` and needing no
    /// special headers. (Torrents are played by Shoal's engine, so the flag only warns there
    /// that the container may not be playable.)
    pub fn web_ready(&self) -> bool {
        !self.behavior_hints.not_web_ready && self.behavior_hints.proxy_headers.is_none()
    }

    /// A magnet link for a torrent stream: info hash, the `tracker:` sources (`dht:` entries
    /// are dropped: a browser cannot use the DHT), and the stream's name as display name.
    pub fn magnet(&self) -> Option<Magnet> {
        let StreamSource::Torrent {
            info_hash,
            trackers,
            ..
        } = &self.source
        else {
            return None;
        };
        let mut magnet = Magnet::new(*info_hash);
        magnet.trackers = trackers.clone();
        magnet.display_name = self.behavior_hints.filename.clone();
        Some(magnet)
    }

    /// Resolution and size read from the hints and the add-on's text.
    pub fn quality(&self) -> Quality {
        let texts = [
            self.name.as_deref(),
            self.description.as_deref(),
            self.behavior_hints.filename.as_deref(),
        ];
        let mut found = quality::from_texts(texts.into_iter().flatten());
        if let Some(size) = self.behavior_hints.video_size {
            found.size_bytes = Some(size);
        }
        found
    }
}

/// Whether a URL names an HLS playlist (its path ends with `.m3u8`, whatever its query says).
pub fn is_hls(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.to_ascii_lowercase().ends_with(".m3u8")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const HASH: &str = "d2474e86c95b19b8bcfdb92bc12c9d44667cfa36";

    #[test]
    fn a_torrentio_like_stream() {
        let s: Stream = serde_json::from_value(serde_json::json!({
            "name": "Torrentio\n1080p",
            "title": "Big.Buck.Bunny.2008.1080p.BluRay.x264\n👤 51 💾 1.4 GB ⚙️ ThePirateBay",
            "infoHash": HASH.to_uppercase(), "fileIdx": "2",
            "sources": ["tracker:udp://tracker.example:1337/announce", "tracker:wss://tracker.example/ws", "dht:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36"],
            "behaviorHints": {"bingeGroup": "torrentio|1080p", "filename": "bunny.mkv", "notWebReady": true}
        }))
        .expect("valid");
        assert_eq!(s.kind(), StreamKind::Torrent);
        assert!(!s.web_ready());
        let StreamSource::Torrent {
            info_hash,
            file_idx,
            trackers,
        } = &s.source
        else {
            panic!("torrent")
        };
        assert_eq!(info_hash.to_hex(), HASH);
        assert_eq!(*file_idx, Some(2));
        assert_eq!(trackers.len(), 2);
        assert!(
            s.description
                .as_deref()
                .is_some_and(|d| d.contains("BluRay")),
            "legacy title is the description"
        );
        let magnet = s.magnet().expect("torrent").to_uri();
        assert!(magnet.starts_with(&format!("magnet:?xt=urn:btih:{HASH}")));
        assert!(magnet.contains("tr=wss%3A%2F%2Ftracker.example%2Fws"));
        assert!(!magnet.contains("dht"));
        let q = s.quality();
        assert_eq!(q.resolution.as_deref(), Some("1080p"));
        assert_eq!(q.size_bytes, Some(1_400_000_000));
    }

    #[test]
    fn url_streams_are_http_or_hls() {
        let s: Stream = serde_json::from_str(
            r#"{"url":"https://cdn.example/live/index.M3U8?token=1","name":"Live"}"#,
        )
        .expect("valid");
        assert_eq!(s.kind(), StreamKind::Hls);
        assert!(s.web_ready());
        let s: Stream = serde_json::from_str(
            r#"{"url":"http://127.0.0.1/a.mp4","behaviorHints":{"proxyHeaders":{"request":{"User-Agent":"x"}},"videoSize":"1000","custom":1}}"#,
        )
        .expect("valid");
        assert_eq!(s.kind(), StreamKind::Http);
        assert!(!s.web_ready(), "proxy headers imply not web-ready");
        assert_eq!(s.quality().size_bytes, Some(1000));
        assert_eq!(s.behavior_hints.other.get("custom"), Some(&Value::from(1)));
    }

    #[test]
    fn magnet_urls_external_archives_and_nothing() {
        let s: Stream = serde_json::from_value(serde_json::json!({
            "url": format!("magnet:?xt=urn:btih:{HASH}&tr=wss%3A%2F%2Ft.example")
        }))
        .expect("valid");
        assert_eq!(s.kind(), StreamKind::Torrent);
        let s: Stream =
            serde_json::from_str(r#"{"externalUrl":"https://example.com/watch","url":""}"#)
                .expect("valid");
        assert_eq!(s.kind(), StreamKind::External);
        let s: Stream =
            serde_json::from_str(r#"{"rarUrls":[{"url":"https://x/a.rar"}]}"#).expect("valid");
        assert_eq!(s.source, StreamSource::Unsupported("archive"));
        assert!(serde_json::from_str::<Stream>(r#"{"name":"nothing"}"#).is_err());
        assert!(serde_json::from_str::<Stream>(r#"{"infoHash":"abc"}"#).is_err());
    }
}
