//! `/settings`: the layout (TV or not), installing Shoal as an app, and the connection settings.

use leptos::prelude::*;

use crate::player::views::SettingsPanel;
use crate::shell::{layout::LayoutSetting, pwa::Pwa};

/// The settings page.
#[component]
pub(crate) fn Settings() -> impl IntoView {
    let pwa = expect_context::<Pwa>();
    let agent = web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default();
    view! {
        <main class="addon-page settings-page">
            <h1>"Settings"</h1>
            <section class="settings-block">
                <h2>"Screen"</h2>
                <LayoutSetting/>
                <p class="hint">"The TV layout has large type and a large focus ring; use the arrow keys, Enter and Back."</p>
            </section>
            <section class="settings-block" data-testid="install-section">
                <h2>"Install"</h2>
                {move || if pwa.installed {
                    view! { <p>"Shoal is running as an installed app."</p> }.into_any()
                } else if pwa.can_install.get() {
                    view! {
                        <p>"Install Shoal to open it from your home screen or app list, in its own window."</p>
                        <button type="button" data-testid="install-settings" on:click=move |_| pwa.install()>"Install app"</button>
                    }.into_any()
                } else {
                    view! { <p data-testid="install-how">{install_instructions(&agent)}</p> }.into_any()
                }}
            </section>
            <SettingsPanel/>
        </main>
    }
}

/// How to install where the browser offers no install prompt to the page.
fn install_instructions(user_agent: &str) -> &'static str {
    let ua = user_agent.to_ascii_lowercase();
    let apple_mobile = ua.contains("iphone") || ua.contains("ipad");
    if apple_mobile {
        "In Safari, tap Share, then “Add to Home Screen”."
    } else if ua.contains("safari") && ua.contains("macintosh") && !ua.contains("chrome") {
        "In Safari, choose File → “Add to Dock”."
    } else if ua.contains("firefox") {
        "Firefox on computers does not install web apps; on Android, open the menu and choose “Install” or “Add to Home screen”."
    } else {
        "Open the browser's menu and choose “Install Shoal” or “Add to Home screen”. If it is not there, the browser does not offer installing this site."
    }
}

#[cfg(test)]
mod tests {
    use super::install_instructions;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn safari_on_iphone_is_told_about_share() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert!(install_instructions(iphone).contains("Add to Home Screen"));
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert!(install_instructions(firefox).starts_with("Firefox"));
    }
}
