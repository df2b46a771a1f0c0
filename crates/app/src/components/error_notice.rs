//! How every page shows something that went wrong: one sentence saying what, optionally a
//! second saying why or what to do, and optionally an action (a link or a button).

use leptos::prelude::*;

/// An error box with `role="alert"`, so screen readers announce it when it appears.
#[component]
pub(crate) fn ErrorNotice(
    /// What went wrong, as one sentence.
    #[prop(into)]
    title: String,
    /// Why, or what to do about it.
    #[prop(optional, into)]
    detail: Option<String>,
    /// The `data-testid` the page's tests find it by.
    #[prop(optional)]
    testid: Option<&'static str>,
    /// A smaller box, for an error inside a list row (one add-on among several).
    #[prop(optional)]
    compact: bool,
    /// An action under the text.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="error" class:compact=compact role="alert" data-testid=testid>
            <strong>{title}</strong>
            {detail.map(|d| view! { <span>{d}</span> })}
            {children.map(|action| action())}
        </div>
    }
}
