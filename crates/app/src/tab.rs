//! What one browser tab shares across the app's pages, handed to them through Leptos context
//! ([`provide`] in the root component, [`use_tab`] in a page).
//!
//! One runtime [`Client`](runtime::Client) holds every torrent of the tab, played or shared, so
//! they share one peer id and one set of connections. It is made from the saved connection
//! settings when the tab opens; saving new settings reloads the tab. Making it connects to
//! nothing: that starts when a torrent is added.

use std::rc::Rc;

use leptos::prelude::*;

use crate::cache::Cache;
use crate::player::{bridge::Bridge, panel::Playing, settings::Settings};

/// The tab's shared state. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Tab {
    /// The tab's runtime client.
    pub(crate) client: runtime::Client,
    /// The Service Worker bridge serving the client's torrents to `<video>` elements.
    pub(crate) bridge: Rc<Bridge>,
    /// What the player page plays, for its panel and for `window.shoal.stats()`.
    pub(crate) playing: RwSignal<Option<Playing>>,
    /// The download store (opening when the tab starts).
    pub(crate) cache: Cache,
}

/// Makes the tab's state and shares it with every page. Called once, by the root component.
pub(crate) fn provide() {
    let settings = Settings::load();
    let client = runtime::Client::new(settings.client_config());
    let cache = Cache::open(&client, &settings);
    cache.expose_test_hook();
    let tab = Tab {
        cache,
        bridge: Rc::new(Bridge::new(client.clone())),
        client,
        playing: RwSignal::new(None),
    };
    crate::player::panel::expose(&tab);
    // The client is not `Send`; a local stored value is the context handle to it.
    provide_context(StoredValue::new_local(tab));
}

/// A copyable handle to the tab's state, for closures that must be `Send` (cleanups).
pub(crate) type TabHandle = StoredValue<Tab, LocalStorage>;

/// The tab's state, from a component (or anything running under the root's owner).
pub(crate) fn use_tab() -> TabHandle {
    expect_context::<TabHandle>()
}

impl Tab {
    /// The tab's open torrent with this info hash (lowercase hex).
    pub(crate) fn torrent(&self, info_hash: &str) -> Option<runtime::Torrent> {
        find_torrent(&self.client, info_hash)
    }
}

/// The client's open torrent with this info hash (lowercase hex).
pub(crate) fn find_torrent(client: &runtime::Client, info_hash: &str) -> Option<runtime::Torrent> {
    client
        .torrents()
        .into_iter()
        .find(|t| t.info_hash() == info_hash)
}
