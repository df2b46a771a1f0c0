//! The installed add-ons, in the user's order, persisted in localStorage.

use addon::{Manifest, TransportUrl};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

const STORAGE_KEY: &str = "shoal.addons.v1";

/// One installed add-on: where it lives and the manifest it had when installed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct InstalledAddon {
    /// The manifest URL.
    pub(crate) transport_url: String,
    pub(crate) manifest: Manifest,
}

impl InstalledAddon {
    /// The validated address; a stored entry that no longer parses is dropped at load.
    pub(crate) fn transport(&self) -> Option<TransportUrl> {
        TransportUrl::parse(&self.transport_url).ok()
    }
}

pub(crate) fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn load() -> Vec<InstalledAddon> {
    let Some(text) = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) else {
        return Vec::new();
    };
    // Each entry is read on its own so one damaged entry does not lose the others.
    let values: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
    values
        .into_iter()
        .filter_map(|v| serde_json::from_value::<InstalledAddon>(v).ok())
        .filter(|a| a.transport().is_some())
        .collect()
}

fn save(list: &[InstalledAddon]) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(list)) {
        // A full storage only loses persistence, not the session's list.
        let _ = storage.set_item(STORAGE_KEY, &text);
    }
}

/// The installed list, shared by every page through the context [`provide_addons`] sets up
/// (so an add-on installed in the background, like the companion's, shows up where it is
/// used); without that context, a list of its own loaded from localStorage.
pub(crate) fn use_addons() -> RwSignal<Vec<InstalledAddon>> {
    use_context::<RwSignal<Vec<InstalledAddon>>>().unwrap_or_else(new_list)
}

/// Loads the installed list, keeps it saved on every change, and shares it with the pages.
pub(crate) fn provide_addons() -> RwSignal<Vec<InstalledAddon>> {
    let list = new_list();
    provide_context(list);
    list
}

fn new_list() -> RwSignal<Vec<InstalledAddon>> {
    let list = RwSignal::new(load());
    Effect::new(move |_| list.with(|l| save(l)));
    list
}

/// Adds (or replaces, keeping its place) the add-on at `addon.transport_url`.
pub(crate) fn install(list: RwSignal<Vec<InstalledAddon>>, addon: InstalledAddon) {
    list.update(|l| {
        match l
            .iter_mut()
            .find(|a| a.transport_url == addon.transport_url)
        {
            Some(existing) => *existing = addon,
            None => l.push(addon),
        }
    });
}

/// Puts `addon` first in the list (replacing an entry at the same address).
pub(crate) fn install_first(list: RwSignal<Vec<InstalledAddon>>, addon: InstalledAddon) {
    list.update(|l| {
        l.retain(|a| a.transport_url != addon.transport_url);
        l.insert(0, addon);
    });
}

/// Removes the add-on at `url`.
pub(crate) fn remove(list: RwSignal<Vec<InstalledAddon>>, url: &str) {
    list.update(|l| l.retain(|a| a.transport_url != url));
}

/// Moves the add-on at `index` one place up or down.
pub(crate) fn shift(list: RwSignal<Vec<InstalledAddon>>, index: usize, up: bool) {
    list.update(|l| {
        let other = if up {
            index.checked_sub(1)
        } else {
            Some(index + 1)
        };
        if let Some(other) = other.filter(|o| *o < l.len()) {
            if index < l.len() {
                l.swap(index, other);
            }
        }
    });
}
