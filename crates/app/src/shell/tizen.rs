//! Samsung Tizen TVs deliver a remote's media keys to a web app only after it registers them
//! with `tizen.tvinputdevice.registerKey(name)`; until then the TV keeps them for itself. Where
//! `window.tizen` exists (a Tizen TV browser or an installed Tizen web app), the shell
//! registers the media keys [`super::remote`] handles. Elsewhere nothing happens.

use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// The Tizen key names of the media keys the remote handler acts on, with the legacy key codes
/// Tizen sends for them (the codes are what [`super::remote::action`] matches when an old
/// engine reports the key's name as `Unidentified`).
pub(crate) const MEDIA_KEYS: [(&str, u32); 8] = [
    ("MediaPlayPause", 10252),
    ("MediaPlay", 415),
    ("MediaPause", 19),
    ("MediaStop", 413),
    ("MediaFastForward", 417),
    ("MediaRewind", 412),
    ("MediaTrackNext", 10233),
    ("MediaTrackPrevious", 10232),
];

/// Registers [`MEDIA_KEYS`] when the page runs on Tizen; returns the names that were accepted.
/// A key this TV model lacks makes `registerKey` throw; the others are registered all the same.
pub(crate) fn register_media_keys() -> Vec<&'static str> {
    let Some((function, this)) = register_key_function() else {
        return Vec::new();
    };
    MEDIA_KEYS
        .iter()
        .filter(|(name, _)| function.call1(&this, &JsValue::from_str(name)).is_ok())
        .map(|(name, _)| *name)
        .collect()
}

/// `tizen.tvinputdevice.registerKey` and the object to call it on, if the page has them.
fn register_key_function() -> Option<(Function, JsValue)> {
    let window: JsValue = web_sys::window()?.into();
    let tizen = Reflect::get(&window, &"tizen".into()).ok()?;
    if tizen.is_undefined() || tizen.is_null() {
        return None;
    }
    let device = Reflect::get(&tizen, &"tvinputdevice".into()).ok()?;
    if device.is_undefined() || device.is_null() {
        return None;
    }
    let register = Reflect::get(&device, &"registerKey".into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    Some((register, device))
}

#[cfg(all(test, target_family = "wasm"))]
mod tests {
    use super::{register_media_keys, MEDIA_KEYS};
    use crate::shell::remote::action;
    use js_sys::{Function, Reflect};
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Chromium has no `window.tizen`: a stand-in with Tizen's shape records the calls (a TV
    /// cannot run here). It throws for one key, as a model without that key does.
    fn install_tizen() {
        let install = Function::new_no_args(
            "window.registered = [];
             window.tizen = { tvinputdevice: { registerKey: function (name) {
               if (this !== window.tizen.tvinputdevice) throw new Error('wrong this');
               if (name === 'MediaTrackNext') throw new Error('NotFoundError');
               window.registered.push(name);
             } } };",
        );
        install.call0(&JsValue::NULL).expect("installs");
    }

    fn remove_tizen() {
        Reflect::delete_property(&js_sys::global(), &"tizen".into()).expect("deletes");
    }

    #[test]
    fn without_tizen_nothing_is_registered() {
        remove_tizen();
        assert!(register_media_keys().is_empty());
    }

    #[test]
    fn on_tizen_every_media_key_is_registered_even_if_one_is_missing() {
        install_tizen();
        let accepted = register_media_keys();
        let recorded: Vec<String> = js_sys::Array::from(
            &Reflect::get(&js_sys::global(), &"registered".into()).expect("registered"),
        )
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
        remove_tizen();
        let expected: Vec<&str> = MEDIA_KEYS
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| *n != "MediaTrackNext")
            .collect();
        assert_eq!(accepted, expected);
        assert_eq!(recorded, expected);
    }

    #[test]
    fn every_registered_key_is_handled_by_name_and_by_tizen_code() {
        for (name, code) in MEDIA_KEYS {
            assert!(action(name, 0).is_some(), "{name}");
            assert_eq!(
                action("Unidentified", code),
                action(name, 0),
                "{name} {code}"
            );
        }
    }
}
