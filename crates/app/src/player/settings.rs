//! The player's connection settings (trackers, ICE servers, streaming servers), kept in
//! `localStorage`.
//!
//! They are edited as text, one entry a line, because that is how people copy tracker lists
//! around. An ICE server line is `URL [username credential]`.

use serde::{Deserialize, Serialize};

/// `localStorage` key holding the JSON form of [`Settings`].
pub(crate) const STORAGE_KEY: &str = "shoal.settings";

/// What the user can change about how the player connects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Settings {
    /// WebSocket trackers announced to in addition to each torrent's own.
    pub(crate) trackers: Vec<String>,
    /// ICE servers for peer connections; empty means host candidates only.
    pub(crate) ice_servers: Vec<IceEntry>,
    /// Download store size limit, MiB (clamped to what the browser allows).
    #[serde(default = "default_store_limit_mib")]
    pub(crate) store_limit_mib: u64,
    /// Stored items unused this many days are removed when the app starts.
    #[serde(default = "default_store_expiry_days")]
    pub(crate) store_expiry_days: u32,
    /// Verified pieces of a stored torrent kept in memory, MiB (the rest is read back from
    /// the store). Not on the settings form: tests lower it.
    #[serde(default = "default_memory_window_mib")]
    pub(crate) memory_window_mib: u64,
    /// Companions (`http(s)://host:port`) whose gateway a torrent stream may fall back to;
    /// several are ranked by their health and round trip (`servers.rs`). Default: the origin
    /// that served the app (a `shoal serve`, if it is one).
    #[serde(default = "default_streaming_servers")]
    pub(crate) streaming_servers: Vec<String>,
    /// Seconds a torrent stream waits for WebRTC peers before it falls back.
    #[serde(default = "default_gateway_after_secs")]
    pub(crate) gateway_after_secs: u32,
    /// Fewer open peers than this after the wait: the stream falls back to the gateway.
    #[serde(default = "default_gateway_min_peers")]
    pub(crate) gateway_min_peers: usize,
}

/// The seed proxy design's threshold: fewer than five peers cannot carry a stream reliably.
const DEFAULT_GATEWAY_MIN_PEERS: usize = 5;
/// A short wait: WebRTC peers usually connect within a few seconds of the first announce.
const DEFAULT_GATEWAY_AFTER_SECS: u32 = 5;

/// The origin that served the app, when it is an HTTP one (natively, in unit tests: none).
fn default_streaming_servers() -> Vec<String> {
    #[cfg(target_family = "wasm")]
    {
        web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .filter(|o| o.starts_with("http://") || o.starts_with("https://"))
            .into_iter()
            .collect()
    }
    #[cfg(not(target_family = "wasm"))]
    {
        Vec::new()
    }
}

fn default_gateway_after_secs() -> u32 {
    DEFAULT_GATEWAY_AFTER_SECS
}

fn default_gateway_min_peers() -> usize {
    DEFAULT_GATEWAY_MIN_PEERS
}

fn default_store_limit_mib() -> u64 {
    runtime::DEFAULT_LIMIT_BYTES >> 20
}

fn default_store_expiry_days() -> u32 {
    runtime::DEFAULT_EXPIRY_DAYS
}

fn default_memory_window_mib() -> u64 {
    runtime::DEFAULT_MEMORY_WINDOW_BYTES >> 20
}

/// One ICE server as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IceEntry {
    pub(crate) url: String,
    #[serde(default)]
    pub(crate) username: Option<String>,
    #[serde(default)]
    pub(crate) credential: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        let cfg = runtime::ClientConfig::default();
        Self {
            trackers: cfg.trackers,
            ice_servers: cfg
                .ice_servers
                .into_iter()
                .flat_map(|s| {
                    let (username, credential) = (s.username, s.credential);
                    s.urls.into_iter().map(move |url| IceEntry {
                        url,
                        username: username.clone(),
                        credential: credential.clone(),
                    })
                })
                .collect(),
            store_limit_mib: default_store_limit_mib(),
            store_expiry_days: default_store_expiry_days(),
            memory_window_mib: default_memory_window_mib(),
            streaming_servers: default_streaming_servers(),
            gateway_after_secs: default_gateway_after_secs(),
            gateway_min_peers: default_gateway_min_peers(),
        }
    }
}

impl Settings {
    /// The runtime configuration these settings describe.
    pub(crate) fn client_config(&self) -> runtime::ClientConfig {
        runtime::ClientConfig {
            trackers: self.trackers.clone(),
            ice_servers: self
                .ice_servers
                .iter()
                .map(|e| runtime::IceServer {
                    urls: vec![e.url.clone()],
                    username: e.username.clone(),
                    credential: e.credential.clone(),
                })
                .collect(),
            memory_window_bytes: self.memory_window_mib.max(1) << 20,
            ..runtime::ClientConfig::default()
        }
    }

    /// The download store's settings.
    pub(crate) fn store_settings(&self) -> runtime::StoreSettings {
        runtime::StoreSettings {
            limit_bytes: self.store_limit_mib.max(1) << 20,
            expiry_days: self.store_expiry_days.max(1),
        }
    }

    /// The tracker list as the settings box shows it.
    pub(crate) fn trackers_text(&self) -> String {
        self.trackers.join("\n")
    }

    /// The ICE list as the settings box shows it.
    pub(crate) fn ice_text(&self) -> String {
        self.ice_servers
            .iter()
            .map(|e| match (&e.username, &e.credential) {
                (Some(u), Some(c)) => format!("{} {u} {c}", e.url),
                _ => e.url.clone(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Reads the two text boxes; the error names the first line that is wrong.
    pub(crate) fn from_text(trackers: &str, ice: &str) -> Result<Self, String> {
        let mut tracker_list = Vec::new();
        for line in lines(trackers) {
            if !(line.starts_with("ws://") || line.starts_with("wss://")) {
                return Err(format!(
                    "The tracker “{line}” is not a WebSocket address: browsers can only reach trackers that start with wss:// (or ws://)."
                ));
            }
            tracker_list.push(line.to_owned());
        }
        let mut ice_servers = Vec::new();
        for line in lines(ice) {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let url = parts[0];
            if !["stun:", "stuns:", "turn:", "turns:"]
                .iter()
                .any(|p| url.starts_with(p))
            {
                return Err(format!(
                    "The ICE server “{url}” must start with stun:, stuns:, turn: or turns:."
                ));
            }
            let entry = match parts.as_slice() {
                [url] => IceEntry {
                    url: (*url).to_owned(),
                    username: None,
                    credential: None,
                },
                [url, user, pass] => IceEntry {
                    url: (*url).to_owned(),
                    username: Some((*user).to_owned()),
                    credential: Some((*pass).to_owned()),
                },
                _ => {
                    return Err(format!(
                        "The ICE server line “{line}” should be a URL, optionally followed by a user name and a password."
                    ))
                }
            };
            ice_servers.push(entry);
        }
        // The store's figures are not on this form: the defaults, which `keeping_store_of`
        // replaces with the saved ones before saving.
        Ok(Self {
            trackers: tracker_list,
            ice_servers,
            store_limit_mib: default_store_limit_mib(),
            store_expiry_days: default_store_expiry_days(),
            memory_window_mib: default_memory_window_mib(),
            streaming_servers: default_streaming_servers(),
            gateway_after_secs: default_gateway_after_secs(),
            gateway_min_peers: default_gateway_min_peers(),
        })
    }

    /// The streaming servers as the settings box shows them.
    pub(crate) fn servers_text(&self) -> String {
        self.streaming_servers.join("\n")
    }

    /// Reads the streaming-server part of the form: addresses one a line, the wait in seconds
    /// and the peer threshold; the error names what is wrong.
    pub(crate) fn with_streaming(
        mut self,
        servers: &str,
        after_secs: &str,
        min_peers: &str,
    ) -> Result<Self, String> {
        let mut list = Vec::new();
        for line in lines(servers) {
            if !(line.starts_with("http://") || line.starts_with("https://")) {
                return Err(format!(
                    "The streaming server “{line}” must be an address starting with http:// or https://, such as http://192.168.1.10:8080."
                ));
            }
            list.push(line.trim_end_matches('/').to_owned());
        }
        self.streaming_servers = list;
        self.gateway_after_secs = after_secs
            .trim()
            .parse()
            .ok()
            .filter(|s| *s <= 600)
            .ok_or_else(|| format!("“{after_secs}” is not a wait in seconds (0 to 600)."))?;
        self.gateway_min_peers = min_peers
            .trim()
            .parse()
            .ok()
            .filter(|n| *n <= 100)
            .ok_or_else(|| format!("“{min_peers}” is not a number of peers (0 to 100)."))?;
        Ok(self)
    }

    /// These connection settings with the store settings of `saved` (the form that edits one
    /// must not reset the other).
    pub(crate) fn keeping_store_of(mut self, saved: &Self) -> Self {
        self.store_limit_mib = saved.store_limit_mib;
        self.store_expiry_days = saved.store_expiry_days;
        self.memory_window_mib = saved.memory_window_mib;
        self
    }

    /// The saved settings, or the defaults when none are saved or they do not parse.
    pub(crate) fn load() -> Self {
        storage()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default()
    }

    /// Saves to `localStorage`; the error is a sentence for the settings panel.
    pub(crate) fn save(&self) -> Result<(), String> {
        let json = serde_json::to_string(self).map_err(|e| e.to_string())?;
        storage()
            .ok_or_else(|| {
                "This browser does not let Shoal keep settings (no localStorage).".to_owned()
            })?
            .set_item(STORAGE_KEY, &json)
            .map_err(|_| {
                "The browser refused to store the settings (storage full or blocked).".to_owned()
            })
    }
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn text_round_trips() {
        let s = Settings::from_text(
            "wss://a.example\n\n  ws://127.0.0.1:8000  \n",
            "stun:stun.example:3478\nturn:turn.example user secret",
        )
        .expect("valid settings");
        assert_eq!(s.trackers, ["wss://a.example", "ws://127.0.0.1:8000"]);
        assert_eq!(s.ice_servers.len(), 2);
        assert_eq!(s.ice_servers[1].username.as_deref(), Some("user"));
        let again = Settings::from_text(&s.trackers_text(), &s.ice_text()).expect("round trip");
        assert_eq!(again, s);
        let cfg = s.client_config();
        assert_eq!(cfg.ice_servers[1].credential.as_deref(), Some("secret"));
    }

    #[test]
    fn streaming_servers_are_http_addresses_and_the_figures_numbers() {
        let s = Settings::from_text("", "")
            .and_then(|s| s.with_streaming("http://10.0.0.2:8080/\n\nhttps://gw.example", "3", "2"))
            .expect("valid");
        assert_eq!(
            s.streaming_servers,
            ["http://10.0.0.2:8080", "https://gw.example"]
        );
        assert_eq!((s.gateway_after_secs, s.gateway_min_peers), (3, 2));
        let again = Settings::from_text("", "")
            .and_then(|t| t.with_streaming(&s.servers_text(), "3", "2"))
            .expect("round trip");
        assert_eq!(again.streaming_servers, s.streaming_servers);
        let none = Settings::default()
            .with_streaming("", "5", "5")
            .expect("none is fine");
        assert!(none.streaming_servers.is_empty());
        let bad = Settings::default()
            .with_streaming("ws://x", "5", "5")
            .unwrap_err();
        assert!(bad.contains("ws://x"), "{bad}");
        assert!(Settings::default().with_streaming("", "soon", "5").is_err());
        assert!(Settings::default().with_streaming("", "5", "1000").is_err());
        // Saved settings from before this field still load, with the defaults.
        let old: Settings =
            serde_json::from_str(r#"{"trackers":[],"ice_servers":[]}"#).expect("old json");
        assert_eq!(old.gateway_min_peers, DEFAULT_GATEWAY_MIN_PEERS);
    }

    #[test]
    fn bad_lines_are_named() {
        let err = Settings::from_text("https://tracker.example/announce", "").unwrap_err();
        assert!(err.contains("https://tracker.example/announce"), "{err}");
        let err = Settings::from_text("", "turn:x user").unwrap_err();
        assert!(err.contains("turn:x user"), "{err}");
        assert_eq!(
            Settings::from_text("", "").expect("empty is fine"),
            Settings {
                trackers: vec![],
                ice_servers: vec![],
                ..Settings::default()
            }
        );
    }
}
