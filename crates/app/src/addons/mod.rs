//! Stremio add-ons in the app: the installed list (kept in localStorage) and the pieces of UI
//! the add-on pages share. Requests to add-ons go through [`crate::api::addons`].

pub(crate) mod companion;
pub(crate) mod hls;
pub(crate) mod poster;
pub(crate) mod store;
pub(crate) mod streams;

/// Shares the installed add-on list with every page and, when a companion serves the app,
/// installs its library add-on (see [`companion`]). Called once, by the root component.
pub(crate) fn start() {
    companion::offer(store::provide_addons());
}

/// Percent-decodes a route parameter the router left encoded (`tt1%3A2%3A3`); text that is not
/// valid encoding is kept as it is.
pub(crate) fn decode_param(text: &str) -> String {
    js_sys::decode_uri_component(text)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| text.to_owned())
}

/// Encodes one path segment or query value the way `encodeURIComponent` does.
pub(crate) fn encode(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}
