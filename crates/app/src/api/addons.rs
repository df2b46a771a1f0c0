//! Stremio add-ons: their manifests and resources (catalogs, metas, streams).

use addon::{AddonError, Manifest, ResourceRequest, TransportUrl, MAX_RESPONSE_BYTES};

use super::{http, ApiError};

/// Fetches and validates a manifest.
pub(crate) async fn manifest(transport: &TransportUrl) -> Result<Manifest, ApiError> {
    let body = http::get(transport.manifest_url(), MAX_RESPONSE_BYTES).await?;
    Ok(Manifest::from_json(&body)?)
}

/// Fetches one resource and parses it with `parse`.
pub(crate) async fn resource<T>(
    transport: &TransportUrl,
    request: &ResourceRequest,
    parse: fn(&[u8]) -> Result<T, AddonError>,
) -> Result<T, ApiError> {
    let body = http::get(&transport.resource_url(request), MAX_RESPONSE_BYTES).await?;
    Ok(parse(&body)?)
}
