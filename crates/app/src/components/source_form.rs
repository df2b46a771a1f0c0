//! The source box: paste a magnet link or an info hash and see what it says.

use leptos::prelude::*;

use super::magnet_details::MagnetDetails;

/// A text box parsed as you type with [`metainfo::parse_source`]: the same parser the engine
/// uses, compiled to wasm, so what the page accepts is exactly what the player will accept.
#[component]
pub(crate) fn SourceForm() -> impl IntoView {
    let (text, set_text) = signal(String::new());
    let parsed = move || {
        let text = text.get();
        if text.trim().is_empty() {
            None
        } else {
            Some(metainfo::parse_source(&text).map_err(|e| sentence(&e.to_string())))
        }
    };

    view! {
        <form class="source-form" on:submit=move |ev| ev.prevent_default()>
            <label for="source">"Magnet link or info hash"</label>
            <div class="source-row">
                <input
                    id="source"
                    name="source"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    autofocus=true
                    placeholder="magnet:?xt=urn:btih:…   or   40 hex characters"
                    prop:value=move || text.get()
                    on:input=move |ev| set_text.set(event_target_value(&ev))
                />
            </div>
            <p class="hint">"Paste a link and its details appear below."</p>
        </form>
        {move || match parsed() {
            None => ().into_any(),
            Some(Ok(magnet)) => view! { <MagnetDetails magnet=magnet/> }.into_any(),
            Some(Err(message)) => {
                view! {
                    <div class="error" role="alert" data-testid="source-error">
                        <strong>"That is not something Shoal can open."</strong>
                        <span>{message}</span>
                    </div>
                }
                    .into_any()
            }
        }}
    }
}

/// Library errors are written as clauses ("the info hash must be…"); the UI shows sentences.
fn sentence(clause: &str) -> String {
    let mut chars = clause.chars();
    match chars.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(chars.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn clauses_become_sentences() {
        assert_eq!(sentence("the hash is short"), "The hash is short.");
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence(""), "");
    }
}
