//! The add-on of the companion that serves this app: when the app comes from `shoal serve`,
//! the companion's library is installed as the first add-on, once.
//!
//! The companion says where its add-on is at `/api/companion`. A plain static host or
//! `trunk serve` has no such JSON (it answers 404, or the app's own `index.html`), so nothing
//! is installed there. Each offered address is remembered in localStorage: a user who removes
//! the add-on keeps it removed.

use addon::TransportUrl;
use leptos::prelude::*;

use super::store::{self, InstalledAddon};
use crate::api::{self, ApiError};

/// Manifest URLs already offered to this browser, as a JSON list.
const OFFERED_KEY: &str = "shoal.companion-addons-offered.v1";
/// Most addresses remembered (a companion on changing ports would otherwise grow the list).
const MAX_OFFERED: usize = 32;

/// Installs the serving companion's add-on into `list` in the background, first in the list,
/// unless it was offered before.
pub(crate) fn offer(list: RwSignal<Vec<InstalledAddon>>) {
    leptos::task::spawn_local(async move {
        if let Err(why) = offer_once(list).await {
            // Not an error for the user: most hosts are not companions.
            leptos::logging::log!("no companion add-on: {why}");
        }
    });
}

async fn offer_once(list: RwSignal<Vec<InstalledAddon>>) -> Result<(), ApiError> {
    let Some(addon) = api::companion::info().await?.addon else {
        return Ok(());
    };
    let transport = TransportUrl::parse(&addon)?;
    let url = transport.to_string();
    let mut offered = offered();
    if offered.contains(&url) {
        return Ok(());
    }
    if !list.with_untracked(|l| l.iter().any(|a| a.transport_url == url)) {
        let manifest = api::addons::manifest(&transport).await?;
        store::install_first(
            list,
            InstalledAddon {
                transport_url: url.clone(),
                manifest,
            },
        );
    }
    offered.push(url);
    let skip = offered.len().saturating_sub(MAX_OFFERED);
    remember(&offered[skip..]);
    Ok(())
}

fn offered() -> Vec<String> {
    store::storage()
        .and_then(|s| s.get_item(OFFERED_KEY).ok().flatten())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

fn remember(offered: &[String]) {
    if let (Some(storage), Ok(text)) = (store::storage(), serde_json::to_string(offered)) {
        // A full storage means the add-on may be offered again: harmless.
        let _ = storage.set_item(OFFERED_KEY, &text);
    }
}
