//! Reusable pieces of UI.

pub(crate) mod error_notice;
pub(crate) mod library;
pub(crate) mod magnet_details;
pub(crate) mod share_form;
pub(crate) mod source_form;

/// The file an `<input type=file>`'s `change` event picked, with the input itself.
pub(crate) fn picked_file(
    ev: &leptos::ev::Event,
) -> Option<(web_sys::HtmlInputElement, web_sys::File)> {
    use wasm_bindgen::JsCast;
    let input = ev.target()?.dyn_into::<web_sys::HtmlInputElement>().ok()?;
    let file = input.files()?.get(0)?;
    Some((input, file))
}
