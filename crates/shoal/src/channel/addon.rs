//! The channels in the companion's Stremio add-on: type `tv`, catalog `live`, ids
//! `shoal-live:NAME`. A channel's stream answer lists two streams, P2P first:
//!
//! 1. "Shoal P2P": the playlist URL with `behaviorHints.shoal` saying it is a Shoal channel
//!    (`{"live": NAME, "page": ".../live/NAME", "swarm": true}`). The Shoal app plays it with
//!    its verifying P2P loader (or opens the page); any other client plays the same playlist
//!    over HTTP, since its tags are ignored by players that do not know them.
//! 2. "Shoal HTTP": the same playlist, plain, for clients that should not try peers.
//!
//! The add-on routes (`addon_routes.rs`) call in here for type `tv`.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{
    registry::{Channels, Lifecycle},
    routes::playlist_url,
};

/// The content type of channels.
pub(crate) const TYPE: &str = "tv";
/// The catalog's id.
pub(crate) const CATALOG_ID: &str = "live";
/// Ids of channels: the prefix and the name.
pub(crate) const ID_PREFIX: &str = "shoal-live:";

/// What the add-on routes need to answer for channels.
#[derive(Clone, Debug)]
pub(crate) struct LiveAddon {
    pub(crate) channels: Arc<Channels>,
    /// This server as clients reach it, without a trailing slash.
    pub(crate) base_url: Arc<str>,
}

impl LiveAddon {
    /// Whether there is any channel (the manifest lists type `tv` only then).
    pub(crate) fn any(&self) -> bool {
        !self.channels.list.is_empty()
    }

    /// The manifest's catalog entry.
    pub(crate) fn catalog_entry() -> Value {
        json!({ "type": TYPE, "id": CATALOG_ID, "name": "Live now", "extra": [] })
    }

    /// `/catalog/tv/live.json`'s metas.
    pub(crate) fn metas(&self) -> Vec<Value> {
        self.channels
            .list
            .iter()
            .map(|c| self.meta_of(&c.name))
            .collect()
    }

    /// The channel an id names, if ours.
    fn channel_name<'a>(&self, id: &'a str) -> Option<&'a str> {
        let name = id.strip_prefix(ID_PREFIX)?;
        self.channels.get(name).map(|_| name)
    }

    fn meta_of(&self, name: &str) -> Value {
        let (title, live) = self
            .channels
            .get(name)
            .map_or((name.to_owned(), false), |c| {
                (c.title.clone(), c.view().lifecycle == Lifecycle::Live)
            });
        let status = if live {
            "Live now"
        } else {
            "The broadcast ended"
        };
        json!({
            "id": format!("{ID_PREFIX}{name}"),
            "type": TYPE,
            "name": name,
            "poster": format!("{}/favicon.svg", self.base_url),
            "posterShape": "landscape",
            "description": format!("{status} · {title}"),
        })
    }

    /// `/meta/tv/shoal-live:NAME.json`'s meta.
    pub(crate) fn meta(&self, id: &str) -> Option<Value> {
        self.channel_name(id).map(|name| self.meta_of(name))
    }

    /// `/stream/tv/shoal-live:NAME.json`'s streams (none for an id not ours).
    pub(crate) fn streams(&self, id: &str) -> Vec<Value> {
        let Some(name) = self.channel_name(id) else {
            return Vec::new();
        };
        let playlist = self
            .channels
            .get(name)
            .and_then(|c| c.public_playlist.clone())
            .unwrap_or_else(|| playlist_url(&self.base_url, name));
        vec![
            json!({
                "name": "Shoal P2P",
                "description": format!("{name}: live, segments from peers, each verified against the playlist's hashes"),
                "url": playlist,
                "behaviorHints": {
                    "bingeGroup": "shoal-live-p2p",
                    "notWebReady": false,
                    "shoal": { "live": name, "page": format!("{}/live/{name}", self.base_url), "swarm": true },
                },
            }),
            json!({
                "name": "Shoal HTTP",
                "description": format!("{name}: live, plain HLS over HTTP"),
                "url": playlist,
                "behaviorHints": { "bingeGroup": "shoal-live-http", "notWebReady": false },
            }),
        ]
    }
}
