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

/// What an offer came to. The app writes it on the page as `<html data-companion-addon=…>`
/// once the offer is settled, so a test (or a curious user) can tell the app has acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The add-on was installed now.
    Installed,
    /// The add-on was already in the list (installed by hand).
    Present,
    /// It was offered to this browser before (and kept or removed since): left alone.
    OfferedBefore,
    /// No companion here, or one with an empty library.
    Absent,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Installed => "installed",
            Self::Present => "present",
            Self::OfferedBefore => "offered-before",
            Self::Absent => "absent",
        }
    }
}

/// Installs the serving companion's add-on into `list` in the background, first in the list,
/// unless it was offered before.
pub(crate) fn offer(list: RwSignal<Vec<InstalledAddon>>) {
    leptos::task::spawn_local(async move {
        let outcome = offer_once(list).await.unwrap_or_else(|why| {
            // Not an error for the user: most hosts are not companions.
            leptos::logging::log!("no companion add-on: {why}");
            Outcome::Absent
        });
        let root = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element());
        if let Some(root) = root {
            // Only a marker for tests: failing to set it changes nothing for the user.
            let _ = root.set_attribute("data-companion-addon", outcome.as_str());
        }
    });
}

async fn offer_once(list: RwSignal<Vec<InstalledAddon>>) -> Result<Outcome, ApiError> {
    let Some(addon) = api::companion::info().await?.addon else {
        return Ok(Outcome::Absent);
    };
    let transport = TransportUrl::parse(&addon)?;
    let url = transport.to_string();
    let mut offered = offered();
    if offered.contains(&url) {
        return Ok(Outcome::OfferedBefore);
    }
    let outcome = if list.with_untracked(|l| l.iter().any(|a| a.transport_url == url)) {
        Outcome::Present
    } else {
        let manifest = api::addons::manifest(&transport).await?;
        store::install_first(
            list,
            InstalledAddon {
                transport_url: url.clone(),
                manifest,
            },
        );
        Outcome::Installed
    };
    offered.push(url);
    let skip = offered.len().saturating_sub(MAX_OFFERED);
    remember(&offered[skip..]);
    Ok(outcome)
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
