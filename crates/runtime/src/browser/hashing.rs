//! SHA-1 of downloaded pieces with the browser's SubtleCrypto, reported to the session as
//! `Event::PieceHashed` (the engine runs with `Config::deferred_hashing`).
//!
//! Why: in Chromium `crypto.subtle.digest` beat SHA-1 compiled to wasm on 1 MiB pieces in every
//! run we measured (docs/benchmarks.md), and it hashes off the page's thread, so a burst of
//! verified pieces does not stall playback. SubtleCrypto exists only in secure contexts
//! (https, localhost); elsewhere — a companion on a LAN address over plain http — the engine
//! hashes inline with `sha1_smol` instead ([`available`] decides per torrent).

use std::rc::Rc;

use session::Event;
use swarm::PieceHasher;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{report, SharedNet};

/// The page's (or worker's) `crypto.subtle`, when this is a secure context.
fn subtle() -> Option<web_sys::SubtleCrypto> {
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let crypto: web_sys::Crypto = crypto.dyn_into().ok()?;
    let subtle = js_sys::Reflect::get(&crypto, &"subtle".into()).ok()?;
    subtle.dyn_into().ok()
}

/// Whether pieces can be hashed with SubtleCrypto here.
pub(crate) fn available() -> bool {
    subtle().is_some()
}

/// Hashes a piece the engine lent out and reports the digest with the bytes given back. If
/// SubtleCrypto refuses (it should not), the piece is hashed with `sha1_smol` so it never
/// waits forever.
pub(crate) fn hash_piece(net: &SharedNet, piece: u32, data: Vec<u8>) {
    let weak = Rc::downgrade(net);
    // `digest` copies the bytes when called (off the wasm memory); `data` is the engine's
    // only copy, held here until it goes back.
    let pending = subtle().and_then(|s| s.digest_with_str_and_u8_array("SHA-1", &data).ok());
    wasm_bindgen_futures::spawn_local(async move {
        let subtle_digest = match pending {
            Some(promise) => JsFuture::from(promise)
                .await
                .ok()
                .and_then(|buf| js_sys::Uint8Array::new(&buf).to_vec().try_into().ok()),
            None => None,
        };
        let digest = subtle_digest.unwrap_or_else(|| swarm::Sha1Smol.sha1(&data));
        if let Some(net) = weak.upgrade() {
            report(
                &net,
                Event::PieceHashed {
                    piece,
                    digest,
                    data,
                },
            );
        }
    });
}
