//! Fetching from add-ons. Every failure becomes one sentence a person can act on; the caller
//! shows it in that add-on's own row.

use addon::{AddonError, Manifest, ResourceRequest, TransportUrl, MAX_RESPONSE_BYTES};
use gloo_net::http::Request;

use crate::format::sentence;

/// Fetches `url` and returns the body of a 2xx answer.
pub(crate) async fn get(url: &str) -> Result<Vec<u8>, String> {
    let response = Request::get(url).send().await.map_err(|_| {
        // The browser hides why a fetch failed: offline host, refused connection and missing
        // CORS headers all look alike from a page.
        "Shoal could not reach this add-on: it is offline, or it does not allow requests from other sites (CORS)."
            .to_owned()
    })?;
    if !response.ok() {
        return Err(format!(
            "The add-on answered with an error (HTTP {} {}).",
            response.status(),
            response.status_text()
        ));
    }
    let body = response
        .binary()
        .await
        .map_err(|_| "The add-on's answer was cut off before it was complete.".to_owned())?;
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(sentence(
            &AddonError::TooLarge { len: body.len() }.to_string(),
        ));
    }
    Ok(body)
}

/// Fetches and validates a manifest.
pub(crate) async fn manifest(transport: &TransportUrl) -> Result<Manifest, String> {
    let body = get(transport.manifest_url()).await?;
    Manifest::from_json(&body).map_err(|e| sentence(&e.to_string()))
}

/// Fetches one resource and parses it with `parse`.
pub(crate) async fn resource<T>(
    transport: &TransportUrl,
    request: &ResourceRequest,
    parse: fn(&[u8]) -> Result<T, AddonError>,
) -> Result<T, String> {
    let body = get(&transport.resource_url(request)).await?;
    parse(&body).map_err(|e| sentence(&e.to_string()))
}
